"""The portal in a real headless Chromium against a real `options-helper ui` server.

A demo warehouse is built once per module (`options-helper demo`, a subprocess). Each test starts
the portal as its own process group and always kills it. What is proven here:

- every page renders (title, SIMULATED DATA banner, packaged theme and Space Grotesk font, no
  exception) and a screenshot of each is saved;
- selections in the URL query make a view bookmarkable;
- the portal keeps answering while another process ingests (DESIGN.md "Concurrency"): two real
  processes, the query cache off so every reload reads DuckDB;
- with no warehouse every page says so in one line instead of failing;
- the portal is inert: hostile URL values on every page and a briefing with remote images and
  links make the browser request nothing but the portal itself, and nothing on the page links
  elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest

pytest.importorskip("streamlit")
sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.slow, pytest.mark.browser]

OH = [sys.executable, "-m", "options_helper"]
END = date(2026, 11, 20)
DEMO_SESSIONS = 3
NEXT_SESSION = date(2026, 11, 23)  # the session after END: what the concurrent ingest writes

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1500, "height": 1100}
# The script has finished running and the browser is connected to the server.
READY = (
    '[data-testid="stApp"][data-test-script-state="notRunning"]'
    '[data-test-connection-state="CONNECTED"]'
)
BACKGROUND = "rgb(29, 41, 61)"  # theme.backgroundColor #1d293d
FONT_URL_PATH = "/app/static/space-grotesk-latin-300-normal.woff2"

# url path -> the page's title (st.title)
PAGES = {
    "": "Pipeline health",
    "portfolio": "Portfolio",
    "symbol": "Symbol explorer",
    "flow": "Open-interest flow",
    "derived": "Derived history",
    "briefings": "Daily briefings",
    "gaps": "Gaps & backfill",
}
# Pages whose first read is the warehouse; with none they must say "no warehouse at <db>".
WAREHOUSE_PAGES = ("", "symbol", "flow", "derived", "gaps")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTIONS_HELPER_")}
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; .ci/run installs it


# -- the portal process ----------------------------------------------------------------------


@dataclass
class Portal:
    url: str
    proc: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, n: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])


def _stop(proc: subprocess.Popen) -> None:
    """Terminate the portal's whole process group (`ui` and its Streamlit child)."""
    for sig, wait_s in ((signal.SIGTERM, 15), (signal.SIGKILL, 15)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait_s)
            # The Streamlit child may outlive `ui` for a moment: make sure the group is gone.
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            break
        except subprocess.TimeoutExpired:
            continue
    if proc.poll() is None:
        proc.wait(timeout=15)


