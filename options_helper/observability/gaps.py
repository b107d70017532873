"""``db gaps``: expected XNYS sessions missing from the data, as ranges with backfill commands,
and derived rows whose source snapshot is gone.

Every asset the pipeline writes is covered. A snapshot session counts as stored only when its
index row exists *and* its file is on disk (a Parquet file deleted by hand keeps its index row,
and is a gap all the same); a briefing session counts when its Markdown file is on disk.
Commands carry ``--data-dir`` / ``--db`` when those are not the defaults, so a pasted command
fills the warehouse that was inspected, not ``./data``.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from options_helper.config import SETTINGS_BY_NAME
from options_helper.domain import calendar
from options_helper.files.present import present_files
from options_helper.warehouse import Warehouse
from options_helper.warehouse.ledger import query_rows
from options_helper.warehouse.migrate import require_schema
from options_helper.warehouse.research import derived_sources

# asset -> sql returning (symbol, session) of stored data; snapshots add the file's path.
GAP_ASSETS = {
    "candles_daily": "SELECT symbol, session FROM candles_daily GROUP BY ALL",
    "options_bars": "SELECT underlying, session FROM options_bars GROUP BY ALL",
    "options_snapshot_file": "SELECT symbol, data_date, path FROM options_snapshots",
    "options_flow": "SELECT symbol, session FROM options_flow GROUP BY ALL",
    "derived_metrics": "SELECT symbol, session FROM derived_metrics GROUP BY ALL",
}
# Per-session, not per-symbol: stored as files under <data>/reports/briefing/.
BRIEFING_ASSET = "briefing_markdown"
ALL_SYMBOLS = "*"
# Assets whose rows can outlive what they were computed from (also listed as orphans).
ORPHAN_ASSETS = ("derived_metrics",)
GAPS_ASSET_KEYS = (*GAP_ASSETS, BRIEFING_ASSET)
INDEX_ROW_GONE = "snapshot index row gone"
FILE_MISSING = "snapshot file missing"


def global_flags(data_dir: Path | None = None, db_path: Path | None = None) -> str:
    """`` --data-dir X`` / `` --db Y`` (leading space) where they differ from the defaults
    (absolute paths, shell-quoted), so a command works pasted into any directory; else ""."""
    parts = [""]
    default_dir = Path(SETTINGS_BY_NAME["data_dir"].default).resolve()
    if data_dir is not None and data_dir.resolve() != default_dir:
        parts += ["--data-dir", shlex.quote(str(data_dir.resolve()))]
    default_db = (data_dir if data_dir is not None else default_dir).resolve() / "warehouse.duckdb"
    if db_path is not None and db_path.resolve() != default_db:
        parts += ["--db", shlex.quote(str(db_path.resolve()))]
    return " ".join(parts)


def backfill_command(asset: str, symbol: str, start: date, end: date, *, flags: str = "") -> str:
    """The exact command that fills ``[start, end]`` for one symbol.

    Args:
        flags: ``global_flags(data_dir, db_path)`` of the warehouse inspected. The commands are
            written out as `options-helper{flags} ...` so the docs-drift test checks them.
    """
    if asset == "candles_daily":
        return f"options-helper{flags} ingest candles --symbol {symbol} --start {start} --end {end}"
    if asset == "options_bars":
        days = (end - start).days + 1
        return f"options-helper{flags} ingest options-bars --symbol {symbol} --end {end} --lookback-days {days}"
    if asset == "options_flow":
        window = calendar.sessions_distance(start, end) + 1
        return f"options-helper{flags} flow --symbol {symbol} --as-of {end} --window {window}"
    if asset == "derived_metrics":
        return f"options-helper{flags} derived update --symbol {symbol} --start {start} --end {end}"
    if asset == BRIEFING_ASSET:
        # One briefing per session: the command only takes --as-of.
        return " && ".join(
            f"options-helper{flags} briefing --as-of {d}"
            for d in calendar.sessions_between(start, end)
        )
    if start == end:
        return f"options-helper{flags} snapshot-options --symbol {symbol} --as-of {start}"
    return f"options-helper{flags} snapshot-options --symbol {symbol} --start {start} --end {end}"


@dataclass
class GapRange:
    asset_key: str
    symbol: str
    start: date
    end: date
    sessions: int
    command: str


@dataclass
class OrphanRange:
    """Derived rows of one symbol whose source snapshot is gone, for one reason."""

    asset_key: str
    symbol: str
    start: date
    end: date
    sessions: int
    reason: str
    command: str


@dataclass
class GapsReport:
    as_of: date
    gaps: list[GapRange] = field(default_factory=list)
    checked: list[dict[str, Any]] = field(default_factory=list)
    orphans: list[OrphanRange] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "success" if not self.gaps and not self.orphans else "gaps"

    def asdict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "gaps": [asdict(g) for g in self.gaps],
            "orphans": [asdict(o) for o in self.orphans],
            "checked": self.checked,
        }


def missing_ranges(stored: list[date], first: date, last: date) -> list[tuple[date, date, int]]:
    """Runs of consecutive XNYS sessions in [first, last] absent from ``stored``."""
    expected = calendar.sessions_between_d64(first, last)
    have = np.array(sorted(stored), dtype="datetime64[D]")
    missing_idx = np.flatnonzero(~np.isin(expected, have))
    if missing_idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(missing_idx) > 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [missing_idx.size - 1]])
    return [
        (
            expected[missing_idx[s]].astype(object),
            expected[missing_idx[e]].astype(object),
            int(e - s + 1),
        )
        for s, e in zip(starts, ends, strict=True)
    ]


def find_gaps(
    warehouse: Warehouse,
    *,
    data_dir: Path,
    as_of: date,
    assets: list[str] | None = None,
    symbols: list[str] | None = None,
    lookback_sessions: int | None = None,
    db_path: Path | None = None,
) -> GapsReport:
    """Missing sessions per asset and symbol, from each symbol's first stored session (or the
    last ``lookback_sessions``) through ``as_of``; and derived rows whose snapshot is gone.

    Args:
        data_dir: the data root snapshot paths are relative to (missing files are gaps).
        db_path: the warehouse file, named in the commands when not the default.
    """
    require_schema(warehouse)
    report = GapsReport(as_of)
    flags = global_flags(data_dir, db_path)
    floor = calendar.sessions_ending(as_of, lookback_sessions)[0] if lookback_sessions else None
    wanted = assets or list(GAPS_ASSET_KEYS)
    with warehouse.reader() as conn:
        data = {a: query_rows(conn, GAP_ASSETS[a]) for a in wanted if a in GAP_ASSETS}
        sources = derived_sources(conn, symbols) if "derived_metrics" in wanted else []
    for asset, rows in data.items():
        if symbols:  # before listing snapshot folders: only the symbols asked about
            rows = [r for r in rows if r[0] in symbols]
        _asset_gaps(report, asset, _by_symbol(asset, rows, data_dir), floor, flags)
    if BRIEFING_ASSET in wanted:
        briefed = _briefing_sessions(data_dir)
        if briefed:
            _asset_gaps(report, BRIEFING_ASSET, {ALL_SYMBOLS: (briefed, briefed)}, floor, flags)
    report.orphans = _orphans(sources, data_dir, floor, flags)
    return report


def _briefing_sessions(data_dir: Path) -> list[date]:
    """Sessions with a briefing Markdown file under ``<data>/reports/briefing/``."""
    out = []
    for path in (data_dir / "reports" / "briefing").glob("*.md"):
        try:
            out.append(date.fromisoformat(path.stem))
        except ValueError:
            continue  # not a briefing of ours
    return out


def _by_symbol(
    asset: str, rows: list[tuple], data_dir: Path
) -> dict[str, tuple[list[date], list[date]]]:
    """symbol -> (every stored date, the dates whose data is really there).

    They differ only for snapshots: an index row whose file is missing is not data."""
    present = None
    if asset == "options_snapshot_file":
        present = present_files(data_dir, [r[2] for r in rows])
    out: dict[str, tuple[list[date], list[date]]] = {}
    for sym, d, *path in rows:
        indexed, have = out.setdefault(sym, ([], []))
        indexed.append(d)
        if present is None or path[0] in present:
            have.append(d)
    return out


def _asset_gaps(
    report: GapsReport,
    asset: str,
    by_symbol: dict[str, tuple[list[date], list[date]]],
    floor: date | None,
    flags: str,
) -> None:
    as_of = report.as_of
    for sym in sorted(by_symbol):
        indexed, have = by_symbol[sym]
        first = max(min(indexed), floor) if floor else min(indexed)
        if first > as_of:
            continue
        ranges = missing_ranges(have, first, as_of)
        checked = {
            "asset_key": asset,
            "symbol": sym,
            "first": first,
            "missing": sum(r[2] for r in ranges),
        }
        if asset == "options_snapshot_file":
            checked["files_missing"] = sum(1 for d in set(indexed) - set(have) if first <= d)
        report.checked.append(checked)
        for start, end, n in ranges:
            report.gaps.append(
                GapRange(
                    asset,
                    sym,
                    start,
                    end,
                    n,
                    backfill_command(asset, sym, start, end, flags=flags),
                )
            )


def _orphans(
    sources: list[tuple[str, date, str | None]], data_dir: Path, floor: date | None, flags: str
) -> list[OrphanRange]:
    """Derived rows whose snapshot index row is gone or whose file is missing, one entry per
    symbol and reason, with the command that removes them (`derived update`)."""
    present = present_files(data_dir, [p for _, _, p in sources if p is not None])
    found: dict[tuple[str, str], list[date]] = {}
    for sym, session, path in sources:
        if floor and session < floor:
            continue
        if path is None:
            found.setdefault((sym, INDEX_ROW_GONE), []).append(session)
        elif path not in present:
            found.setdefault((sym, FILE_MISSING), []).append(session)
    return [
        OrphanRange(
            "derived_metrics",
            sym,
            min(days),
            max(days),
            len(days),
            reason,
            f"options-helper{flags} derived update --symbol {sym}",
        )
        for (sym, reason), days in sorted(found.items())
    ]
