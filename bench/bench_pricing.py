"""Benchmark vectorised BSM pricing, Greeks and implied vol against vollib's scalar solver.

Run: .venv/bin/python bench/bench_pricing.py [--n 200000] [--baseline-n 2000] [--seed 7]

Quotes are exact model prices of seeded random options, so the true vol of each is known.
The baseline is vollib's implied_volatility (Jäckel's Let's Be Rational, pure Python) called
once per option, as a per-option loop would be written without vectorisation.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from vollib.black_scholes_merton.implied_volatility import implied_volatility as vollib_iv
from vollib.helpers.exceptions import PriceIsAboveMaximum, PriceIsBelowIntrinsic

try:
    from options_helper.domain.pricing import bsm_greeks, bsm_price, implied_vol
except ModuleNotFoundError:  # run from a checkout without an install
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from options_helper.domain.pricing import bsm_greeks, bsm_price, implied_vol

DAYS_PER_YEAR = 365.0
MATERIAL_VEGA_PER_VOL = 1e-3
REPEATS = 3


def realistic_options(n: int, seed: int) -> dict[str, np.ndarray]:
    """US equity-like chains: 1 day to 2 years, strikes out to 4 sd from spot, wings included."""
    rng = np.random.default_rng(seed)
    dte_days = rng.integers(1, 731, n)
    t_years = dte_days / DAYS_PER_YEAR
    vol = np.exp(rng.normal(np.log(0.3), 0.45, n)).clip(0.05, 2.0)
    spot = np.exp(rng.normal(np.log(100.0), 0.8, n))
    strike_sd = rng.uniform(-4.0, 4.0, n) * vol * np.sqrt(t_years)
    strike = np.round(spot * np.exp(strike_sd), 1)
    return {
        "spot": spot,
        "strike": np.maximum(strike, 0.1),
        "t_years": t_years,
        "vol": vol,
        "rate": rng.uniform(0.0, 0.05, n),
        "div_yield": rng.uniform(0.0, 0.03, n),
        "is_call": rng.random(n) < 0.5,
    }


def best_seconds(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    """Best wall time of repeated calls to fn."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def vollib_loop(price: np.ndarray, o: dict[str, np.ndarray]) -> np.ndarray:
    """vollib's implied vol one option at a time; NaN where it raises."""
    vols = np.full(price.shape, np.nan)
    for i in range(price.size):
        flag = "c" if o["is_call"][i] else "p"
        with contextlib.suppress(PriceIsAboveMaximum, PriceIsBelowIntrinsic):
            vols[i] = vollib_iv(
                price[i],
                o["spot"][i],
                o["strike"][i],
                o["t_years"][i],
                o["rate"][i],
                o["div_yield"][i],
                flag,
            )
    return vols


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="options in the vectorised run")
    parser.add_argument("--baseline-n", type=int, default=2_000, help="options for vollib")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    args.baseline_n = min(args.baseline_n, args.n)

    o = realistic_options(args.n, args.seed)
    market = {name: values for name, values in o.items() if name != "vol"}
    price = bsm_price(**o)
    greeks = bsm_greeks(**o)
    vol = implied_vol(price, **market)

    price_s = best_seconds(lambda: bsm_price(**o))
    greeks_s = best_seconds(lambda: bsm_greeks(**o))
    iv_s = best_seconds(lambda: implied_vol(price, **market))

    sub = np.random.default_rng(args.seed + 1).choice(args.n, args.baseline_n, replace=False)
    sub_o = {name: values[sub] for name, values in o.items()}
    baseline_vol = vollib_loop(price[sub], sub_o)
    baseline_s = best_seconds(lambda: vollib_loop(price[sub], sub_o))
    baseline_per_option_s = baseline_s / args.baseline_n

    material = greeks.vega_per_pt * 100.0 > MATERIAL_VEGA_PER_VOL
    err = np.abs(vol - o["vol"])
    baseline_err = np.abs(baseline_vol - o["vol"][sub])
    iv_per_option_s = iv_s / args.n

    print(f"options: {args.n:,} (seed {args.seed}); best of {REPEATS}")
    for label, seconds in (
        ("bsm_price", price_s),
        ("bsm_greeks (price + 5 Greeks)", greeks_s),
        ("implied_vol", iv_s),
    ):
        rate = args.n / seconds
        per_us = seconds / args.n * 1e6
        print(f"  {label:<30} {seconds:8.3f} s  {per_us:7.3f} us/option  {rate:13,.0f} options/s")
    total_s = price_s + greeks_s + iv_s
    print(f"  {'total (price + Greeks + IV)':<30} {total_s:8.3f} s for {args.n:,} options")
    print(f"baseline: vollib implied_volatility, Python loop over {args.baseline_n:,} options")
    print(
        f"  {'vollib implied_volatility':<30} {baseline_per_option_s * 1e6:7.2f} us/option  "
        f"{1.0 / baseline_per_option_s:13,.0f} options/s  "
        f"-> {baseline_per_option_s * args.n:.2f} s for {args.n:,}"
    )
    print(f"ratio: implied_vol is {baseline_per_option_s / iv_per_option_s:.0f}x vollib per option")
    print(
        f"accuracy vs true vol: max |dvol| {np.max(err[material]):.2e} over "
        f"{material.sum():,} options with vega > {MATERIAL_VEGA_PER_VOL:g} per unit vol "
        f"({np.isnan(vol[material]).sum()} NaN); max over all finite {np.nanmax(err):.2e} "
        f"({np.isnan(vol).sum()} NaN of {args.n:,})"
    )
    sub_material = material[sub]
    print(
        f"  vollib on its subsample: max |dvol| {np.nanmax(baseline_err[sub_material]):.2e} "
        f"over {sub_material.sum():,} with material vega "
        f"({np.isnan(baseline_vol).sum()} raised)"
    )


if __name__ == "__main__":
    main()
