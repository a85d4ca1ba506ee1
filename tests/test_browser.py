"""The classroom page in a real browser: Debian's Chromium driven by Playwright, fully offline.

Starts ``python -m sim.ui.server`` on a free port, then plays a scenario as an educator would
and checks that a second visitor gets their own model and that no request leaves 127.0.0.1.
Skips when ``/usr/bin/chromium`` or Playwright is missing, unless ``DIPLOMESA_REQUIRE_BROWSER=1``
(CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 30_000

pytestmark = pytest.mark.browser


def _need(reason: str) -> None:
    if os.environ.get("DIPLOMESA_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (DIPLOMESA_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def sync_playwright():
    if not CHROMIUM.exists():
        _need(f"{CHROMIUM} not found: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("playwright is not installed: pip install 'diplomesa[dev]'")
    try:
        import solara  # noqa: F401
    except ImportError:
        _need("the ui extra is not installed: pip install 'diplomesa[ui]'")
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(sync_playwright, tmp_path_factory):
    """The page served from a subprocess; yields (base url, save dir)."""
    port = _free_port()
    save = tmp_path_factory.mktemp("classroom")
    log = (save / "server.log").open("w")
    command = [sys.executable, "-m", "sim.ui.server", "--scenario", "g20_climate"]
    proc = subprocess.Popen(
        [*command, "--port", str(port), "--save-dir", str(save)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"server did not start:\n{(save / 'server.log').read_text()}")
            time.sleep(0.25)
        yield url, save
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _counter(page) -> str:
    return page.inner_text(".round-counter")


def _wait_round(page, n: int) -> None:
    page.wait_for_function(
        "n => (document.querySelector('.round-counter')?.textContent || '')"
        ".startsWith(`Round ${n} of`)",
        arg=n,
        timeout=TIMEOUT_MS,
    )


def _network_src(page) -> str:
    return page.get_attribute(".network-chart img", "src") or ""


def _network_digest(page) -> str:
    """SHA-256 of the network PNG the browser shows (its src is a blob: URL)."""
    return page.evaluate(
        """async () => {
            const src = document.querySelector('.network-chart img').src;
            const data = await (await fetch(src)).arrayBuffer();
            const hash = await crypto.subtle.digest('SHA-256', data);
            return Array.from(new Uint8Array(hash), b => b.toString(16).padStart(2, '0')).join('');
        }"""
    )


def test_classroom_page_plays_offline_with_one_model_per_visitor(sync_playwright, server, tmp_path):
    url, save = server
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            teacher = browser.new_context(viewport={"width": 1400, "height": 1000})
            teacher.on("request", lambda r: requests.append(r.url))
            page = teacher.new_page()
            page.goto(url)
            page.wait_for_selector(".round-counter", timeout=TIMEOUT_MS)
            assert _counter(page).startswith("Round 0 of")

            # Pick a scenario from the picker (the server opened g20_climate first).
            page.click(".scenario-select")
            page.click(".v-menu__content .v-list-item:has-text('classroom_five')")
            page.wait_for_selector("text=Five powers", timeout=TIMEOUT_MS)
            # Run every round (this scenario settles early otherwise).
            page.click("text=Stop when positions settle")
            _wait_round(page, 0)
            assert "of 20" in _counter(page)
            first, first_png = _network_src(page), _network_digest(page)
            page.screenshot(path=tmp_path / "round0.png")

            for n in range(1, 6):
                page.click(".step-button")
                _wait_round(page, n)
            page.wait_for_function(
                "src => document.querySelector('.network-chart img')?.src !== src",
                arg=first,
                timeout=TIMEOUT_MS,
            )
            assert _counter(page) == "Round 5 of 20"
            assert _network_digest(page) != first_png
            page.screenshot(path=tmp_path / "round5.png")

            # Fire a crisis: the narrative shows it at once, and in the next round's story.
            page.click(".crisis-war")
            page.wait_for_selector(".narrative .fired:has-text('war')", timeout=TIMEOUT_MS)
            page.click(".step-button")
            _wait_round(page, 6)
            page.wait_for_selector(".narrative :text(\"Event 'war'\")", timeout=TIMEOUT_MS)
            page.screenshot(path=tmp_path / "crisis.png")

            # Play runs a round a second until paused.
            page.click(".play-button")
            _wait_round(page, 8)
            page.click(".pause-button")
            page.wait_for_selector(".play-button", timeout=TIMEOUT_MS)
            paused = _counter(page)
            time.sleep(1.5)
            assert _counter(page) == paused
            played = int(paused.split()[1])

            # Save the charts for slides, server-side.
            page.click(".save-button")
            page.wait_for_selector(".saved", timeout=TIMEOUT_MS)
            assert len(list(save.glob(f"classroom_five-*-round{played:03d}-*.png"))) == 2

            # A second visitor gets their own model at round 0; the first keeps theirs.
            student = browser.new_context(viewport={"width": 1400, "height": 1000})
            student.on("request", lambda r: requests.append(r.url))
            other = student.new_page()
            other.goto(url)
            other.wait_for_selector(".round-counter", timeout=TIMEOUT_MS)
            assert _counter(other).startswith("Round 0 of")
            other.click(".step-button")
            _wait_round(other, 1)
            assert _counter(page) == paused
            other.screenshot(path=tmp_path / "second_visitor.png")
        finally:
            browser.close()

    assert (tmp_path / "crisis.png").stat().st_size > 10_000
    hosts = {urlsplit(u).netloc for u in requests if urlsplit(u).scheme in ("http", "https", "ws")}
    assert requests, "no requests were recorded"
    assert hosts == {urlsplit(url).netloc}, f"requests left localhost: {sorted(hosts)}"
