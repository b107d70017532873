"""Help, hints and docs that cannot drift from the code: each is checked against the CLI tree
and the settings registry, so a renamed command, flag or setting fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from typer.testing import CliRunner

from options_helper import config
from options_helper.cli.errors import ANYWHERE_FLAGS
from options_helper.cli.main import app
from options_helper.errors import BadInputError
from options_helper.jobs import daily
from options_helper.providers.registry import make_provider
from tests.cli_tree import leaf_commands, walk

ROOT_DIR = Path(__file__).resolve().parents[1]
PKG = ROOT_DIR / "options_helper"
CLI_DOC = ROOT_DIR / "docs" / "cli.md"
ROOT = next(walk())[1]
VALUE = "{}"  # what an f-string's replacement field becomes
# Strings that begin with "options-helper " but name the program, not a command line.
NOT_COMMAND_LINES = {
    "options-helper {}",  # the --version banner
    "options-helper configuration",  # the title of `config show`
    "options-helper — {}",  # the title of the console dashboard
}


# -- a command line against the Typer tree ----------------------------------------------------


def _options(command) -> dict:
    return {
        name: p
        for p in command.params
        if p.param_type_name == "option"
        for name in (*p.opts, *p.secondary_opts)
    }


def _tokens(line: str) -> list[str]:
    """Words of a command line as docs and hints write them: `[-s SYM]...`, `a\\|b`, `--x=v`."""
    out = []
    for word in line.replace("\\|", " ").split():
        word = word.strip("[]().,;").removesuffix("...").strip("[]")
        if word and word != "|":
            out.append(word)
    return out


def resolve(line: str, *, whole: bool = True) -> tuple[tuple[str, ...], list[str]]:
    """The command path a command line names (without `options-helper`), and what is wrong;
    ``whole=False`` accepts a line that stops at a group (a flag on its own)."""
    command, path, problems = ROOT, (), []
    words = _tokens(line)
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if re.fullmatch(r"-[a-zA-Z-][\w-]*(=.*)?", word):
            name, eq, _ = word.partition("=")
            option = _options(command).get(name)
            if option is None and (not path or name in ANYWHERE_FLAGS):
                option = _options(ROOT).get(name)
            if name == "--help":
                continue
            if option is None:
                problems.append(f"`{' '.join(path) or 'options-helper'}` has no option {name}")
            elif not option.is_flag and not eq:
                i += 1  # its value
            continue
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            continue  # an argument
        if word not in subcommands:
            problems.append(f"no command `{' '.join((*path, word))}`")
            break
        command, path = subcommands[word], (*path, word)
    if whole and hasattr(command, "commands") and "--help" not in words and not problems:
        problems.append(f"`{' '.join(path) or 'options-helper'}` is a group, not a command")
    return path, problems


def test_the_resolver_finds_what_is_wrong():
    assert resolve("ingest candles -s {} --start D --json") == (("ingest", "candles"), [])
    assert resolve("--data-dir X db gaps --asset=candles_daily") == (("db", "gaps"), [])
    assert resolve("ingest candle")[1] == ["no command `ingest candle`"]
    assert resolve("flow --sessions 3")[1] == ["`flow` has no option --sessions"]
    assert resolve("flow --data-dir X")[1] == ["`flow` has no option --data-dir"]
    assert resolve("derived")[1] == ["`derived` is a group, not a command"]


# -- every `options-helper ...` hint in the package ------------------------------------------


def _strings(tree: ast.AST):
    """Every string literal, f-strings whole with their fields as VALUE."""
    inside_fstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inside_fstrings.update(id(v) for v in node.values)
            parts = [v.value if isinstance(v, ast.Constant) else VALUE for v in node.values]
            yield node.lineno, "".join(map(str, parts))
    for node in ast.walk(tree):
        is_str = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_str and id(node) not in inside_fstrings:
            yield node.lineno, node.value


def _package_strings():
    for path in sorted([*PKG.rglob("*.py"), *(ROOT_DIR / "apps").rglob("*.py")]):
        for lineno, text in _strings(ast.parse(path.read_text())):
            yield f"{path.relative_to(ROOT_DIR)}:{lineno}", text


def _alternatives(span: str) -> list[str]:
    """`watchlist add NAME | remove | list` names `watchlist add NAME`, `watchlist remove`..."""
    first, *others = span.split(" | ")
    return [first, *(f"{first.split()[0]} {other}" for other in others)]


# A field right after the program name holds global options (" --data-dir X" or "").
GLOBAL_FLAGS_SLOT = "options-helper" + VALUE + " "


def command_hints() -> list[tuple[str, str]]:
    """(where, command line) of each `options-helper ...` in backticks, each backticked span
    that begins with a command's name (`db init`), and each string that is a command line
    (begins with "options-helper ")."""
    hints = []
    for where, text in _package_strings():
        for span in re.findall(r"`([^`]*)`", text):
            words = span.split()
            if words[:1] == ["options-helper"]:
                hints.append((where, span.removeprefix("options-helper ")))
            elif words and words[0] in ROOT.commands:
                hints += [(where, line) for line in _alternatives(span)]
        if text.startswith("options-helper ") and text not in NOT_COMMAND_LINES:
            hints.append((where, text.removeprefix("options-helper ")))
        elif text.startswith(GLOBAL_FLAGS_SLOT):  # f"options-helper{flags} ingest ..."
            hints.append((where, text.removeprefix(GLOBAL_FLAGS_SLOT)))
    return hints


def test_the_package_has_command_hints_to_check():
    lines = {line for _, line in command_hints()}
    assert "db init" in lines
    assert "portfolio remove" in lines  # from `portfolio init | add | remove | list`
    assert "ingest candles --symbol {} --start {} --end {}" in lines  # db gaps' backfill command


def test_every_command_hint_in_the_package_names_a_real_command_and_flags():
    bad = [
        f"{where}: options-helper {line}: {'; '.join(problems)}"
        for where, line in command_hints()
        for problems in [resolve(line)[1]]
        if problems
    ]
    assert bad == []


def test_every_flag_named_in_the_package_exists():
    flags = {"--help"}
    for _, command in walk():
        flags |= set(_options(command))
    unknown = [
        f"{where}: {flag}"
        for where, text in _package_strings()
        if " " in text  # prose and hints; a bare "--x" is an argument for another program
        for flag in re.findall(r"(?<![\w.-])(--[a-z][a-z0-9-]*)(?![\w-]|\.\w)", text)
        if flag not in flags
    ]
    assert unknown == []


# -- docs/cli.md against the tree ------------------------------------------------------------


def _section(title: str) -> str:
    text = CLI_DOC.read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else None]


def documented_commands() -> list[str]:
    """The command lines of the first column of docs/cli.md's command table; `a b` / `c`
    is `a b` and `a c`."""
    lines = []
    for row in _section("Commands").splitlines():
        if not row.startswith("| `"):
            continue
        first_cell = re.split(r"(?<!\\)\|", row)[1]
        spans = re.findall(r"`([^`]+)`", first_cell)
        group = spans[0].split()[0]
        lines += [spans[0], *(f"{group} {span}" for span in spans[1:])]
    return lines


def test_every_command_is_in_the_docs_and_every_documented_command_exists():
    documented = {}
    for line in documented_commands():
        path, problems = resolve(line)
        assert problems == [], f"docs/cli.md `{line}`: {problems}"
        documented[path] = line
    commands = {path for path, _ in leaf_commands()}
    assert sorted(" ".join(p) for p in commands - documented.keys()) == [], "not in docs/cli.md"
    assert sorted(" ".join(p) for p in documented.keys() - commands) == [], "not a command"


def test_the_docs_settings_table_is_the_registry():
    section = _section("Global options and settings")
    table = [row for row in section.splitlines() if row.startswith("| ")]
    assert "\n".join(table) == config.settings_markdown()


def test_every_setting_flag_exists():
    for setting in config.SETTINGS:
        if setting.flag:
            assert resolve(setting.flag, whole=False)[1] == [], setting


def _string_constants(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def _variables_read() -> dict[str, str]:
    """Every OPTIONS_HELPER_* name in the package's strings, and a file that names it."""
    found = {}
    for path in [*PKG.rglob("*.py"), *(ROOT_DIR / "apps").rglob("*.py")]:
        for text in _string_constants(path):
            for name in re.findall(r"\bOPTIONS_HELPER_[A-Z0-9_]*[A-Z0-9]\b", text):
                found.setdefault(name, str(path.relative_to(ROOT_DIR)))
    return found


