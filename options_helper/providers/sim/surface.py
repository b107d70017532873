"""The implied-volatility surface: SSVI with a power-law phi and a mean-reverting ATM term structure.

Total implied variance at log forward-moneyness ``k = log(K/F)`` and ATM total variance ``theta``:

    w(k, theta) = theta / 2 * (1 + rho phi k + sqrt((phi k + rho)^2 + 1 - rho^2))
    phi(theta)  = eta / (theta^gamma (1 + theta)^(1 - gamma))

With ``gamma`` in (0, 1/2] and ``eta (1 + |rho|) <= 2`` the surface is free of butterfly
arbitrage (Gatheral & Jacquier 2014, power-law parameterisation); since ``theta phi(theta)`` is
non-decreasing and ``theta(T)`` strictly increasing, it is free of calendar arbitrage too.

``theta(T)`` is the expected integrated variance under mean reversion from the current state:
``theta(T) = vbar T + (v_t - vbar) (1 - exp(-kappa T)) / kappa``, with both variances scaled by
the symbol's implied/realised premium. After a vol shock (v_t > vbar) the term structure of
implied vol is inverted; in calm markets it slopes upward.

Time convention: ACT/365 calendar days from the session to the expiry date (both at the 16:00
close), ``t_years = (expiry - session).days / 365``; on the expiry session itself (0 DTE) the
close-of-day snapshot uses ``ZERO_DTE_T_YEARS = 0.25 / 365`` so prices keep a little time value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from options_helper.providers.sim.underlying import symbol_params, underlying_path

ZERO_DTE_T_YEARS = 0.25 / 365.0


def year_fraction(expiry: ArrayLike, session: ArrayLike) -> NDArray[np.float64]:
    """ACT/365 years from ``session`` to ``expiry`` (datetime64[D] arrays), 0 DTE -> 0.25/365."""
    days = np.asarray(expiry, dtype="datetime64[D]") - np.asarray(session, dtype="datetime64[D]")
    t = days.astype(np.float64) / 365.0
    return np.where(t > 0, t, ZERO_DTE_T_YEARS)


def atm_total_variance(
    t_years: ArrayLike, var_now: ArrayLike, var_bar: float, kappa_per_year: float
) -> NDArray[np.float64]:
    """Expected integrated variance over [0, T] of a mean-reverting variance (increasing in T)."""
    t = np.asarray(t_years, dtype=np.float64)
    v = np.asarray(var_now, dtype=np.float64)
    return var_bar * t + (v - var_bar) * (-np.expm1(-kappa_per_year * t)) / kappa_per_year


def ssvi_phi(theta: ArrayLike, eta: float, gamma: float) -> NDArray[np.float64]:
    th = np.asarray(theta, dtype=np.float64)
    return eta / (th**gamma * (1.0 + th) ** (1.0 - gamma))


def ssvi_total_variance(
    k: ArrayLike, theta: ArrayLike, rho: float, eta: float, gamma: float
) -> NDArray[np.float64]:
    """SSVI total implied variance ``w(k, theta)``."""
    kk = np.asarray(k, dtype=np.float64)
    th = np.asarray(theta, dtype=np.float64)
    pk = ssvi_phi(th, eta, gamma) * kk
    return 0.5 * th * (1.0 + rho * pk + np.sqrt((pk + rho) ** 2 + 1.0 - rho * rho))


@dataclass(frozen=True, slots=True)
class SurfaceState:
    """The surface of one symbol on one session, or on several (``var_now`` an array).

    Variances are implied ones (the symbol's premium included).
    """

    var_now: float | NDArray[np.float64]
    var_bar: float
    kappa_per_year: float
    rho: float
    eta: float
    gamma: float

    def atm_total_variance(self, t_years: ArrayLike) -> NDArray[np.float64]:
        return atm_total_variance(t_years, self.var_now, self.var_bar, self.kappa_per_year)

    def total_variance(self, k: ArrayLike, t_years: ArrayLike) -> NDArray[np.float64]:
        """Total implied variance at log forward-moneyness ``k`` and maturity ``t_years``."""
        theta = self.atm_total_variance(t_years)
        return ssvi_total_variance(k, theta, self.rho, self.eta, self.gamma)

    def implied_vol(self, k: ArrayLike, t_years: ArrayLike) -> NDArray[np.float64]:
        t = np.asarray(t_years, dtype=np.float64)
        return np.sqrt(self.total_variance(k, t) / t)


def surface_state(seed: int, symbol: str, session_index: int | np.ndarray) -> SurfaceState:
    """The surface of ``symbol`` on global session index(es) ``session_index``."""
    p = symbol_params(seed, symbol)
    var = underlying_path(seed, symbol).var[session_index]
    premium = p.iv_premium**2
    return SurfaceState(
        var_now=float(var) * premium if np.ndim(var) == 0 else var * premium,
        var_bar=p.var_bar * premium,
        kappa_per_year=p.kappa_per_year,
        rho=p.skew_rho,
        eta=p.ssvi_eta,
        gamma=p.ssvi_gamma,
    )
