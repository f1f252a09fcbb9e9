"""Serve BokehJS from the book itself, once per page that has a plot.

Cells embed plots with :func:`explainer_core.page.embed.show`, whose output names the
BokehJS bundles it needs. On each page that has such output, this extension copies
those bundles from the *installed* bokeh package into ``_static/bokeh/`` (so they
always match the Python side) and loads each one once, deferred, in the page head.
Pages without plots load no BokehJS at all.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from .. import embed
from ..protocol import BOKEHJS_STATIC, BUNDLES_ATTRIBUTE, MARKER_CLASS

#: Load order of BokehJS bundles; the core bundle must come first.
_BUNDLE_ORDER = (
    "bokeh.min.js",
    "bokeh-gl.min.js",
    "bokeh-widgets.min.js",
    "bokeh-tables.min.js",
    "bokeh-mathjax.min.js",
)
_BUNDLES_RE = re.compile(rf'class="{re.escape(MARKER_CLASS)}"\s+{re.escape(BUNDLES_ATTRIBUTE)}="([^"]*)"')


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
    if bundles:
        context.setdefault("metatags", "")
        context["metatags"] += f'\n<meta name="bokehjs-version" content="{embed.bokehjs_version()}">'


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", _add_page_bokehjs)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