@contextmanager
def _portal(data_dir: Path, log_dir: Path, **env: str) -> Iterator[Portal]:
    port = _free_port()
    log = log_dir / f"portal-{port}.log"
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [*OH, "--data-dir", str(data_dir), "ui", "--port", str(port)],
            env=_env(**env),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    portal = Portal(f"http://127.0.0.1:{port}", proc, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the portal exited with {proc.returncode}:\n{portal.log_tail()}")
            try:
                with urllib.request.urlopen(f"{portal.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200 and r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the portal did not become healthy:\n{portal.log_tail()}")
            time.sleep(0.25)
        yield portal
    finally:
        _stop(proc)


# -- reading a rendered page -----------------------------------------------------------------


@dataclass
class Rendered:
    url: str
    titles: list[str]
    exceptions: list[str]
    alerts: list[str]  # text of each st.info / st.warning / st.success (without the icon)
    text: str  # the main area's visible text
    seconds: float
    extra: dict = field(default_factory=dict)


def _wait_ready(page, timeout_ms: int = 60_000) -> None:
    """Until the script run is over (and stays over for a moment: no immediate rerun)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        remaining = max(1, int((deadline - time.monotonic()) * 1000))
        page.wait_for_selector(READY, state="attached", timeout=remaining)
        page.wait_for_timeout(300)
        if page.locator(READY).count() == 1:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the Streamlit script kept rerunning")


def _render(page, url: str) -> Rendered:
    t0 = time.monotonic()
    page.goto(url, wait_until="domcontentloaded")
    _wait_ready(page)
    seconds = time.monotonic() - t0
    alerts = [
        page.locator('[data-testid="stAlert"]')
        .nth(i)
        .locator('[data-testid="stMarkdownContainer"]')
        .inner_text()
        .strip()
        for i in range(page.locator('[data-testid="stAlert"]').count())
    ]
    return Rendered(
        url=page.url,
        titles=[t.strip() for t in page.locator("h1").all_inner_texts()],
        exceptions=page.locator('[data-testid="stException"]').all_inner_texts(),
        alerts=alerts,
        text=page.locator('[data-testid="stMain"]').inner_text(),
        seconds=seconds,
    )


def _font_state(page) -> dict:
    """The 300-weight Space Grotesk face as the document sees it, after fonts settle."""
    return page.evaluate(
        """async () => {
            await document.fonts.ready;
            const faces = [...document.fonts].filter(
                f => f.family.replace(/["']/g, '') === 'space-grotesk');
            const h1 = document.querySelector('h1');
            return {
                faces: faces.map(f => [String(f.weight), f.status]),
                check: document.fonts.check('300 16px space-grotesk'),
                bodyFont: getComputedStyle(document.querySelector('[data-testid="stMain"]'))
                    .fontFamily,
                h1Font: h1 ? getComputedStyle(h1).fontFamily : null,
                background: getComputedStyle(document.querySelector('[data-testid="stApp"]'))
                    .backgroundColor,
            };
        }"""
    )


def _full_screenshot(page, path: Path) -> None:
    """Streamlit scrolls inside its own container: grow the viewport to the content first."""
    height = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll(
            '[data-testid="stMain"], [data-testid="stAppViewContainer"], [data-testid="stApp"]')]
            .map(e => e.scrollHeight), window.innerHeight)"""
    )
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(int(height) + 40, 12_000)})
    page.wait_for_timeout(800)  # let the charts re-lay out
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real warehouse: the demo pipeline over a few simulated sessions (built once)."""
    data = tmp_path_factory.mktemp("portal_demo") / "data"
    done = subprocess.run(
        [*OH, "--data-dir", str(data), "demo", "--sessions", str(DEMO_SESSIONS), "--end", str(END)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (data / "warehouse.duckdb").exists()
    return data


@pytest.fixture(scope="module")
def demo_facts(demo_dir: Path) -> dict:
    """What the demo stored, read straight from DuckDB (the tests' expectations)."""
    with duckdb.connect(str(demo_dir / "warehouse.duckdb"), read_only=True) as conn:
        symbols = [
            r[0]
            for r in conn.execute("SELECT DISTINCT symbol FROM candles_daily ORDER BY 1").fetchall()
        ]
        sessions = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT data_date FROM options_snapshots ORDER BY 1"
            ).fetchall()
        ]
        closes = {
            (s, d): c
            for s, d, c in conn.execute(
                "SELECT symbol, session, close FROM candles_daily"
            ).fetchall()
        }
    assert len(symbols) >= 2 and len(sessions) == DEMO_SESSIONS, (symbols, sessions)
    return {"symbols": symbols, "sessions": sessions, "closes": closes}


@pytest.fixture(scope="module")
def demo_portal(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with _portal(demo_dir, tmp_path_factory.mktemp("portal_logs")) as portal:
        yield portal


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():  # a missing browser must not pass as a skipped test
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (`apt-get install chromium`)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)
    try:
        yield context.new_page()
    finally:
        context.close()


# -- tests -----------------------------------------------------------------------------------


