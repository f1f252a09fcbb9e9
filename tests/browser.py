"""The built book in headless Chromium: fixtures for every browser test.

Shared with all test modules through tests/conftest.py:

``book_html``
    Folder of the built HTML book. Built once per session with
    ``jupyter-book build . -W`` into a temporary folder, unless the environment
    variable ``BOOK_HTML_DIR`` names an existing build, which saves the build time::

        .venv/bin/jupyter-book build . -W
        BOOK_HTML_DIR=_build/html .venv/bin/pytest tests/test_book_pages.py

``book_server``
    Base URL (``http://127.0.0.1:<port>/``) of a ``http.server`` serving ``book_html``
    from a thread, on an ephemeral port.

``chromium``
    A Playwright browser on Debian's ``/usr/bin/chromium``. A missing browser fails the
    test with one line saying how to install it: a green run must have run the browser
    tests, unless the reader deselected them (``pytest -m "not browser"``).
    Playwright's own browser download is never used (no network).

``browser_page``
    A :class:`BookPage`: a fresh 1280×800 page that records console errors, uncaught
    exceptions, failed requests and HTTP errors, and aborts (and records) every request
    to a host other than the book server. ``goto()`` waits until every embedded Bokeh
    item has rendered; ``assert_clean()`` fails on anything recorded.

Chapter tests use them like this::

    @pytest.mark.browser
    def test_slider_moves_kernel(browser_page):
        page = browser_page.goto("book/04_convolutional_layers.html")
        ...
        browser_page.assert_clean()
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from explainer_core.page.serve import serve_folder

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
#: Debian's Chromium, or the browser ``$EXPLAINER_CHROMIUM`` names.
CHROMIUM = Path(os.environ.get("EXPLAINER_CHROMIUM", "").strip() or "/usr/bin/chromium")
NO_CHROMIUM = (
    "Debian's chromium is not installed: `make test` installs it (as root), or run "
    "`apt-get install chromium`; `make test-no-browser` runs everything else"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
]
VIEWPORT = {"width": 1280, "height": 800}
#: A phone's viewport, and the script that makes the book's theme start dark.
PHONE = {"width": 390, "height": 844}
DARK = "localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');"
#: Milliseconds to wait for a page, its Bokeh items or any awaited state: generous, because a
#: busy 2-core machine may be slow, and a wait ends as soon as its condition holds.
TIMEOUT_MS = 60_000
#: The CSS class of the wrapper explainer_core.page.embed puts around each Bokeh item.
MARKER = ".explainer-bokeh"

#: Page helpers every browser test may install: a Bokeh model by name across the page's documents
#: (``__model``) and a data source's columns as plain arrays (``__data``). Paste inside an
#: ``() => { ... }`` function given to ``page.evaluate``.
BOKEH_LOOKUP_JS = """
  window.__model = (name) => {
    for (const doc of Bokeh.documents) {
      const model = doc.get_model_by_name(name);
      if (model != null) return model;
    }
    throw new Error(`no Bokeh model named ${name}`);
  };
  const plain = (v) => (ArrayBuffer.isView(v) ? Array.from(v) : Array.isArray(v) ? v.map(plain) : v);
  window.__data = (name) => {
    const data = window.__model(name).data;
    return Object.fromEntries(Object.keys(data).map((key) => [key, plain(data[key])]));
  };
"""


# --------------------------------------------------------------------------- the book


def toc_pages() -> list[str]:
    """Docnames of every page in _toc.yml, root first (e.g. ``book/intro``)."""
    import yaml

    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries or []:
            if "file" in entry:
                pages.append(str(Path(entry["file"]).with_suffix("")))
            for key in ("parts", "chapters", "sections"):
                walk(entry.get(key, []))

    walk(toc.get("parts", []) + toc.get("chapters", []))
    return pages


def build_book(output: Path) -> Path:
    """``jupyter-book build . -W`` with ``output`` as the output folder; returns the HTML folder."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [
        str(jupyter_book if jupyter_book.exists() else shutil.which("jupyter-book") or "jupyter-book"),
        "build",
        str(REPO),
        "--path-output",
        str(output),
        "--warningiserror",
    ]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        log = (result.stdout + result.stderr)[-6000:]
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{log}")
    return output / "_build" / "html"


