import json
import subprocess
import sys

from tests.lock_holder import write_lock_held


def test_config_show_reports_sources(cli, data_dir):
    code, doc = cli.json("config", "show")
    assert code == 0
    settings = {s["name"]: s for s in doc["settings"]}
    assert settings["data_dir"]["value"] == str(data_dir)
    assert settings["data_dir"]["source"] == "flag"
    assert settings["provider"]["value"] == "sim" and settings["provider"]["source"] == "default"
    assert settings["db"]["value"] == str(data_dir / "warehouse.duckdb")


def test_env_var_sets_a_setting(cli):
    code, doc = cli.json(
        "config", "show", env={"OPTIONS_HELPER_PROVIDER": "sim", "OPTIONS_HELPER_SIM_SEED": "11"}
    )
    assert code == 0
    settings = {s["name"]: s for s in doc["settings"]}
    assert settings["sim_seed"]["value"] == 11 and settings["sim_seed"]["source"] == "env"


def test_unknown_provider_is_one_line(cli):
    r = cli("--provider", "bloomberg", "config", "show")
    assert r.exit_code == 2
    assert "unknown provider 'bloomberg'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_real_providers_say_they_are_not_available_yet(cli):
    r = cli("--provider", "yahoo", "ingest", "candles", "-s", "AAPL")
    assert r.exit_code == 2 and "--provider sim" in r.stderr


def test_db_status_never_creates_and_init_does(cli, data_dir):
    code, doc = cli.json("db", "status")
    assert code == 0 and doc["exists"] is False
    assert not (data_dir / "warehouse.duckdb").exists()
    code, doc = cli.json("db", "init")
    assert code == 0 and doc["applied"]
    code, doc = cli.json("db", "status")
    assert doc["up_to_date"] is True and doc["pending"] == []


def test_no_symbols_selected_is_a_clear_error(cli):
    r = cli("ingest", "candles")
    assert r.exit_code == 2 and "no symbols selected" in r.stderr


def test_unknown_watchlist_lists_known_ones(cli):
    cli("watchlist", "add", "tech", "AAPL")
    r = cli("ingest", "candles", "--watchlist", "nope")
    assert r.exit_code == 2 and "known: tech" in r.stderr


def test_module_entry_point_runs(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "options_helper", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("options-helper ")


def test_health_says_warehouse_busy_when_locked(cli, data_dir):
    cli("db", "init")
    with write_lock_held(data_dir / "warehouse.duckdb"):
        r = cli("db", "health", env={"OPTIONS_HELPER_LOCK_WAIT_S": "0.5"})
    assert r.exit_code == 1
    assert "warehouse busy" in r.stderr
    assert "no data" not in r.output


def test_json_and_debug_may_follow_the_command(cli):
    before = cli("--json", "db", "status")
    after = cli("db", "status", "--json")
    assert before.exit_code == after.exit_code == 0
    assert json.loads(after.stdout) == json.loads(before.stdout)


def test_an_unknown_option_is_a_usage_error_not_an_internal_error(cli):
    r = cli("db", "status", "--jsn")
    assert r.exit_code == 2
    assert "No such option: --jsn" in r.output
    assert "internal error" not in r.output


def test_ui_says_when_its_port_is_taken(cli):
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = cli("ui", "--port", str(port))
    assert r.exit_code == 2
    assert f"port {port} on 127.0.0.1 is in use" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_ui_rejects_a_port_that_is_not_one(cli):
    r = cli("ui", "--port", "70000")
    assert r.exit_code == 2 and "is not a TCP port" in r.stderr
