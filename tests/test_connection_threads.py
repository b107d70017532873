"""Threads of one process opening warehouse connections at once (the run ledger's background
thread does this while the job writes)."""

from __future__ import annotations

import threading

import pyarrow as pa
import pytest

from options_helper.warehouse import Warehouse


def _hammer(wh: Warehouse, threads: int = 4, rounds: int = 25) -> list[str]:
    errors: list[str] = []
    table = pa.table({"x": list(range(100))})

    def work(i: int) -> None:
        for _ in range(rounds):
            try:
                with wh.writer() as conn:
                    conn.register("incoming", table)
                    conn.execute("INSERT INTO t SELECT x FROM incoming")
                    conn.unregister("incoming")
            except Exception as exc:  # collected: the assertion shows them all
                errors.append(f"{type(exc).__name__}: {exc}")

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return errors


@pytest.fixture
def wh(tmp_path) -> Warehouse:
    w = Warehouse(tmp_path / "w.duckdb")
    with w.writer() as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
    return w


def test_concurrent_connections_in_one_process_all_work(wh):
    assert _hammer(wh) == []
    with wh.reader() as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 4 * 25 * 100