CREDENTIALS = {"OPTIONS_HELPER_API_KEY"}  # redacted, never read, never shown


def test_config_show_and_the_docs_table_cover_every_variable_the_package_reads(cli):
    code, doc = cli.json("config", "show")
    assert code == 0
    shown = {s["env"] for s in doc["settings"]}
    documented = set(
        re.findall(
            r"^\| \w+ \| .*? \| `(OPTIONS_HELPER_\w+)` \|",
            _section("Global options and settings"),
            re.M,
        )
    )
    assert documented == shown
    assert shown == set(_variables_read()) - CREDENTIALS


def test_every_options_helper_variable_is_a_setting():
    registered = {s.env for s in config.SETTINGS} | set(config.NOT_SETTINGS)
    assert {n: p for n, p in _variables_read().items() if n not in registered} == {}
    assert set(config.NOT_SETTINGS) == CREDENTIALS


# -- help texts ------------------------------------------------------------------------------


def _help(*path: str) -> str:
    r = CliRunner().invoke(app, [*path, "--help"], terminal_width=400)
    assert r.exit_code == 0, r.output
    return re.sub(r"[\s│]+", " ", r.output)


RUN_DAILY_ORDER = (  # as test_run_ledger pins the child runs of `run daily`
    "candles",
    "option bars",
    "snapshots",
    "flow",
    "derived",
    "briefing",
    "dashboard",
    "checks",
)


def test_run_daily_help_lists_every_step_it_runs():
    assert " → ".join(RUN_DAILY_ORDER) in _help("run", "daily")
    assert [s.label for s in daily.STEPS] == list(RUN_DAILY_ORDER)
    assert daily.STEP_SUMMARY in _help("run")
    row = next(r for r in _section("Commands").splitlines() if r.startswith("| `run daily"))
    assert daily.STEP_SUMMARY in row


def test_the_provider_help_lists_the_providers_that_work():
    help_text = _help()
    provider_help = re.search(r"--provider TEXT (.*?) --", help_text).group(1)
    for name in config.PROVIDERS:
        try:
            make_provider(name)
            works = True
        except BadInputError:
            works = False
        assert (re.search(rf"\b{name}\b", provider_help) is not None) == works, (
            name,
            provider_help,
        )


def test_root_flags_help_comes_from_the_registry():
    help_text = _help()
    for setting in config.SETTINGS:
        if setting.flag and " " not in setting.flag:
            assert setting.cli_help in help_text, setting.name
    assert config.SETTINGS_BY_NAME["sim_seed"].cli_help in _help("demo")
