"""The built book: every page is there, works offline, and renders its plots in Chromium.

The book is built once per session (or taken from ``$BOOK_HTML_DIR``); see
tests/browser.py for the fixtures. Screenshots of every page go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from explainer_core.page import embed, protocol
from explainer_core.page.sphinxext import live_code
from explainer_core.page.sphinxext.mathml import latex_to_mathml
from explainer_core.page.sphinxext.offline import external_loads

from .browser import REPO, toc_pages

PAGES = toc_pages()
#: Longest code line that fits the text column at 1280 px without a scroll bar (PEP 8's limit).
MAX_CODE_LINE = 79
#: The issue's budget for one chapter page, everything it loads included.
PAGE_BUDGET_BYTES = 2 * 1024 * 1024
CDN_HOSTS = re.compile(
    r"cdn\.bokeh\.org|cdn\.jsdelivr\.net|unpkg\.com|cdnjs\.cloudflare\.com|fonts\.googleapis\.com"
    r"|fonts\.gstatic\.com|googletagmanager\.com|google-analytics\.com|plausible\.io|mybinder\.org"
)
_MARKER_RE = re.compile(rf'class="{protocol.MARKER_CLASS}"\s+{protocol.BUNDLES_ATTRIBUTE}="([^"]*)"')
_SCRIPT_SRC_RE = re.compile(r'<script[^>]*\ssrc="([^"]+)"')


def page_id(docname: str) -> str:
    return Path(docname).name


def html_of(book_html: Path, docname: str) -> str:
    return (book_html / f"{docname}.html").read_text(encoding="utf-8")


def source_of(docname: str) -> str:
    return (REPO / f"{docname}.md").read_text(encoding="utf-8")


def shown_code_cells(text: str) -> list[str]:
    """Source of the code cells whose code appears on the page (not tagged remove-input/-cell)."""
    cells = re.findall(r"^```\{code-cell\}[^\n]*\n(.*?)^```", text, flags=re.S | re.M)
    tags = re.compile(r"^:tags:.*\bremove-(input|cell)\b", flags=re.M)
    options = re.compile(r"\A(?::[\w-]+:[^\n]*\n)+")  # the directive's options are not shown
    return [options.sub("", cell) for cell in cells if not tags.search(cell)]


# --------------------------------------------------------------------------- sources (no build)


def test_page_ids_are_unique():
    assert len({page_id(p) for p in PAGES}) == len(PAGES)


@pytest.mark.parametrize("docname", PAGES, ids=page_id)
def test_code_cells_fit_the_text_column(docname):
    long_lines = [
        line for cell in shown_code_cells(source_of(docname)) for line in cell.splitlines() if len(line) > MAX_CODE_LINE
    ]
    assert not long_lines, f"code lines longer than {MAX_CODE_LINE} characters scroll sideways: {long_lines}"


def test_show_returns_components_html_with_its_bundles():
    from bokeh.layouts import column
    from bokeh.models import Slider
    from bokeh.plotting import figure

    plot = figure(height=100)
    plot.line([0, 1], [0, 1])
    item = embed.show(plot)
    html = item._repr_html_()
    assert item.bundles == ("bokeh.min.js",)
    assert html.startswith(f'<div class="{protocol.MARKER_CLASS}" {protocol.BUNDLES_ATTRIBUTE}="bokeh.min.js">')
    assert item.div in html and item.script in html and "embed_items" in item.script
    assert "cdn.bokeh.org" not in html and "<script src" not in html

    widgets = embed.show(column(Slider(start=0, end=1, value=0, step=0.5), plot))
    assert widgets.bundles == ("bokeh.min.js", "bokeh-widgets.min.js")
    assert all(path.is_file() for path in embed.bokehjs_files(widgets.bundles))

    with pytest.raises(TypeError):
        embed.show("not a plot")

    from bokeh.models import TablerIcon, Toggle

    with pytest.raises(ValueError, match="TablerIcon"):
        embed.show(Toggle(label="icon from a CDN", icon=TablerIcon(icon_name="bolt")))


def test_latex_becomes_mathml_and_unknown_commands_are_errors():
    from xml.etree import ElementTree

    from explainer_core.page.sphinxext.mathml import MathError

    mathml = latex_to_mathml(r"\frac{e^{z_i}}{\sum_j e^{z_j}} < 1", display="block")
    assert mathml.startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"')
    ElementTree.fromstring(mathml)  # well-formed: "<" and "&" stay escaped
    assert "<mfrac>" in mathml and "&#x0003C;" in mathml
    assert '<annotation encoding="application/x-tex">' in mathml
    assert "<mtable" in latex_to_mathml(r"\begin{aligned} a &= b \\ c &= d \end{aligned}", "block")
    with pytest.raises(MathError, match=r"\\notacommand"):
        latex_to_mathml(r"\notacommand{x}")


def test_external_loads_finds_what_a_browser_would_fetch():
    page = """<html><head>
      <script src="https://cdn.bokeh.org/bokeh.min.js"></script>
      <link rel="stylesheet" href="//fonts.googleapis.com/css">
      <link rel="canonical" href="https://example.org/book/">
      <script src="_static/local.js"></script>
      <style>@font-face { src: url(https://fonts.gstatic.com/x.woff2) }</style>
      </head><body><a href="https://example.org">a link is fine</a>
      <img src="data:image/png;base64,AAAA"></body></html>"""
    found = external_loads(page)
    assert len(found) == 3, found
    assert external_loads('<script src="../_static/bokeh/bokeh.min.js"></script>') == []


# --------------------------------------------------------------------------- the built HTML


@pytest.mark.slow
@pytest.mark.parametrize("docname", PAGES, ids=page_id)
def test_page_is_built_and_loads_nothing_from_other_hosts(book_html, docname):
    html = html_of(book_html, docname)
    assert external_loads(html) == []
    # Links a reader follows (a Binder launch button, once the repository URL is set) and the
    # live-code settings (a <meta>, read on the click) are not loads; anything else naming a CDN is.
    mentions = re.sub(rf'<a\s[^>]*>|<meta name="{re.escape(live_code.META_NAME)}"[^>]*>', "", html)
    assert not CDN_HOSTS.search(mentions), CDN_HOSTS.search(mentions).group(0)


@pytest.mark.slow
@pytest.mark.parametrize("docname", PAGES, ids=page_id)
def test_bokehjs_is_loaded_once_exactly_where_plots_are(book_html, docname):
    html = html_of(book_html, docname)
    needed = {name for match in _MARKER_RE.findall(html) for name in match.split()}
    loaded = [Path(src.split("?")[0]).name for src in _SCRIPT_SRC_RE.findall(html) if "/bokeh/" in src]
    assert sorted(loaded) == sorted(needed), "each needed BokehJS bundle once, nothing else"
    if "explainer_core.page.embed" in source_of(docname):
        assert _MARKER_RE.search(html), "the chapter calls explainer_core.page.embed but shows no plot"


@pytest.mark.slow
def test_served_bokehjs_is_the_installed_version(book_html):
    served = sorted((book_html / "_static" / "bokeh").glob("*.js"))
    assert served, "no BokehJS in _static/bokeh"
    for path in served:
        (installed,) = embed.bokehjs_files([path.name])
        assert path.read_bytes() == installed.read_bytes(), f"{path.name} differs from bokeh {embed.bokehjs_version()}"


@pytest.mark.slow
def test_math_is_mathml_without_errors(book_html):
    html = html_of(book_html, "book/05_hyperparameters")
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"' in html
    assert "math-error" not in html
    assert not re.search(r"<script[^>]*mathjax", html, flags=re.I), "MathJax is not needed"


@pytest.mark.slow
def test_no_built_file_mentions_a_cdn(book_html):
    """No page, stylesheet or script names a CDN, except BokehJS and thebe themselves.

    bokeh.min.js is served unmodified; it names cdn.jsdelivr.net and Google Maps only in
    code paths for models the book does not use (explainer_core.page.embed.show refuses them).
    The vendored thebe (only with a repository URL set) names cdnjs and mybinder.org in code
    paths the book turns off (MathJax, third-party widgets) or that are its Binder kernel.
    """
    offenders = []
    for path in sorted(book_html.rglob("*")):
        if path.suffix not in {".html", ".css", ".js"} or {"bokeh", "thebe"} & set(path.relative_to(book_html).parts):
            continue
        hit = CDN_HOSTS.search(path.read_text(encoding="utf-8", errors="replace"))
        if hit:
            offenders.append(f"{path.relative_to(book_html)}: {hit.group(0)}")
    assert not offenders


# --------------------------------------------------------------------------- in Chromium


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("docname", PAGES, ids=page_id)
def test_page_renders_offline_in_chromium(browser_page, docname):
    browser_page.goto(f"{docname}.html")
    browser_page.screenshot(page_id(docname))
    browser_page.screenshot(f"{page_id(docname)}-full", full_page=True)

    plots = browser_page.plots()
    for number, plot in enumerate(plots, start=1):
        assert plot["root"] and plot["root"].startswith("bk-"), f"plot {number} was not embedded: {plot}"
        assert plot["width"] > 50 and plot["height"] > 50, f"plot {number} has no size: {plot}"
        assert plot["width"] <= plot["contentWidth"] + 1, f"plot {number} is wider than the text: {plot}"
        assert not plot["overflows"], f"plot {number} needs a scroll bar at 1280 px: {plot}"
    if plots:
        assert sum(plot["canvases"] for plot in plots) > 0, "no plot drew on a canvas"

    page_width = browser_page.page.evaluate("document.scrollingElement.scrollWidth")
    assert page_width <= 1280, f"the page scrolls sideways ({page_width} px)"
    browser_page.assert_clean()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("docname", PAGES, ids=page_id)
def test_page_fits_the_size_budget(browser_page, book_html, docname):
    """The page's HTML, and everything it loads as a web server would send it (gzip), stay under 2 MB.

    Uncompressed, BokehJS and the theme alone come to about 2 MB on a page with widgets;
    benchmarks/bench_book.py reports both figures.
    """
    html_bytes = (book_html / f"{docname}.html").stat().st_size
    assert html_bytes < PAGE_BUDGET_BYTES, f"{docname}.html is {html_bytes / 1024:.0f} KB"

    browser_page.goto(f"{docname}.html")
    browser_page.page.wait_for_load_state("networkidle")
    files = browser_page.loaded_files()
    assert f"{docname}.html" in files and not any(name.endswith("fontawesome.js") for name in files)
    compressed = {name: len(gzip.compress((book_html / name).read_bytes(), 6)) for name in files}
    total = sum(compressed.values())
    biggest = sorted(compressed.items(), key=lambda item: -item[1])[:6]
    assert total < PAGE_BUDGET_BYTES, f"{docname} sends {total / 1024:.0f} KB gzipped: " + ", ".join(
        f"{name} {size // 1024} KB" for name, size in biggest
    )
    browser_page.assert_clean()


@pytest.mark.browser
@pytest.mark.parametrize("docname", PAGES, ids=page_id)
def test_every_page_has_an_icon_the_server_has(browser_page, docname):
    """A page without ``<link rel="icon">`` makes a real browser ask for /favicon.ico, a 404 here.

    Headless Chromium does not fetch icons by itself, so the test fetches what a desktop
    browser would and counts a failure like any other HTTP error.
    """
    page = browser_page.goto(f"{docname}.html", wait_for_plots=False)
    icon = page.evaluate(
        """() => {
            const link = document.querySelector('link[rel~="icon"]');
            return link ? link.href : new URL('/favicon.ico', location.href).href;
        }"""
    )
    response = page.request.get(icon)
    if not response.ok:
        browser_page.http_errors.append(f"{response.status} {icon}")
    else:
        assert response.headers.get("content-type", "").startswith("image/"), response.headers
    browser_page.assert_clean()


@pytest.mark.browser
@pytest.mark.parametrize("docname", [p for p in PAGES if "default_example" in source_of(p)], ids=page_id)
def test_the_pictures_caption_is_a_paragraph_that_wraps(browser_page, docname):
    """The default picture's caption is prose: it wraps at any width instead of running off in a code block."""
    from explainer_core.page.examples import default_example, shipped_network

    caption = default_example(shipped_network().input_shape[:2]).caption
    page = browser_page.goto(f"{docname}.html", wait_for_plots=False)
    where = page.evaluate(
        """(caption) => {
            const holders = Array.from(document.querySelectorAll('main p, main pre'))
                .filter((element) => element.textContent.includes(caption));
            return holders.map((element) => ({
                tag: element.tagName, wraps: element.scrollWidth <= element.clientWidth + 1,
            }));
        }""",
        caption,
    )
    assert where, f"the caption {caption!r} is not on the page"
    assert all(found == {"tag": "P", "wraps": True} for found in where), where


def test_use_notebook_puts_the_installed_bokehjs_on_the_page_and_nothing_from_a_cdn(monkeypatch):
    """A classroom hub often has no internet: the one set-up call inlines BokehJS, the installed version."""
    import bokeh
    import bokeh.io.notebook as notebook

    from explainer_core import use_notebook

    published = []
    monkeypatch.setattr(notebook, "publish_display_data", lambda data, *a, **k: published.append(data))
    use_notebook()
    text = "\n".join(str(value) for data in published for value in data.values())
    assert bokeh.__version__ in text and len(text) > 500_000, "BokehJS itself is not inlined"
    # Bokeh's loader lists what it fetches: with the default (CDN) resources these are cdn.bokeh.org URLs
    fetched = re.findall(r"const (?:js|css)_urls = (\[[^\]]*\])", text)
    assert fetched and set(fetched) == {"[]"}, fetched
