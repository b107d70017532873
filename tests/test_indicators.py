"""Indicators pinned on tiny series (arithmetic in the comments)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from options_helper.domain.indicators import (
    ema,
    indicator_summary,
    returns_pct,
    rsi,
    sma,
    trend_label,
    trend_labels,
)


def _nan_list(series: pd.Series) -> list:
    return [None if np.isnan(v) else pytest.approx(v) for v in series]


def test_sma():
    assert _nan_list(sma(pd.Series([1, 2, 3, 4, 5]), 3)) == [None, None, 2.0, 3.0, 4.0]


def test_ema_is_seeded_with_the_first_close():
    # span 3 -> alpha 0.5: 1, 1.5, 2.25, 3.125, 4.0625; shown from the 3rd value on
    assert _nan_list(ema(pd.Series([1, 2, 3, 4, 5]), 3)) == [None, None, 2.25, 3.125, 4.0625]


def test_rsi_uses_wilder_smoothing_seeded_with_a_simple_mean():
    closes = pd.Series([1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 8, 7, 8, 9, 10.0])
    # changes: + + - + + + - + + + + - + + | +
    # first 14: gains 11, losses 3 -> avg gain 11/14, avg loss 3/14 -> RSI 100·11/14 = 78.571
    # next +1: gain (11/14·13 + 1)/14 = 157/196, loss (3/14·13)/14 = 39/196 -> 100·157/196
    out = rsi(closes)
    assert out.iloc[:14].isna().all()
    assert out.iloc[14] == pytest.approx(100 * 11 / 14)
    assert out.iloc[15] == pytest.approx(100 * 157 / 196)


def test_rsi_extremes():
    assert rsi(pd.Series(np.arange(1.0, 20.0))).iloc[-1] == 100.0
    assert rsi(pd.Series(np.arange(20.0, 1.0, -1))).iloc[-1] == 0.0
    assert np.isnan(rsi(pd.Series([5.0] * 20)).iloc[-1])  # no movement: 0/0
    assert rsi(pd.Series([1.0, 2.0])).isna().all()


def test_returns_in_percent_over_sessions():
    out = returns_pct(pd.Series([100.0, 110.0, 121.0]), sessions=(1, 2))
    assert list(out.columns) == ["return_1d_pct", "return_2d_pct"]
    assert out["return_1d_pct"].iloc[-1] == pytest.approx(10.0)  # 121/110 - 1
    assert out["return_2d_pct"].iloc[-1] == pytest.approx(21.0)  # 121/100 - 1
    assert np.isnan(out["return_2d_pct"].iloc[1])


def test_trend_labels():
    rising = pd.Series(np.linspace(100, 160, 60))
    labels = trend_labels(rising)
    # SMA50 exists from position 49, the 5-session SMA20 slope from 24: first label at 49.
    assert labels.iloc[:49].isna().all()
    assert labels.iloc[49] == "up"
    assert trend_label(pd.Series(np.linspace(160, 100, 60))) == "down"
    zigzag = pd.Series([100.0, 101.0] * 30)
    assert trend_label(zigzag) == "sideways"
    # A bounce above SMA20 while SMA20 is still below SMA50 is neither up nor down.
    v_shape = pd.Series(np.r_[np.linspace(150, 100, 55), [110.0, 125.0]])
    assert trend_label(v_shape) == "sideways"
    assert trend_label(pd.Series([1.0, 2.0])) is None
    assert trend_label(pd.Series([], dtype=float)) is None


def test_indicator_summary():
    closes = pd.Series(np.linspace(100, 160, 60))
    s = indicator_summary(closes)
    assert s["close"] == 160.0
    assert s["sma20"] == pytest.approx(closes.iloc[-20:].mean())
    assert s["rsi14"] == 100.0
    assert s["trend"] == "up"
    assert s["return_1d_pct"] == pytest.approx(100 * (160 / closes.iloc[-2] - 1))
