"""One-way imports (STYLE.md): enforced by scanning the package's import statements."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "options_helper"

# module prefix -> third-party packages only that layer may import
OWNERS = {
    "duckdb": "warehouse",
    "typer": "cli",
    "rich": "cli",
    "streamlit": "portal",
    "altair": "portal",
    "dagster": "orchestration",
}
LAYERS = [
    "domain",
    "providers",
    "warehouse",
    "observability",
    "jobs",
    "cli",
    "portal",
    "orchestration",
]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


def _layer(path: Path) -> str:
    return path.relative_to(PKG).parts[0]


def test_third_party_imports_stay_in_their_layer():
    bad = []
    for path in PKG.rglob("*.py"):
        for mod in _imports(path):
            top = mod.split(".")[0]
            if top in OWNERS and _layer(path) != OWNERS[top]:
                bad.append(f"{path.relative_to(PKG)} imports {mod}")
    assert bad == []


def test_layers_import_only_layers_above_them():
    bad = []
    for path in PKG.rglob("*.py"):
        layer = _layer(path)
        if layer not in LAYERS:
            continue
        for mod in _imports(path):
            parts = mod.split(".")
            if parts[0] != "options_helper" or len(parts) < 2 or parts[1] not in LAYERS:
                continue
            if LAYERS.index(parts[1]) > LAYERS.index(layer):
                bad.append(f"{path.relative_to(PKG)} imports {mod}")
    assert bad == []


def test_domain_does_no_io():
    forbidden = {"os", "pathlib", "open", "requests", "duckdb", "pyarrow.parquet"}
    bad = []
    for path in (PKG / "domain").rglob("*.py"):
        src = path.read_text()
        for mod in _imports(path):
            if mod in forbidden:
                bad.append(f"{path.name} imports {mod}")
        if "datetime.now(" in src or "date.today(" in src:
            bad.append(f"{path.name} reads the clock")
    assert bad == []
