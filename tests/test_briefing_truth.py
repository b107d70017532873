"""The briefing says what each number is: max pain changes within one expiry only, the straddle
move names its expiry and definition, IV rank shows how many sessions it rests on."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd

from options_helper.jobs.briefing_data import symbol_section
from options_helper.jobs.briefing_markdown import _symbol
from options_helper.warehouse import Warehouse

TODAY = date(2026, 11, 20)


def _store(config, rows: list[dict]) -> None:
    with duckdb.connect(str(config.db_path)) as conn:
        for r in rows:
            cols = ["symbol", *r, "provider", "simulated", "computed_at"]
            values = ["AAPL", *r.values(), "sim", True, "2026-11-20 22:00:00"]
            conn.execute(
                f"INSERT INTO derived_metrics ({', '.join(cols)}) "
                f"VALUES ({', '.join('?' for _ in cols)})",
                values,
            )


def _row(session: date, max_pain: float, expiry: date, iv30: float = 0.25) -> dict:
    return {
        "session": session,
        "spot": 250.0,
        "max_pain": max_pain,
        "max_pain_expiry": expiry,
        "iv30": iv30,
        "atm_iv": iv30,
        "atm_iv_expiry": date(2026, 11, 27),
        "expected_move_straddle_usd": 6.85,
        "expected_move_iv30_usd": 18.15,
    }


def _section(cli, config, rows: list[dict]) -> tuple[dict, str]:
    assert cli("db", "init").exit_code == 0
    _store(config, rows)
    with Warehouse.for_config(config).reader() as conn:
        section = symbol_section(conn, "AAPL", TODAY)
    return section, "\n".join(_symbol(section))


def test_max_pain_across_an_expiry_roll_names_both_expiries_not_a_change(cli, config):
    section, text = _section(
        cli,
        config,
        [
            _row(date(2026, 11, 19), 235.0, date(2026, 11, 20)),
            _row(TODAY, 247.5, date(2026, 11, 27)),
        ],
    )
    assert section["changes"]["max_pain"] is None
    assert section["changes"]["max_pain_expiry_prev"] == "2026-11-20"
    assert "max pain 247.5 (2026-11-27) vs 235 (2026-11-20), different expiries" in text
    assert "max pain +12.5" not in text


def test_max_pain_change_within_one_expiry_is_a_difference(cli, config):
    section, text = _section(
        cli,
        config,
        [
            _row(date(2026, 11, 19), 240.0, date(2026, 11, 27)),
            _row(TODAY, 247.5, date(2026, 11, 27)),
        ],
    )
    assert section["changes"]["max_pain"] == 7.5
    assert "max pain +7.5" in text and "different expiries" not in text


def test_straddle_move_names_its_expiry_and_definition(cli, config):
    _, text = _section(cli, config, [_row(TODAY, 247.5, date(2026, 11, 27))])
    assert "±6.85 (ATM straddle to 2026-11-27: mean absolute move)" in text
    assert "±18.15 (IV30: 1σ over 30 days)" in text


def test_iv_rank_shows_its_session_count_under_a_year(cli, config):
    rows = [_row(TODAY - timedelta(days=40 - i), 240.0, date(2026, 12, 31), 0.2) for i in range(30)]
    rows.append(_row(TODAY, 247.5, date(2026, 12, 31), 0.3))
    section, text = _section(cli, config, rows)
    assert section["iv_rank_sessions"] == 31
    assert "IV pctile n/a (31 of 252 sessions)" in text


def test_iv_rank_sessions_counts_finite_values_in_the_window():
    from options_helper.domain.derived_vol import iv_rank_sessions

    history = pd.Series([0.2] * 300 + [float("nan")])
    assert iv_rank_sessions(0.3, history) == 251  # 250 finite of the last 251, plus today
    assert iv_rank_sessions(float("nan"), pd.Series([0.2, 0.3])) == 2
