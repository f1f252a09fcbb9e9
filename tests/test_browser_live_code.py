"""Live code in Chromium: a chapter's cells run on a Jupyter server, Bokeh views included.

The small "URL set" build (tests/live_code_builds.py) is served on 127.0.0.1, and a
``jupyter_server`` on another local port plays the reader's own server
(``?jupyter=...&token=...``). Nothing leaves the machine: Binder's address is only
checked as the first request the page tries (and the fixture aborts) without that parameter.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from explainer_core.page.serve import serve_folder
from explainer_core.page.sphinxext import live_code

from .browser import REPO, TIMEOUT_MS
from .live_code_builds import CHAPTER, REPOSITORY, build

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Hang guard for starting a kernel and running a cell that imports Bokeh on a busy machine.
KERNEL_TIMEOUT_MS = 4 * TIMEOUT_MS
STATUS = ".thebe-launch-button"
EDITED_CELL = """from bokeh.models import Slider
from explainer_core import show

print(6 * 7)
show(Slider(start=1, end=7, value=3, step=2, title="kernel size"))
"""


# The module's own book and server: browser_page (tests/browser.py) serves whatever book_html names.
@pytest.fixture(scope="module")
def book_html(tmp_path_factory) -> Path:
    return build("with-url", REPOSITORY, tmp_path_factory).html


@pytest.fixture(scope="module")
def book_server(book_html: Path) -> Iterator[str]:
    with serve_folder(book_html) as url:
        yield url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def jupyter(book_server: str, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """A Jupyter server on 127.0.0.1 that lets the book's origin in: (base URL, token)."""
    port, token = _free_port(), secrets.token_hex(16)
    runtime = tmp_path_factory.mktemp("jupyter-runtime")
    log = (runtime / "server.log").open("w")
    command = [
        sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.allow_origin={book_server.rstrip('/')}",
        f"--ServerApp.root_dir={REPO}",
    ]
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime))
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + KERNEL_TIMEOUT_MS / 1000  # a hang guard, not a speed check
        while True:
            if server.poll() is not None:
                pytest.fail(f"jupyter_server stopped:\n{(runtime / 'server.log').read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("jupyter_server did not answer")
                time.sleep(0.2)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _start_live_code(browser_page, query: str = ""):
    page = browser_page.goto(f"{CHAPTER}.html{query}")
    page.click(".dropdown-launch-buttons button.dropdown-toggle")
    page.click("button.btn-launch-thebe")
    return page


def _status(page) -> str:
    page.wait_for_function(
        f"['ready', 'error'].includes(document.querySelector('{STATUS}')?.dataset.status)",
        timeout=KERNEL_TIMEOUT_MS,
    )
    return page.locator(STATUS).inner_text()


def test_cells_run_on_a_local_server_and_draw_bokeh_views(browser_page, jupyter):
    base, token = jupyter
    page = browser_page.page
    page.route(f"{base}/**", lambda route: route.continue_())  # the reader's own server is allowed
    page = browser_page.goto(f"{CHAPTER}.html?jupyter={base}&token={token}")
    before = list(browser_page.external_requests)
    assert before == [], "the page reached another host before the click"
    static_doc = page.evaluate("Bokeh.documents.length")
    widgets = "[...document.scripts].some((s) => s.src.includes('bokeh-widgets'))"
    assert not page.evaluate(widgets), "chapter 10 shows plots only; the widget below needs more BokehJS"

    page.click(".dropdown-launch-buttons button.dropdown-toggle")
    page.click("button.btn-launch-thebe")
    assert _status(page) == "Live code: ready, run any cell", page.locator(STATUS).inner_text()
    assert page.evaluate("window.thebe.version") == live_code.THEBE_VERSION
    thebe_files = [url for url in browser_page.requests if "thebe/" in url]
    assert thebe_files and all(url.startswith(browser_page.base_url) for url in thebe_files)

    # the chapter's first cell (hidden input) draws a Bokeh plot: run it again in the kernel
    cell = page.locator(".thebe-cell").first
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    cell.locator(".thebe-run-button").click()
    output = page.locator("div.cell").first.locator(".jp-OutputArea .explainer-bokeh")
    output.wait_for(timeout=KERNEL_TIMEOUT_MS)
    page.wait_for_function(
        """(n) => Bokeh.documents.length > n && [...document.querySelectorAll('.jp-OutputArea .explainer-bokeh')]
              .every((box) => box.dataset.explainerAccess === 'ready')""",
        arg=static_doc, timeout=KERNEL_TIMEOUT_MS,
    )
    drawn = output.locator("[data-root-id] > *").first.bounding_box()  # the root div itself is display: contents
    assert drawn and drawn["width"] > 100 and drawn["height"] > 50, drawn
    browser_page.screenshot("live-code-bokeh")

    # a cell the reader edits runs too, here showing a widget, whose BokehJS bundle the page itself does not load
    last = page.locator(".thebe-cell").last
    last.locator(".CodeMirror").evaluate("(el, code) => el.CodeMirror.setValue(code)", EDITED_CELL)
    last.locator(".thebe-run-button").click()
    edited = page.locator("div.cell").last.locator(".jp-OutputArea")
    edited.filter(has_text="42").wait_for(timeout=KERNEL_TIMEOUT_MS)
    page.wait_for_function(
        """() => [...document.querySelectorAll('div.cell')].pop()
              .querySelector('.jp-OutputArea .explainer-bokeh')?.dataset.explainerAccess === 'ready'""",
        timeout=KERNEL_TIMEOUT_MS,
    )
    assert page.evaluate("Bokeh.documents.some((doc) => doc.roots().some((r) => r.type === 'Slider'))")

    # after the click, only the reader's own server was reached (its websocket included)
    elsewhere = [url for url in browser_page.external_requests if base.split("//")[1] not in url]
    assert elsewhere == []
    assert not (browser_page.console_errors or browser_page.page_errors or browser_page.failed_requests
                or browser_page.http_errors), browser_page.problems()


def test_without_a_local_server_the_kernel_comes_from_binder(browser_page):
    page = _start_live_code(browser_page)
    page.wait_for_function(f"document.querySelector('{STATUS}')?.dataset.status === 'error'",
                           timeout=KERNEL_TIMEOUT_MS)
    # the fixture blocks every other host, so the first request off the book is Binder's build
    first = browser_page.external_requests[0]
    assert first.startswith("https://mybinder.org/build/gh/example-org/cnn-explainer-book/main"), first


def test_a_server_on_another_host_is_refused(browser_page):
    page = _start_live_code(browser_page, "?jupyter=http://192.0.2.7:8888&token=x")
    assert "not on 192.0.2.7:8888" in _status(page)
    assert browser_page.external_requests == []
