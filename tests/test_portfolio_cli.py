import json

import pytest


def test_portfolio_init_add_list_remove(cli, data_dir):
    assert cli("portfolio", "init", "--cash", "10000").exit_code == 0
    r = cli(
        "portfolio",
        "add",
        "--symbol",
        "aapl",
        "--type",
        "call",
        "--strike",
        "200",
        "--expiry",
        "2026-12-18",
        "--qty",
        "2",
        "--price",
        "4.10",
    )
    assert r.exit_code == 0, r.output
    code, doc = cli.json(
        "portfolio",
        "add",
        "--symbol",
        "SPY",
        "--id",
        "spy-spread",
        "--leg",
        "put:600:2026-12-18:3:8.5",
        "--leg",
        "put:570:2026-12-18:-3:3.2",
    )
    assert code == 0
    spread = next(p for p in doc["positions"] if p["id"] == "spy-spread")
    assert [leg["quantity"] for leg in spread["legs"]] == [3, -3]
    code, doc = cli.json("portfolio", "list")
    assert [p["id"] for p in doc["positions"]] == ["aapl-1", "spy-spread"]
    assert doc["positions"][0]["symbol"] == "AAPL"
    assert cli("portfolio", "remove", "aapl-1").exit_code == 0
    code, doc = cli.json("portfolio", "list")
    assert [p["id"] for p in doc["positions"]] == ["spy-spread"]


def test_short_stock_and_covered_call_are_valid(cli):
    r = cli(
        "portfolio",
        "add",
        "--symbol",
        "NVDA",
        "--leg",
        "stock:100:180",
        "--leg",
        "call:200:2026-12-18:-1:2.5",
    )
    assert r.exit_code == 0, r.output


def test_stock_leg_is_saved_with_multiplier_one_and_option_leg_with_100(cli, data_dir):
    r = cli("portfolio", "add", "--symbol", "NVDA", "--leg", "stock:100:180")
    assert r.exit_code == 0, r.output
    r = cli("portfolio", "add", "--symbol", "NVDA", "--leg", "call:200:2026-12-18:-1:2.5")
    assert r.exit_code == 0, r.output
    doc = json.loads((data_dir / "portfolio.json").read_text())
    assert [p["legs"][0]["multiplier"] for p in doc["positions"]] == [1, 100]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"cash": 100, "positions": [', "malformed JSON at line 1"),
        (
            '{"positions": [{"id": "x", "symbol": "AAPL", "legs": [{"kind": "call", '
            '"quantity": 1, "entry_price": 1, "strike": -5, "expiry": "2026-12-18"}]}]}',
            "positions[0].legs[0].strike",
        ),
        ('{"positions": [{"id": "x", "symbol": "AAPL", "legs": []}]}', "positions[0].legs"),
        ('{"cash": "lots"}', "cash"),
        ('{"cash": NaN}', "cash: not a finite number (NaN)"),
        ('{"cash": 1e400}', "cash: not a finite number (Infinity"),
        ('{"cash": -Infinity}', "cash: not a finite number (Infinity"),
        (
            '{"positions": [{"id": "x", "symbol": "AAPL", "legs": [{"kind": "stock", '
            '"quantity": 1, "entry_price": NaN}]}]}',
            "positions[0].legs[0].entry_price: not a finite number",
        ),
        (
            '{"positions": [{"id": "x", "symbol": "AAPL", "legs": [{"kind": "stock", '
            '"quantity": 10, "entry_price": 100, "multiplier": 10}]}]}',
            "positions[0].legs[0]: a stock leg's quantity is in shares, so its multiplier "
            "must be 1, got 10",
        ),
    ],
)
def test_bad_portfolio_file_gives_one_line_exit_2_and_is_untouched(cli, data_dir, content, needle):
    path = data_dir / "portfolio.json"
    path.write_text(content)
    before = path.read_bytes()
    r = cli("portfolio", "add", "--symbol", "AAPL", "--leg", "stock:10:100")
    assert r.exit_code == 2
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert str(path) in lines[0].replace("\n", "") or "portfolio.json" in lines[0]
    assert needle in r.stderr
    assert "Traceback" not in r.output + r.stderr
    assert path.read_bytes() == before


def test_invalid_position_names_the_field_and_leaves_file_untouched(cli, data_dir):
    cli("portfolio", "init")
    path = data_dir / "portfolio.json"
    before = path.read_bytes()
    r = cli(
        "portfolio",
        "add",
        "--symbol",
        "AAPL",
        "--type",
        "call",
        "--strike",
        "200",
        "--qty",
        "1",
        "--price",
        "2",
    )
    assert r.exit_code == 2
    assert "legs[0]" in r.stderr and "strike and expiry" in r.stderr
    assert path.read_bytes() == before
    r = cli("portfolio", "add", "--symbol", "AAPL", "--leg", "call:200:2026-13-01:1:2")
    assert r.exit_code == 2 and "bad date" in r.stderr


def test_zero_quantity_is_rejected(cli):
    r = cli("portfolio", "add", "--symbol", "AAPL", "--leg", "stock:0:100")
    assert r.exit_code == 2 and "quantity must be non-zero" in r.stderr


def test_duplicate_id_is_rejected(cli):
    cli("portfolio", "add", "--symbol", "AAPL", "--id", "a", "--leg", "stock:10:100")
    r = cli("portfolio", "add", "--symbol", "AAPL", "--id", "a", "--leg", "stock:10:100")
    assert r.exit_code == 2 and "already exists" in r.stderr


def test_init_refuses_to_overwrite(cli, data_dir):
    cli("portfolio", "init", "--cash", "5")
    r = cli("portfolio", "init")
    assert r.exit_code == 2 and "--force" in r.stderr
    assert json.loads((data_dir / "portfolio.json").read_text())["cash"] == 5


def test_watchlists_add_remove_list(cli, data_dir):
    assert cli("watchlist", "add", "default", "aapl", "msft,spy").exit_code == 0
    code, doc = cli.json("watchlist", "list")
    assert code == 0
    assert doc["lists"]["default"] == ["AAPL", "MSFT", "SPY"]
    cli("watchlist", "remove", "default", "MSFT")
    code, doc = cli.json("watchlist", "list")
    assert doc["lists"]["default"] == ["AAPL", "SPY"]
    cli("watchlist", "remove", "default")
    code, doc = cli.json("watchlist", "list")
    assert code == 0
    assert doc["lists"] == {}
    r = cli("watchlist", "add", "x", "not a symbol!")
    assert r.exit_code == 2 and "invalid symbol" in r.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400"])
def test_non_finite_cash_or_price_from_flags_is_one_line_and_writes_nothing(cli, data_dir, value):
    path = data_dir / "portfolio.json"
    r = cli("portfolio", "init", "--cash", value)
    assert r.exit_code == 2, r.output
    assert "cash: Input should be a finite number" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert not path.exists()
    assert cli("portfolio", "init", "--cash", "10").exit_code == 0
    before = path.read_bytes()
    r = cli("portfolio", "add", "--symbol", "AAPL", "--leg", f"stock:10:{value}")
    assert r.exit_code == 2 and "entry_price: Input should be a finite number" in r.stderr
    r = cli("portfolio", "add", "-s", "AAPL", "--type", "stock", "--qty", "1", "--price", value)
    assert r.exit_code == 2 and "entry_price: Input should be a finite number" in r.stderr
    assert path.read_bytes() == before
