"""Black–Scholes–Merton pricing, Greeks and implied volatility, vectorised with numpy.

Conventions (units are in the names where it matters):
- ``t_years``: time to expiry in years, ACT/365 calendar days.
- ``vol``: annualised volatility as a decimal (0.25 = 25%).
- ``rate``, ``div_yield``: continuously compounded annual decimals.
- ``is_call``: bool array/scalar; puts otherwise.
- theta is per calendar day (annual theta / 365); vega and rho are per 1 point (0.01) of vol/rate.
At expiry (t_years <= 0) prices are intrinsic and Greeks are those of the payoff (delta 0/±1,
0 at the money). With vol <= 0 before expiry the option is worth its discounted forward
intrinsic value and its Greeks are the zero-vol limits. A NaN input gives NaN outputs.
Inputs broadcast together; scalar inputs give 0-d arrays.

Implied vol works in Jäckel's normalised units ("Let's Be Rational", 2015): x = ln(F/K), the
undiscounted price over sqrt(F K), and the total standard deviation s = vol * sqrt(t_years).
Subtracting intrinsic value and using put–call symmetry turns every option into an
out-of-the-money call (x <= 0), whose price b(s) has one inflection point, s_c = sqrt(-2x).
Far below it Halley's method runs on 1/sqrt(-2 ln b), which is nearly linear in s there;
elsewhere on b itself. A bracket with geometric bisection guards every step.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr, ndtri

_SQRT_2PI = np.sqrt(2.0 * np.pi)
_DAYS_PER_YEAR = 365.0
_PER_POINT = 0.01
_TINY_STD = 1e-300
_EPS = float(np.finfo(np.float64).eps)
_TINY_NORMAL = float(np.finfo(np.float64).tiny)
_ROUNDING_ULPS = 4.0

IV_VOL_MIN = 1e-4
IV_VOL_MAX = 10.0
# Rounding the price by a few ulps moves the vol by about eps * price / vega; past this the
# inverted vol is rounding noise (deep in-the-money options with no time value left).
IV_VOL_RESOLUTION_MAX = 1e-6


class Greeks(NamedTuple):
    """Price and Greeks; theta per calendar day, vega and rho per 0.01 of vol and rate."""

    price: NDArray[np.float64]
    delta: NDArray[np.float64]
    gamma: NDArray[np.float64]
    theta_per_day: NDArray[np.float64]
    vega_per_pt: NDArray[np.float64]
    rho_per_pt: NDArray[np.float64]


def _npdf(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.exp(-0.5 * x * x) / _SQRT_2PI


def _prepare(*values: ArrayLike, is_call: ArrayLike) -> list[NDArray]:
    """Broadcast to float64 arrays, with the option sign (+1 call, -1 put) last."""
    arrays = np.broadcast_arrays(*values, is_call)
    floats = [np.asarray(a, dtype=np.float64) for a in arrays[:-1]]
    sign = np.where(np.asarray(arrays[-1], dtype=bool), 1.0, -1.0)
    return [*floats, sign]


def _any_nan(*arrays: NDArray[np.float64]) -> NDArray[np.bool_]:
    mask = np.isnan(arrays[0])
    for a in arrays[1:]:
        mask |= np.isnan(a)
    return mask


def _live(t: NDArray[np.float64], v: NDArray[np.float64]) -> tuple[NDArray, NDArray, NDArray]:
    """Where vol * sqrt(t) > 0, and t and v with 1.0 elsewhere (so the live formulas stay
    finite there; callers take the dead-option values at those points)."""
    live = (t > 0) & (v > 0)
    return live, np.where(live, t, 1.0), np.where(live, v, 1.0)


def _d1_d2(s, k, t, v, r, q) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    vol_sqrt_t = v * np.sqrt(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(s / k) + (r - q + 0.5 * v * v) * t) / vol_sqrt_t
    return d1, d1 - vol_sqrt_t


def _dead_greeks(s, k, t, r, q, sign) -> Greeks:
    """Greeks where vol * sqrt(t) is zero: at expiry, or deterministic forward before it."""
    t_pos = np.maximum(t, 0.0)
    df_q = np.exp(-q * t_pos)
    s_df_q = s * df_q
    k_df_r = k * np.exp(-r * t_pos)
    fwd_intrinsic = sign * (s_df_q - k_df_r)
    itm = fwd_intrinsic > 0
    zero = np.zeros_like(fwd_intrinsic)
    theta_per_year = sign * (q * s_df_q - r * k_df_r)
    return Greeks(
        price=np.where(itm, fwd_intrinsic, 0.0),
        delta=np.where(itm, sign * df_q, 0.0),
        gamma=zero,
        theta_per_day=np.where(itm & (t > 0), theta_per_year / _DAYS_PER_YEAR, 0.0),
        vega_per_pt=zero,
        rho_per_pt=np.where(itm, sign * k_df_r * t_pos * _PER_POINT, 0.0),
    )


def bsm_price(
    spot: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike = 0.0,
    div_yield: ArrayLike = 0.0,
    is_call: ArrayLike = True,
) -> NDArray[np.float64]:
    """BSM price of European options (arrays broadcast together)."""
    s, k, t, v, r, q, sign = _prepare(spot, strike, t_years, vol, rate, div_yield, is_call=is_call)
    live, t_live, v_live = _live(t, v)
    d1, d2 = _d1_d2(s, k, t_live, v_live, r, q)
    s_df_q = s * np.exp(-q * t_live)
    k_df_r = k * np.exp(-r * t_live)
    price = sign * (s_df_q * ndtr(sign * d1) - k_df_r * ndtr(sign * d2))
    price = np.where(live, price, _dead_greeks(s, k, t, r, q, sign).price)
    return np.where(_any_nan(s, k, t, v, r, q), np.nan, price)


def bsm_greeks(
    spot: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike = 0.0,
    div_yield: ArrayLike = 0.0,
    is_call: ArrayLike = True,
) -> Greeks:
    """BSM price and Greeks of European options (arrays broadcast together).

    Returns:
        Greeks with price, delta, gamma, theta_per_day (calendar day), vega_per_pt and
        rho_per_pt (per 0.01 of vol and of rate), each shaped like the broadcast inputs.
    """
    s, k, t, v, r, q, sign = _prepare(spot, strike, t_years, vol, rate, div_yield, is_call=is_call)
    live, t_live, v_live = _live(t, v)
    sqrt_t = np.sqrt(t_live)
    d1, d2 = _d1_d2(s, k, t_live, v_live, r, q)
    df_q = np.exp(-q * t_live)
    s_df_q = s * df_q
    k_df_r = k * np.exp(-r * t_live)
    n_d1 = ndtr(sign * d1)
    n_d2 = ndtr(sign * d2)
    s_df_q_pdf = s_df_q * _npdf(d1)
    theta_per_year = -s_df_q_pdf * v_live / (2.0 * sqrt_t) + sign * (
        q * s_df_q * n_d1 - r * k_df_r * n_d2
    )
    live_greeks = Greeks(
        price=sign * (s_df_q * n_d1 - k_df_r * n_d2),
        delta=sign * df_q * n_d1,
        gamma=s_df_q_pdf / (s * s * v_live * sqrt_t),
        theta_per_day=theta_per_year / _DAYS_PER_YEAR,
        vega_per_pt=s_df_q_pdf * sqrt_t * _PER_POINT,
        rho_per_pt=sign * k_df_r * t_live * n_d2 * _PER_POINT,
    )
    dead_greeks = _dead_greeks(s, k, t, r, q, sign)
    nan_in = _any_nan(s, k, t, v, r, q)
    return Greeks(
        *(
            np.where(nan_in, np.nan, np.where(live, alive, dead))
            for alive, dead in zip(live_greeks, dead_greeks, strict=True)
        )
    )


def bsm_gamma(
    spot: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike = 0.0,
    div_yield: ArrayLike = 0.0,
) -> NDArray[np.float64]:
    """BSM gamma alone (equal for calls and puts): what a gamma profile over many spots needs,
    at a sixth of the work of :func:`bsm_greeks`. 0 where vol * sqrt(t) is 0; NaN on NaN input.
    """
    s, k, t, v, r, q, _ = _prepare(spot, strike, t_years, vol, rate, div_yield, is_call=True)
    live, t_live, v_live = _live(t, v)
    vol_sqrt_t = v_live * np.sqrt(t_live)
    d1, _ = _d1_d2(s, k, t_live, v_live, r, q)
    gamma = np.exp(-q * t_live) * _npdf(d1) / (s * vol_sqrt_t)
    return np.where(_any_nan(s, k, t, v, r, q), np.nan, np.where(live, gamma, 0.0))


def _otm_call(x: NDArray[np.float64], std: NDArray[np.float64]) -> NDArray[np.float64]:
    """Normalised out-of-the-money call b(x, s) for x <= 0, s > 0."""
    d1 = x / std + 0.5 * std
    return np.exp(0.5 * x) * ndtr(d1) - np.exp(-0.5 * x) * ndtr(d1 - std)


def _otm_call_vega(x: NDArray[np.float64], std: NDArray[np.float64]) -> NDArray[np.float64]:
    """db/ds of the normalised call."""
    d1 = x / std + 0.5 * std
    return np.exp(0.5 * x) * _npdf(d1)


def _initial_std(
    x: NDArray[np.float64], beta: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """First guess of s and whether beta lies in the low branch that iterates on log b."""
    std_c = np.sqrt(-2.0 * x)
    std_c_safe = np.maximum(std_c, _TINY_STD)
    b_c = _otm_call(x, std_c_safe)
    # The tangent at the inflection point meets zero at s_l, splitting the convex branch.
    std_l = np.maximum(std_c - b_c / _otm_call_vega(x, std_c_safe), 0.0)
    b_l = _otm_call(x, np.maximum(std_l, _TINY_STD))
    b_max = np.exp(0.5 * x)
    low = beta < b_l
    high = beta >= b_c
    # Exact at the money: b_max - b = 2 N(-s/2) when x = 0.
    std_high = -2.0 * ndtri((b_max - beta) / (b_max + 1.0 / b_max))
    # Leading term of ln b = -x^2 / (2 s^2) + O(ln s) for small s.
    std_low = -x / np.sqrt(-2.0 * np.log(beta))
    std_mid = std_l + (std_c - std_l) * (beta - b_l) / (b_c - b_l)
    guess = np.where(
        high, np.maximum(std_high, std_c), np.where(low, np.minimum(std_low, std_l), std_mid)
    )
    return guess, low


def _halley_step(x, beta, std, b, vega, low) -> NDArray[np.float64]:
    vega_slope = x * x / std**3 - 0.25 * std
    dlogb_dstd = vega / b
    w = -2.0 * np.log(b)
    w_target = -2.0 * np.log(beta)
    newton = np.where(low, -w * (1.0 - np.sqrt(w / w_target)) / dlogb_dstd, (beta - b) / vega)
    curvature = np.where(low, 3.0 * dlogb_dstd / w + vega_slope - dlogb_dstd, vega_slope)
    halley = 1.0 + 0.5 * newton * curvature
    return np.where((halley > 0.5) & (halley < 2.0), newton / halley, newton)


def _solve_std(x, beta, std_lo, std_hi, tol: float, max_iter: int) -> NDArray[np.float64]:
    """s with b(x, s) = beta inside [std_lo, std_hi]; NaN where max_iter is reached first.

    Converged when the step is below tol * s, or when b - beta is within the rounding error
    of b itself: at high vol or deep in the money no step can be resolved further.
    """
    std, low = _initial_std(x, beta)
    std = np.where((std > std_lo) & (std < std_hi), std, np.sqrt(std_lo * std_hi))
    solved = np.full(x.shape, np.nan)
    pending = np.arange(x.size)
    lo, hi = std_lo, std_hi
    for _ in range(max_iter):
        d1 = x / std + 0.5 * std
        sqrt_fwd_moneyness = np.exp(0.5 * x)
        call_leg = sqrt_fwd_moneyness * ndtr(d1)
        put_leg = ndtr(d1 - std) / sqrt_fwd_moneyness
        b = call_leg - put_leg
        below = b < beta
        lo = np.where(below, std, lo)
        hi = np.where(below, hi, std)
        vega = sqrt_fwd_moneyness * _npdf(d1)
        step = _halley_step(x, beta, std, b, vega, low)
        nxt = std + step
        converged = (np.abs(step) <= tol * std) | (
            np.abs(b - beta) <= _ROUNDING_ULPS * _EPS * (call_leg + put_leg)
        )
        nxt = np.where((nxt >= lo) & (nxt <= hi), nxt, np.where(converged, std, np.sqrt(lo * hi)))
        done = converged | (hi - lo <= tol * nxt)
        solved[pending[done]] = nxt[done]
        if done.all():
            break
        keep = ~done
        pending, x, beta, std, lo, hi, low = (a[keep] for a in (pending, x, beta, nxt, lo, hi, low))
    return solved


def implied_vol(
    price: ArrayLike,
    spot: ArrayLike,
    strike: ArrayLike,
    t_years: ArrayLike,
    rate: ArrayLike = 0.0,
    div_yield: ArrayLike = 0.0,
    is_call: ArrayLike = True,
    *,
    tol: float = 1e-12,
    max_iter: int = 64,
) -> NDArray[np.float64]:
    """BSM implied vol of European option prices (arrays broadcast together).

    NaN, never a guess, where the price does not determine a vol: non-finite inputs,
    price <= 0, t_years <= 0, price at or below discounted forward intrinsic, price at or above
    S e^{-qT} (calls) or K e^{-rT} (puts), a vol outside [IV_VOL_MIN, IV_VOL_MAX], a vega so
    small that rounding the price by 4 ulps moves the vol by more than IV_VOL_RESOLUTION_MAX,
    or no convergence within max_iter.

    Args:
        tol: relative tolerance on the vol (the last Halley step, or the bracket width).
        max_iter: iterations before a still unconverged option is given NaN.

    Returns:
        Annualised vol as a decimal, shaped like the broadcast inputs.
    """
    p, s, k, t, r, q, sign = _prepare(
        price, spot, strike, t_years, rate, div_yield, is_call=is_call
    )
    shape = p.shape
    p, s, k, t, r, q, sign = (a.ravel() for a in (p, s, k, t, r, q, sign))
    vol = np.full(p.shape, np.nan)
    with np.errstate(all="ignore"):
        finite = np.isfinite(p) & np.isfinite(s) & np.isfinite(k) & np.isfinite(t)
        finite &= np.isfinite(r) & np.isfinite(q)
        idx = np.flatnonzero(finite & (p > 0) & (s > 0) & (k > 0) & (t > 0))
        p, s, k, t, r, q, sign = (a[idx] for a in (p, s, k, t, r, q, sign))
        fwd = s * np.exp((r - q) * t)
        sqrt_fk = np.sqrt(fwd * k)
        beta_total = p * np.exp(r * t) / sqrt_fk
        beta = beta_total - np.maximum(sign * (fwd - k), 0.0) / sqrt_fk
        x = -np.abs(np.log(fwd / k))
        sqrt_t = np.sqrt(t)
        std_lo = IV_VOL_MIN * sqrt_t
        std_hi = IV_VOL_MAX * sqrt_t
        ok = (beta >= _TINY_NORMAL) & (beta < np.exp(0.5 * x))
        ok &= (_otm_call(x, std_lo) <= beta) & (beta <= _otm_call(x, std_hi))
        idx, x, beta, beta_total, sqrt_t, std_lo, std_hi = (
            a[ok] for a in (idx, x, beta, beta_total, sqrt_t, std_lo, std_hi)
        )
        std = _solve_std(x, beta, std_lo, std_hi, tol, max_iter)
        resolution = _ROUNDING_ULPS * _EPS * beta_total / _otm_call_vega(x, std)
        determined = resolution / sqrt_t <= IV_VOL_RESOLUTION_MAX
        vol[idx] = np.where(determined, std / sqrt_t, np.nan)
    return vol.reshape(shape)