@pytest.mark.timeout(600)
def test_every_page_renders_themed_with_the_packaged_font(demo_portal, page, tmp_path):
    font_responses: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda r: font_responses.append((r.url, r.status)) if r.url.endswith(".woff2") else None,
    )
    for path, title in PAGES.items():
        shown = _render(page, f"{demo_portal.url}/{path}")
        where = f"/{path} ({shown.url})"
        assert shown.exceptions == [], f"{where}: {shown.exceptions}\n{demo_portal.log_tail()}"
        assert shown.titles and shown.titles[0] == title, (where, shown.titles)
        assert any(a.startswith("SIMULATED DATA") for a in shown.alerts), (where, shown.alerts)
        assert not [a for a in shown.alerts if "busy" in a.lower() or "no warehouse" in a], (
            where,
            shown.alerts,
        )

        font = _font_state(page)
        assert font["background"] == BACKGROUND, (where, font)
        assert ["300", "loaded"] in font["faces"], (where, font)
        assert font["check"] is True, (where, font)
        assert "space-grotesk" in font["bodyFont"], (where, font)
        if font["h1Font"] is not None:
            assert "space-grotesk" in font["h1Font"], (where, font)

        shot = tmp_path / f"{path or 'health'}.png"
        _full_screenshot(page, shot)
        width, height = _png_size(shot)
        assert shot.stat().st_size > 20_000, (shot, shot.stat().st_size)
        assert width >= VIEWPORT["width"] // 2 and height >= 600, (shot, width, height)

    # The font came from the package's static folder, not from the network or a system font.
    ours = [(u, s) for u, s in font_responses if u.startswith(demo_portal.url + FONT_URL_PATH)]
    assert ours and all(s in (200, 304) for _, s in ours), font_responses
    with urllib.request.urlopen(demo_portal.url + FONT_URL_PATH, timeout=10) as r:
        assert r.status == 200 and r.read(4) == b"wOF2"
    assert "Traceback" not in demo_portal.log_text(), demo_portal.log_tail()


@pytest.mark.timeout(600)
def test_query_params_select_symbol_and_session(demo_portal, demo_facts, page):
    first, second = demo_facts["symbols"][0], demo_facts["symbols"][1]
    latest, chosen = demo_facts["sessions"][-1], demo_facts["sessions"][-2]

    # Without parameters: the first symbol at its latest session, written back into the URL.
    plain = _render(page, f"{demo_portal.url}/symbol")
    assert plain.exceptions == [], plain.exceptions
    assert f"symbol={first}" in plain.url and f"as_of={latest}" in plain.url, plain.url
    assert f"{first} close {latest}" in plain.text, plain.text[:800]

    # A bookmark: another symbol at an earlier stored session.
    url = f"{demo_portal.url}/symbol?symbol={second}&as_of={chosen}"
    shown = _render(page, url)
    assert shown.exceptions == [], f"{shown.exceptions}\n{demo_portal.log_tail()}"
    assert shown.titles[:1] == ["Symbol explorer"], shown.titles
    assert f"symbol={second}" in shown.url and f"as_of={chosen}" in shown.url, shown.url
    selected = page.get_by_role("combobox", name="Symbol").input_value()
    assert selected == second, selected
    date_box = page.locator('[data-testid="stDateInput"] input').first.input_value()
    assert date_box.replace("/", "-") == str(chosen), date_box
    # The page shows that symbol's stored data for that session: close and chain date.
    close = demo_facts["closes"][(second, chosen)]
    assert f"{second} close {chosen}" in shown.text, shown.text[:800]
    assert f"{close:.2f}" in shown.text, (close, shown.text[:800])
    assert f"Chain on {chosen}" in shown.text, shown.text[:1500]
    assert f"{first} close" not in shown.text


def _runs_in_window(shown: Rendered) -> int | None:
    m = re.search(r"([\d,]+) runs in the window", shown.text)
    return int(m.group(1).replace(",", "")) if m else None


