"""Price indicators on a close series (pure, vectorised pandas; one value per session).

Every function returns a series aligned to its input, NaN until enough history exists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RSI_SESSIONS = 14
TREND_FAST_SESSIONS = 20
TREND_SLOW_SESSIONS = 50
# The fast SMA's slope is measured over this many sessions.
TREND_SLOPE_SESSIONS = 5
RETURN_SESSIONS = (1, 5, 20)


def sma(close: pd.Series, window: int) -> pd.Series:
    """Simple moving average over ``window`` sessions."""
    return close.astype(float).rolling(window, min_periods=window).mean()


def ema(close: pd.Series, span: int) -> pd.Series:
    """Exponential moving average, alpha = 2 / (span + 1), seeded with the first close.

    NaN for the first ``span − 1`` sessions, while the seed still dominates.
    """
    return close.astype(float).ewm(span=span, adjust=False, min_periods=span).mean()


def _wilder_mean(values: pd.Series, n: int) -> pd.Series:
    """Wilder's smoothing: the first value is the simple mean of values[1..n], then
    avg_t = avg_{t−1} + (x_t − avg_{t−1}) / n."""
    out = pd.Series(np.nan, index=values.index)
    if len(values) <= n:
        return out
    seeded = values.iloc[n:].copy()
    seeded.iloc[0] = values.iloc[1 : n + 1].mean()
    out.iloc[n:] = seeded.ewm(alpha=1.0 / n, adjust=False).mean().to_numpy()
    return out


def rsi(close: pd.Series, n: int = RSI_SESSIONS) -> pd.Series:
    """Wilder's RSI: 100 × avg gain / (avg gain + avg loss), 0–100.

    The first value is at position ``n`` (n price changes); NaN where the price did not move
    at all over the averaging (0 / 0).
    """
    change = close.astype(float).diff()
    gain = _wilder_mean(change.clip(lower=0.0), n)
    loss = _wilder_mean((-change).clip(lower=0.0), n)
    total = gain + loss
    return (100.0 * gain / total).where(total > 0)


def returns_pct(close: pd.Series, sessions: tuple[int, ...] = RETURN_SESSIONS) -> pd.DataFrame:
    """Simple returns over n sessions (trading days), in percent: ``return_<n>d_pct``."""
    c = close.astype(float)
    return pd.DataFrame({f"return_{n}d_pct": 100.0 * (c / c.shift(n) - 1.0) for n in sessions})


def trend_labels(close: pd.Series) -> pd.Series:
    """'up', 'down' or 'sideways' per session; None until SMA50 and the slope exist.

    up: close > SMA20 > SMA50 and SMA20 higher than 5 sessions ago; down: the mirror image
    (close < SMA20 < SMA50, SMA20 lower than 5 sessions ago); anything else is sideways.
    """
    c = close.astype(float)
    fast = sma(c, TREND_FAST_SESSIONS)
    slow = sma(c, TREND_SLOW_SESSIONS)
    slope = fast - fast.shift(TREND_SLOPE_SESSIONS)
    up = (c > fast) & (fast > slow) & (slope > 0)
    down = (c < fast) & (fast < slow) & (slope < 0)
    known = c.notna() & slow.notna() & slope.notna()
    label = np.select([~known, up, down], [None, "up", "down"], default="sideways")
    return pd.Series(label, index=close.index, dtype=object)


def trend_label(close: pd.Series) -> str | None:
    """The latest session's trend label (see trend_labels), or None without enough history."""
    labels = trend_labels(close)
    return labels.iloc[-1] if len(labels) else None


def indicator_summary(close: pd.Series) -> dict:
    """Latest close, SMA20, SMA50, EMA20, RSI14, trend label and 1/5/20-session returns."""
    values = {
        "close": close.astype(float),
        "sma20": sma(close, TREND_FAST_SESSIONS),
        "sma50": sma(close, TREND_SLOW_SESSIONS),
        "ema20": ema(close, TREND_FAST_SESSIONS),
        "rsi14": rsi(close),
        **returns_pct(close),
    }
    out = {k: (float(v.iloc[-1]) if len(v) else float("nan")) for k, v in values.items()}
    out["trend"] = trend_label(close)
    return out
