"""Sphinx extension that makes the book work offline: page assets and math.

Enabled in ``_config.yml`` (``sphinx: config: extensions``). It does five things:

1. Serves BokehJS from the book itself. Cells embed plots with
   :func:`explainer_core.page.embed.show`, whose output names the BokehJS bundles it needs.
   On each page that has such output, the extension copies those bundles from the
   *installed* bokeh package into ``_static/bokeh/`` (so they always match the Python
   side) and loads each one once, deferred, in the page head. Pages without plots
   load no BokehJS at all.
2. Adds the book's stylesheet (``explainer_core/page/assets/explainer.css``), and drops the
   1.5 MB ``fontawesome.js`` that pydata-sphinx-theme loads on every page only so that
   sites can register custom icons: the book has none, and the theme's icons are drawn
   by its Font Awesome web font either way.
3. Renders LaTeX math to MathML at build time (math renderer ``mathml``, via
   latex2mathml). Browsers draw MathML natively, so no MathJax and no CDN are
   needed; unsupported commands are build warnings, not silently wrong output.
4. Keeps TensorFlow quiet in the executed chapters: their kernels inherit the build's
   environment, and TensorFlow's start-up log lines (oneDNN notice, CPU features) would
   land in a cell's stderr, which the book's config turns into a build error.
5. After the build, reports every page that would load something from another host
   (``<script src="https://...">`` and the like). With ``-W`` that fails the build.

Explained in the chapter "How the book is built" (book/10_how_the_book_is_built.md).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import SubElement, tostring

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

from . import embed

logger = logging.getLogger(__name__)

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
STYLESHEET = "explainer.css"
#: Where the BokehJS bundles go, relative to ``_static``.
BOKEHJS_STATIC = "bokeh"
#: Load order of BokehJS bundles; the core bundle must come first.
_BUNDLE_ORDER = (
    "bokeh.min.js",
    "bokeh-gl.min.js",
    "bokeh-widgets.min.js",
    "bokeh-tables.min.js",
    "bokeh-mathjax.min.js",
)
_BUNDLES_RE = re.compile(rf'class="{re.escape(embed.MARKER_CLASS)}"\s+{re.escape(embed.BUNDLES_ATTRIBUTE)}="([^"]*)"')


# --------------------------------------------------------------------------- assets


def _add_assets(app: Sphinx, config: Any) -> None:
    config.html_static_path.append(str(ASSETS_DIR))
    app.add_css_file(STYLESHEET)


_FONTAWESOME_JS_RE = re.compile(r'<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>\n?')


def _drop_fontawesome_js(app: Sphinx) -> None:
    if app.builder.format != "html" or not hasattr(app.builder, "templates"):
        return
    templates = app.builder.templates
    render = templates.render

    def render_page(template: str, context: dict) -> str:
        return _FONTAWESOME_JS_RE.sub("", render(template, context))

    templates.render = render_page


def _bundle_key(name: str) -> tuple[int, str]:
    return (_BUNDLE_ORDER.index(name) if name in _BUNDLE_ORDER else len(_BUNDLE_ORDER), name)


def page_bundles(body: str) -> list[str]:
    """The BokehJS bundles that the embedded items in a page body need, in load order."""
    names: set[str] = set()
    for match in _BUNDLES_RE.finditer(body):
        names.update(match.group(1).split())
    if names:
        names.add(embed.CORE_BUNDLE)
    return sorted(names, key=_bundle_key)


def _copy_bundle(app: Sphinx, source: Path) -> None:
    copied: set[str] = app.builder.__dict__.setdefault("_explainer_bokehjs_copied", set())
    if source.name in copied:
        return
    target = Path(app.builder.outdir) / "_static" / BOKEHJS_STATIC / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_file() or target.read_bytes() != source.read_bytes():
        shutil.copyfile(source, target)
    copied.add(source.name)


def _add_page_bokehjs(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if app.builder.format != "html":
        return
    bundles = page_bundles(context.get("body") or "")
    for source in embed.bokehjs_files(bundles):
        _copy_bundle(app, source)
        # builder.add_js_file (not app.add_js_file) so that only this page gets it;
        # deferred scripts run in order before DOMContentLoaded, which is when the
        # scripts from bokeh.embed.components embed their items.
        app.builder.add_js_file(f"{BOKEHJS_STATIC}/{source.name}", defer="defer")
    if bundles and embed.TRACE_ATTRIBUTE in (context.get("body") or ""):
        _add_page_trace(app)
    if bundles:
        context.setdefault("metatags", "")
        context["metatags"] += f'\n<meta name="bokehjs-version" content="{embed.bokehjs_version()}">'


#: Where the browser forward pass, the page script and the shipped network go, under ``_static``.
TRACE_STATIC = "explainer"


def _add_page_trace(app: Sphinx) -> None:
    """Load the network and the browser forward pass once on a page whose views follow the picture.

    The files are written once per build: the scripts copied from the package, the
    network written from the shipped model (so the browser always runs the weights
    the chapters were built with).
    """
    from . import webmodel

    folder = Path(app.builder.outdir) / "_static" / TRACE_STATIC
    if not app.builder.__dict__.get("_explainer_trace_written"):
        from .examples import shipped_network

        folder.mkdir(parents=True, exist_ok=True)
        for source in webmodel.js_files():
            shutil.copyfile(source, folder / source.name)
        (folder / webmodel.NETWORK_JS).write_text(webmodel.network_js(shipped_network()), encoding="utf-8")
        app.builder.__dict__["_explainer_trace_written"] = True
    for name in (webmodel.NETWORK_JS, *webmodel.JS_FILES):
        app.builder.add_js_file(f"{TRACE_STATIC}/{name}", defer="defer")


# --------------------------------------------------------------------------- math


@functools.cache
def _known_commands() -> frozenset[str]:
    from latex2mathml import commands

    known: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, str):
            if value.startswith("\\"):
                known.add(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                collect(key)
                collect(item)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                collect(item)

    for name in dir(commands):
        if not name.startswith("_"):
            collect(getattr(commands, name))
    return frozenset(known)


_COMMAND_RE = re.compile(r"\\([A-Za-z]+)")
_ENVIRONMENT_RE = re.compile(r"\\(begin|end)\{([A-Za-z]+\*?)\}")
#: amsmath environments latex2mathml lacks, mapped to ones it draws the same way.
_ENVIRONMENT_ALIASES = {"aligned": "split", "equation": None, "equation*": None}
_NUMERIC_ENTITY_RE = re.compile(r"&amp;(#x[0-9A-Fa-f]+;)")


class MathError(ValueError):
    """LaTeX that the MathML renderer cannot draw faithfully."""


def latex_to_mathml(latex: str, display: str = "inline") -> str:
    """MathML for ``latex``, with the source kept as an annotation for copy and screen readers.

    Raises :class:`MathError` for commands or environments latex2mathml does not know,
    because it would otherwise print them as plain letters.
    """
    from latex2mathml import symbols_parser
    from latex2mathml.converter import convert_to_element

    def alias(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in _ENVIRONMENT_ALIASES:
            return match.group(0)
        target = _ENVIRONMENT_ALIASES[name]
        return "" if target is None else f"\\{match.group(1)}{{{target}}}"

    source = _ENVIRONMENT_RE.sub(alias, latex.strip())
    known = _known_commands()
    unknown = sorted(
        {
            f"\\{name}"
            for name in _COMMAND_RE.findall(source)
            if f"\\{name}" not in known and symbols_parser.convert_symbol(f"\\{name}") is None
        }
        | {
            f"\\begin{{{env}}}"
            for kind, env in _ENVIRONMENT_RE.findall(source)
            if kind == "begin" and f"\\{env}" not in known
        }
    )
    if unknown:
        raise MathError(f"unsupported LaTeX for MathML: {', '.join(unknown)} in {latex!r}")
    try:
        math = convert_to_element(source, display=display)
    except Exception as error:  # latex2mathml raises several unrelated types
        raise MathError(f"cannot convert {latex!r} to MathML: {error}") from error

    row = math[0]
    math.remove(row)
    semantics = SubElement(math, "semantics")
    semantics.append(row)
    annotation = SubElement(semantics, "annotation", {"encoding": "application/x-tex"})
    annotation.text = latex.strip()
    math.set("alttext", latex.strip())
    # latex2mathml stores symbols as "&#x...;" text; keep those as character references
    # but leave every other "&" and "<" escaped, so the result is valid HTML.
    return _NUMERIC_ENTITY_RE.sub(r"&\1", tostring(math, encoding="unicode"))


def _math_or_source(translator: Any, node: nodes.Element, latex: str, display: str) -> str:
    try:
        return latex_to_mathml(latex, display)
    except MathError as error:
        logger.warning(str(error), location=node, type="explainer", subtype="math")
        return f'<code class="math-error">{translator.encode(latex)}</code>'


def _visit_math(self: Any, node: nodes.math) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate nohighlight"))
    self.body.append(_math_or_source(self, node, node.astext(), "inline"))
    self.body.append("</span>")
    raise nodes.SkipNode


def _visit_math_block(self: Any, node: nodes.math_block) -> None:
    from sphinx.locale import _
    from sphinx.util.math import get_node_equation_number

    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node.get("number"):
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    # Sphinx's convention: a blank line separates equations in one block.
    for part in (p for p in node.astext().split("\n\n") if p.strip()):
        if r"\\" in part and r"\begin" not in part:
            part = r"\begin{split}" + part + r"\end{split}"
        self.body.append(_math_or_source(self, node, part, "block"))
    self.body.append("</div>\n")
    raise nodes.SkipNode


# --------------------------------------------------------------------------- offline check

#: (tag, attribute) pairs that make a browser fetch the URL when the page loads.
_LOADING_ATTRIBUTES = {
    ("script", "src"),
    ("img", "src"),
    ("img", "srcset"),
    ("iframe", "src"),
    ("source", "src"),
    ("source", "srcset"),
    ("video", "src"),
    ("video", "poster"),
    ("audio", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("input", "src"),
}
_LOADING_LINK_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "manifest", "apple-touch-icon"}
_INLINE_URL_RE = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[/"'\s)]""")
_CSS_URL_RE = re.compile(r"""(?:url\(|@import)\s*['"]?((?:https?:)?//[^'")\s]+)""")