@pytest.fixture(scope="session")
def book_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built HTML book: ``$BOOK_HTML_DIR`` if set, else a fresh ``-W`` build in a temp folder."""
    given = os.environ.get("BOOK_HTML_DIR", "").strip()
    if given:
        html_dir = Path(given).expanduser()
        html_dir = html_dir if html_dir.is_absolute() else REPO / html_dir
        if not (html_dir / "index.html").is_file():
            pytest.fail(f"BOOK_HTML_DIR={given!r} has no index.html; build the book first")
        return html_dir.resolve()
    try:
        return build_book(tmp_path_factory.mktemp("book"))
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)


# --------------------------------------------------------------------------- serving


@pytest.fixture(scope="session")
def book_server(book_html: Path) -> Iterator[str]:
    """Base URL of the book served over HTTP on 127.0.0.1, ephemeral port, from a thread."""
    with serve_folder(book_html) as url:
        yield url


# --------------------------------------------------------------------------- the browser


def require_chromium(items: list[pytest.Item]) -> None:
    """Stop the run at once, with one line, when a selected test needs a browser that is not there."""
    if not CHROMIUM.exists() and any(item.get_closest_marker("browser") for item in items):
        pytest.exit(NO_CHROMIUM, returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(scope="session")
def chromium():
    """Playwright's Chromium driver on Debian's /usr/bin/chromium (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail(NO_CHROMIUM, pytrace=False)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


@dataclass
class BookPage:
    """One browser tab on the served book, with everything that went wrong recorded."""

    page: object  # playwright.sync_api.Page
    base_url: str
    root: Path  # the folder the server serves
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    #: How many pages this tab has opened; a request belongs to the visit it started in.
    visits: int = 0

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path)

    def is_local(self, url: str) -> bool:
        ours, theirs = urlsplit(self.base_url), urlsplit(url)
        return (theirs.scheme, theirs.hostname, theirs.port) == (ours.scheme, ours.hostname, ours.port)

    def open(self, path: str, helpers: str | None = None, *, phone: bool = False, dark: bool = False):
        """Open ``path`` as a phone (390 px) and/or in dark mode, install ``helpers``; the Playwright page."""
        if phone:
            self.page.set_viewport_size(PHONE)
        if dark:
            self.page.add_init_script(DARK)
        self.goto(path)
        if helpers:
            self.page.evaluate(helpers)
        return self.page

    def assert_fits_a_phone(self) -> None:
        """At 390 px neither the page nor any view scrolls sideways (the page must be opened ``phone=True``)."""
        assert self.page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
        boxes = self.page.evaluate("""() => [...document.querySelectorAll('.explainer-bokeh')].map((box) => {
            const r = box.getBoundingClientRect();
            return {right: r.right, inner: box.scrollWidth - box.clientWidth};
        })""")
        assert boxes and all(b["right"] <= PHONE["width"] + 0.5 and b["inner"] <= 1 for b in boxes), boxes

    def goto(self, path: str, wait_for_plots: bool = True):
        """Open ``path`` (relative to the book root), wait for load and for every Bokeh item."""
        self.visits += 1
        response = self.page.goto(self.url(path), wait_until="load", timeout=TIMEOUT_MS)
        assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
        if wait_for_plots:
            self.wait_for_bokeh()
        return self.page

    def wait_for_bokeh(self) -> int:
        """Wait until BokehJS has embedded and drawn every item on the page; return how many."""
        expected = self.page.locator(MARKER).count()
        if expected:
            self.page.wait_for_function(
                """({expected, marker}) => {
                    if (!window.Bokeh || !Bokeh.index) return false;
                    if (Bokeh.documents.length < expected) return false;
                    const views = Array.from(Bokeh.index.values ? Bokeh.index.values() : Object.values(Bokeh.index));
                    if (!(views.length > 0 && views.every((view) => view.is_idle))) return false;
                    // every item has drawn its first picture and written its text alternatives
                    // (views/kit/access_ready.js marks its box when both are done)
                    return Array.from(document.querySelectorAll(marker))
                        .every((box) => box.dataset.explainerAccess === "ready");
                }""",
                arg={"expected": expected, "marker": MARKER},
                timeout=TIMEOUT_MS,
            )
        return expected

    def plots(self) -> list[dict]:
        """For each embedded item: its bundles, drawn size, and how many canvases it drew."""
        return self.page.evaluate(
            """(marker) => Array.from(document.querySelectorAll(marker)).map((wrapper) => {
                const root = wrapper.querySelector('[data-root-id]');
                const drawn = root && root.firstElementChild;
                const box = drawn ? drawn.getBoundingClientRect() : {width: 0, height: 0};
                const canvases = [];
                const visit = (node) => {
                    if (node.shadowRoot) visit(node.shadowRoot);
                    for (const child of node.children || []) {
                        if (child.tagName === 'CANVAS') canvases.push(child);
                        visit(child);
                    }
                };
                if (drawn) visit(drawn);
                const content = document.querySelector('article.bd-article')
                    || document.querySelector('main') || document.body;
                return {
                    bundles: (wrapper.dataset.bokehBundles || '').split(' ').filter(Boolean),
                    root: drawn ? drawn.className : null,
                    width: box.width,
                    height: box.height,
                    canvases: canvases.filter((c) => c.width > 0 && c.height > 0).length,
                    overflows: wrapper.scrollWidth > wrapper.clientWidth + 1,
                    contentWidth: content.getBoundingClientRect().width,
                };
            })""",
            MARKER,
        )

    def loaded_files(self) -> dict[str, int]:
        """Every book file the page has requested so far, with its size in bytes on disk."""
        files = {}
        for url in self.requests:
            if self.is_local(url):
                relative = unquote(urlsplit(url).path).lstrip("/") or "index.html"
                path = self.root / relative
                if path.is_dir():
                    path = path / "index.html"
                if path.is_file():
                    files[path.relative_to(self.root).as_posix()] = path.stat().st_size
        return files

    def problems(self) -> dict[str, list[str]]:
        found = {
            "console errors": self.console_errors,
            "uncaught exceptions": self.page_errors,
            "failed requests": self.failed_requests,
            "HTTP errors": self.http_errors,
            "requests to other hosts": self.external_requests,
        }
        return {kind: items for kind, items in found.items() if items}

    def assert_clean(self) -> None:
        problems = self.problems()
        assert not problems, "the page had problems:\n" + "\n".join(
            f"  {kind}:\n" + "\n".join(f"    {item}" for item in items) for kind, items in problems.items()
        )

    def screenshot(self, name: str, full_page: bool = False) -> Path:
        """Save a screenshot under test-artifacts/screenshots/ (1280×800 unless ``full_page``)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def browser_page(chromium, book_server: str, book_html: Path) -> Iterator[BookPage]:
    """A fresh 1280×800 tab on the served book that records errors and blocks other hosts."""
    context = chromium.new_context(viewport=VIEWPORT, service_workers="block")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    book = BookPage(page=page, base_url=book_server, root=book_html)
    aborted: set[str] = set()

    def route(route) -> None:
        url = route.request.url
        book.requests.append(url)
        if book.is_local(url):
            route.continue_()
        else:
            book.external_requests.append(url)
            aborted.add(url)
            route.abort("blockedbyclient")

    started_in: dict[object, int] = {}

    def failed(request) -> None:
        # leaving a page aborts what it still had in flight (its icon, say): not a failure of either page
        left_behind = request.failure == "net::ERR_ABORTED" and started_in.get(request, book.visits) < book.visits
        if request.url not in aborted and not left_behind:
            book.failed_requests.append(f"{request.url}: {request.failure}")

    def responded(response) -> None:
        if response.status >= 400:
            book.http_errors.append(f"{response.status} {response.url}")

    context.route("**/*", route)
    page.on("console", lambda message: message.type == "error" and book.console_errors.append(message.text))
    page.on("pageerror", lambda error: book.page_errors.append(str(error)))
    page.on("request", lambda request: started_in.setdefault(request, book.visits))
    page.on("requestfailed", failed)
    page.on("response", responded)
    page.on("websocket", lambda socket: book.external_requests.append(f"websocket {socket.url}"))
    try:
        yield book
    finally:
        context.close()
