"""Put the views' kit on every page with a view, and the network and the browser's forward
pass on every page whose views follow the picture.

Every page with an embedded item loads, after BokehJS, the views' JavaScript kit
(:data:`~explainer_core.page.protocol.VIEW_KIT`). A page with an item marked by
:data:`~explainer_core.page.protocol.TRACE_ATTRIBUTE` (a view holding refill callbacks)
also loads the shipped network and the other page scripts
(:data:`~explainer_core.page.protocol.PAGE_SCRIPTS`: the forward pass, preprocessing
and ``page.js``), all from ``_static/explainer/``. The notebook kernels get
:data:`~explainer_core.page.protocol.IN_BOOK`, so that ``show`` leaves these scripts
out of the cells' output (outside the book it inlines them). Each picture's numbers and
each network that items carry beside them are kept once per page.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from ..protocol import IN_BOOK, NETWORK_JS, PAGE_SCRIPTS, SCRIPTS_STATIC, TRACE_ATTRIBUTE, VIEW_KIT
from .bokehjs import page_bundles


def _write_scripts(app: Sphinx) -> None:
    """Write the files once per build: the scripts copied from the package, the network
    written from the shipped model (so the browser always runs the weights the chapters
    were built with)."""
    if app.builder.__dict__.get("_explainer_trace_written"):
        return
    from .. import webmodel
    from ..examples import shipped_network

    folder = Path(app.builder.outdir) / "_static" / SCRIPTS_STATIC
    folder.mkdir(parents=True, exist_ok=True)
    for source in webmodel.js_files():
        shutil.copyfile(source, folder / source.name)
    (folder / NETWORK_JS).write_text(webmodel.network_js(shipped_network()), encoding="utf-8")
    app.builder.__dict__["_explainer_trace_written"] = True


#: A JSON block that show() writes beside an item: a picture's numbers or a network (views/kit/refill.py).
_DATA_BLOCK_RE = re.compile(
    r'<script type="application/json" id="((?:explainer-picture|explainer-network)-[0-9a-f]+)">.*?</script>\n?',
    re.DOTALL,
)


def once_per_page(body: str) -> str:
    """``body`` with each picture and network block kept once: the first, which every item can read."""
    seen: set[str] = set()

    def keep_first(match: re.Match) -> str:
        if match.group(1) in seen:
            return ""
        seen.add(match.group(1))
        return match.group(0)

    return _DATA_BLOCK_RE.sub(keep_first, body)


def _add_page_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if app.builder.format != "html":
        return
    body = context.get("body") or ""
    if body:
        body = context["body"] = once_per_page(body)
    if not page_bundles(body):
        return
    _write_scripts(app)
    for name in (NETWORK_JS, *PAGE_SCRIPTS) if TRACE_ATTRIBUTE in body else (VIEW_KIT,):
        app.builder.add_js_file(f"{SCRIPTS_STATIC}/{name}", defer="defer")


def setup(app: Sphinx) -> dict[str, Any]:
    # The scripts need BokehJS on the page; setting its extension up first also connects
    # its handler first, so these scripts load right after its bundles.
    app.setup_extension(f"{__package__}.bokehjs")
    os.environ[IN_BOOK] = "1"
    app.connect("html-page-context", _add_page_scripts)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