def is_external(url: str) -> bool:
    """True for URLs on another host (http, https or protocol-relative); data: URIs are local."""
    url = url.strip()
    return url.startswith("//") or urlsplit(url).scheme in ("http", "https")


class _ExternalLoads(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._inline: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if (tag, name) in _LOADING_ATTRIBUTES:
                urls = [part.split()[0] for part in value.split(",") if part.strip()] if "srcset" in name else [value]
                self.found.extend(f"<{tag} {name}={url}>" for url in urls if is_external(url))
        if tag == "link" and _LOADING_LINK_RELS & set(values.get("rel", "").lower().split()):
            if is_external(values.get("href", "")):
                self.found.append(f"<link rel={values['rel']} href={values['href']}>")
        if tag in ("script", "style") and "src" not in values:
            self._inline = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._inline:
            self._inline = None

    def handle_data(self, data: str) -> None:
        if self._inline == "style":
            self.found.extend(f"<style> {url}" for url in _CSS_URL_RE.findall(data))
        elif self._inline == "script" and _INLINE_URL_RE.search(data):
            self.found.append(f"<script> mentions {_INLINE_URL_RE.search(data).group(0).rstrip()}")


def external_loads(html_text: str) -> list[str]:
    """What an HTML page would fetch from other hosts as it loads (links to read are fine)."""
    parser = _ExternalLoads()
    parser.feed(html_text)
    parser.close()
    return parser.found


def _check_offline(app: Sphinx, exception: BaseException | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.builder.outdir)
    for page in sorted(outdir.rglob("*.html")):
        for what in external_loads(page.read_text(encoding="utf-8")):
            logger.warning(
                "page %s loads from another host: %s",
                page.relative_to(outdir),
                what,
                type="explainer",
                subtype="offline",
            )
    for sheet in sorted((outdir / "_static").rglob("*.css")):
        for url in _CSS_URL_RE.findall(sheet.read_text(encoding="utf-8", errors="replace")):
            logger.warning(
                "stylesheet %s loads from another host: %s",
                sheet.relative_to(outdir),
                url,
                type="explainer",
                subtype="offline",
            )


#: Set for the notebook kernels (unless already set): no TensorFlow logs below ERROR, and
#: no oneDNN notice; the default Eigen CPU kernels also make results repeatable run to run.
QUIET_TENSORFLOW = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}


def setup(app: Sphinx) -> dict[str, Any]:
    if importlib.util.find_spec("latex2mathml") is None:
        raise ExtensionError(
            "explainer_core.page.sphinx_ext renders math with latex2mathml, which is not installed: "
            "pip install -e '.[book]'"
        )
    for name, value in QUIET_TENSORFLOW.items():
        os.environ.setdefault(name, value)
    app.add_html_math_renderer(
        "mathml", inline_renderers=(_visit_math, None), block_renderers=(_visit_math_block, None)
    )
    app.connect("config-inited", _add_assets)
    app.connect("builder-inited", _drop_fontawesome_js)
    app.connect("html-page-context", _add_page_bokehjs)
    app.connect("build-finished", _check_offline)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