@pytest.mark.timeout(600)
def test_portal_keeps_answering_while_another_process_ingests(demo_dir, page, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    health_url = None
    with _portal(data, tmp_path, OPTIONS_HELPER_PORTAL_TTL_S="0") as portal:
        health_url = f"{portal.url}/?days=7"
        before = _render(page, health_url)
        assert before.exceptions == [] and before.titles[:1] == ["Pipeline health"], before
        runs_before = _runs_in_window(before)
        assert runs_before is not None, before.text[:1500]

        out_path, err_path = tmp_path / "ingest.json", tmp_path / "ingest.err"
        with out_path.open("w") as out, err_path.open("w") as err:
            ingest = subprocess.Popen(
                [
                    *OH,
                    "--data-dir",
                    str(data),
                    "--json",
                    "ingest",
                    "options-bars",
                    "--watchlist",
                    "default",
                    "--end",
                    str(NEXT_SESSION),
                    "--lookback-days",
                    "10",
                ],
                env=_env(OPTIONS_HELPER_SIM_LATENCY_MS="80"),
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )
        loads: list[Rendered] = []
        try:
            deadline = time.monotonic() + 240
            while ingest.poll() is None and time.monotonic() < deadline:
                shown = _render(page, health_url)
                shown.extra["overlapped"] = ingest.poll() is None  # still ingesting when done
                loads.append(shown)
        finally:
            if ingest.poll() is None:
                ingest.kill()
            ingest.wait(timeout=60)
        report = out_path.read_text()
        assert ingest.returncode == 0, report[-3000:] + err_path.read_text()[-3000:]
        run = json.loads(report)
        assert run["status"] == "success", run["status"]

        overlapped = [s for s in loads if s.extra["overlapped"]]
        summary = [(round(s.seconds, 1), s.alerts[1:], "Running now" in s.text) for s in loads]
        print("health loads (seconds, notes, running seen):", summary)
        assert len(overlapped) >= 3, f"only {len(overlapped)} loads during the ingest: {summary}"
        for s in loads:
            assert s.exceptions == [], f"{s.exceptions}\n{portal.log_tail()}"
            assert s.titles[:1] == ["Pipeline health"], (s.titles, s.text[:500])
            # A "warehouse busy" note is acceptable; any other note is an error.
            odd = [
                a
                for a in s.alerts
                if not a.startswith("SIMULATED DATA") and "busy" not in a.lower()
            ]
            assert odd == [], (odd, summary)
            # The page answered: the health report, or the busy note in its place.
            assert "Jobs" in s.text or "busy" in s.text.lower(), s.text[:800]
        # With the cache off, the portal read the warehouse while the job was writing.
        assert any("Running now: ingest_options_bars" in s.text for s in overlapped), summary

        after = _render(page, health_url)
        assert after.exceptions == [], after.exceptions
        assert "Running now" not in after.text
        assert _runs_in_window(after) == runs_before + 1, (runs_before, after.text[:2000])
        assert "Traceback" not in portal.log_text(), portal.log_tail()

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as conn:
        status = conn.execute(
            "SELECT status FROM meta.ingestion_runs WHERE run_id = ?", [run["run_id"]]
        ).fetchall()
        bars = conn.execute(
            "SELECT count(*) FROM options_bars WHERE session = ?", [NEXT_SESSION]
        ).fetchone()[0]
    assert status == [("success",)], status
    assert bars > 0


@pytest.mark.timeout(600)
def test_no_warehouse_every_page_says_so_in_one_line(page, tmp_path):
    data = tmp_path / "empty"
    data.mkdir()
    db = data / "warehouse.duckdb"
    with _portal(data, tmp_path) as portal:
        for path, title in PAGES.items():
            shown = _render(page, f"{portal.url}/{path}")
            where = f"/{path}"
            assert shown.exceptions == [], f"{where}: {shown.exceptions}\n{portal.log_tail()}"
            assert shown.titles[:1] == [title], (where, shown.titles)
            notes = [a for a in shown.alerts if not a.startswith("SIMULATED DATA")]
            assert len(notes) == 1 and "\n" not in notes[0], (where, shown.alerts)
            if path in WAREHOUSE_PAGES:
                assert notes[0].startswith(f"no warehouse at {db}"), (where, notes)
            elif path == "portfolio":
                assert "portfolio.json: file not found" in notes[0], (where, notes)
            else:  # briefings are files, not the warehouse
                assert notes[0].startswith("No briefings yet"), (where, notes)
        assert "Traceback" not in portal.log_text(), portal.log_tail()
    # The portal is read-only: looking at an empty data dir created nothing.
    assert not db.exists()
    assert sorted(p.name for p in data.iterdir()) == []


EVIL = "evil.example.com"
# The link: a backtick closes the note's code span, then an image and a login link.
HOSTILE = quote(f"x` ![b](http://{EVIL}/p.png) [Re-authenticate](http://{EVIL}/login) `", safe="")
# url path -> every query parameter the page reads
PAGE_PARAMS = {
    "": ("days", "run"),
    "portfolio": ("horizon",),
    "symbol": ("symbol", "as_of"),
    "flow": ("symbol", "as_of", "window", "group"),
    "derived": ("symbol", "panel"),
    "briefings": ("day",),
    "gaps": ("lookback",),
}
HOSTILE_BRIEFING = f"""# Briefing {NEXT_SESSION}

![chart](http://{EVIL}/chart.png) ![](https://{EVIL}/pixel.gif)
[Re-authenticate](http://{EVIL}/login) and <http://{EVIL}/auto>, https://{EVIL}/bare,
www.{EVIL}, ops@{EVIL}, [reference][evil], ![ref image][pic]

<img src="http://{EVIL}/raw.png"> <a href="http://{EVIL}/raw">raw</a>

[evil]: http://{EVIL}/ref
[pic]: http://{EVIL}/ref.png

| symbol | note |
| --- | --- |
| AAPL | [cell](http://{EVIL}/cell) |
"""
# Every element attribute that makes the browser fetch or navigate somewhere else.
OUTSIDE_LINKS_JS = """() => [...document.querySelectorAll('[href], [src], [srcset], [action]')]
    .flatMap(e => ['href', 'src', 'srcset', 'action']
        .filter(a => e.hasAttribute(a))
        .map(a => [e.tagName, a, e.getAttribute(a)]))
    .filter(([tag, attr, value]) => {
        let url;
        try { url = new URL(value, location.href); } catch (err) { return true; }
        return !['data:', 'blob:'].includes(url.protocol) && url.origin !== location.origin;
    })"""


@pytest.mark.timeout(600)
def test_hostile_links_and_briefing_make_no_request_outside_the_portal(demo_dir, page, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    folder = data / "reports" / "briefing"
    (folder / f"{NEXT_SESSION}.md").write_text(HOSTILE_BRIEFING, encoding="utf-8")
    (folder / "README.md").write_text(f"![x](http://{EVIL}/readme.png)", encoding="utf-8")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    with _portal(data, tmp_path) as portal:
        for path, params in PAGE_PARAMS.items():
            query = "&".join(f"{p}={HOSTILE}" for p in params)
            shown = _render(page, f"{portal.url}/{path}?{query}")
            where = f"/{path}"
            assert shown.exceptions == [], f"{where}: {shown.exceptions}\n{portal.log_tail()}"
            assert shown.titles[:1] == [PAGES[path]], (where, shown.titles)
            # The value is echoed as the text it is (cut short), not rendered.
            assert "=x` ![b](http://evil.example.com/p.png) [Re-auth" in shown.text, (
                where,
                shown.text[:1500],
            )
            outside = page.evaluate(OUTSIDE_LINKS_JS)
            assert outside == [], (where, outside)

        briefing = _render(page, f"{portal.url}/briefings")
        assert briefing.exceptions == [], briefing.exceptions
        assert f"Briefing {NEXT_SESSION}" in briefing.text, briefing.text[:1500]
        assert "chart (remote image not loaded)" in briefing.text, briefing.text[:1500]
        assert page.get_by_role("combobox", name="Session").input_value() == str(NEXT_SESSION)
        assert page.evaluate(OUTSIDE_LINKS_JS) == []
        assert page.locator("[data-testid='stMain'] img").count() == 0
        page.wait_for_timeout(1000)  # late image and favicon fetches
        options = page.get_by_role("combobox", name="Session")
        options.click()
        listed = page.get_by_role("option").all_inner_texts()
        assert "README" not in " ".join(listed), listed
    assert requests, "no request recorded"
    elsewhere = sorted({u for u in requests if not u.startswith((portal.url + "/", "data:"))})
    assert elsewhere == [], elsewhere
