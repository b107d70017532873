"""The wheel carries every data file the package needs (migrations, portal theme and font),
so `options-helper ui` and `db init` work after a non-editable install."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import options_helper

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(options_helper.__file__).resolve().parent


def test_every_non_python_file_in_the_package_is_declared_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["options_helper"]
    files = [
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    ]
    assert files, "expected data files (migrations, portal theme, font)"
    undeclared = [f for f in files if not any(fnmatch.fnmatch(f, pat) for pat in patterns)]
    assert undeclared == []


def test_repo_root_entry_shares_the_packaged_theme_and_font():
    """`streamlit run apps/streamlit/streamlit_app.py` from the repo root reads
    .streamlit/config.toml there and serves apps/streamlit/static: both link to the package."""
    assert (ROOT / ".streamlit" / "config.toml").resolve() == (
        PACKAGE / "portal" / ".streamlit" / "config.toml"
    )
    assert (ROOT / "apps" / "streamlit" / "static").resolve() == PACKAGE / "portal" / "static"
    theme = tomllib.loads((PACKAGE / "portal" / ".streamlit" / "config.toml").read_text())
    assert theme["server"]["enableStaticServing"] is True
    for face in theme["theme"]["fontFaces"]:
        assert (PACKAGE / "portal" / "static" / Path(face["url"]).name).exists(), face
    assert theme["theme"]["backgroundColor"] == "#1d293d"
    assert theme["theme"]["primaryColor"] == "#615fff"
