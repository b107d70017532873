"""Numbers in the briefing print as a trader reads them."""

from __future__ import annotations

import numpy as np

from options_helper.jobs.briefing_markdown import _f


def test_half_cent_marks_round_half_up():
    assert _f(5.475) == "5.48"  # the binary float is 5.47499…; format() alone prints 5.47
    assert _f(0.125) == "0.13"
    assert _f(-2.345, "+,.2f") == "-2.35"
    assert _f(1234.5, ",.0f") == "1,235"
    assert _f(np.float64(5.475)) == "5.48"  # numpy scalars too


def test_other_values_format_as_before():
    assert _f(None) == "n/a"
    assert _f(float("nan")) == "nan"
    assert _f(101.0, "g") == "101"
    assert _f("x") == "x"
