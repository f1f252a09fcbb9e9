"""Embedding Bokeh views in the book's pages.

A chapter builds a Bokeh layout and ends a code cell with ``show(layout)``. The
cell's output is the ``<div>`` and ``<script>`` from :func:`bokeh.embed.components`,
wrapped in a marker ``<div class="explainer-bokeh">`` that names the BokehJS bundles
the item needs (the names are :mod:`explainer_core.page.protocol`'s). BokehJS itself is
never in the output: it is loaded once per page by
:mod:`explainer_core.page.sphinxext.bokehjs`, from the book's own ``_static`` folder, on the
pages that carry a marker. (``bokeh.io.show`` and ``output_notebook`` would instead
inline the whole library in every cell or fetch it from a CDN.)

:func:`show` also makes the item accessible (:mod:`explainer_core.views.kit.access`): a
figure without a text alternative of its own gets one from its title, and the item's
document runs ``views/kit/access_ready.js`` once it is drawn, to name what Bokeh draws in its
shadow DOM and to write every text alternative for the first picture.

Outside the book, e.g. in JupyterLab or on Binder, call :func:`use_notebook` once first:
it puts BokehJS on the page from the installed ``bokeh`` package (a classroom hub often has
no internet, and ``output_notebook()``'s default fetches it from Bokeh's CDN); ``show``
then works there too, carrying the views' own scripts in its output.

Explained in the chapter "How the book is built" (book/10_how_the_book_is_built.md).
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import bokeh
from bokeh.document import Document
from bokeh.embed import components
from bokeh.embed.bundle import bundle_for_objs_and_resources
from bokeh.model import Model
from bokeh.resources import Resources
from bokeh.util.paths import bokehjs_path

from .protocol import BUNDLES_ATTRIBUTE, IN_BOOK, MARKER_CLASS, PAGE_SCRIPTS, PICTURE, REFILL, TRACE_ATTRIBUTE, VIEW_KIT

__all__ = [
    "CORE_BUNDLE",
    "BokehItem",
    "bokehjs_files",
    "bokehjs_version",
    "required_bundles",
    "use_notebook",
    "show",
]

#: The one bundle every item needs; the others (widgets, tables, gl, mathjax) add to it.
CORE_BUNDLE = "bokeh.min.js"


def bokehjs_version() -> str:
    """The version of the installed Bokeh, which the served BokehJS must match exactly."""
    return bokeh.__version__


def _js_dir() -> Path:
    return Path(bokehjs_path()) / "js"


def required_bundles(obj: Model) -> tuple[str, ...]:
    """The minified BokehJS files that ``obj`` needs, in load order.

    Bokeh itself decides (widgets, tables, WebGL and MathJax are separate bundles);
    we only turn its URLs into file names under ``bokeh/server/static/js``.
    """
    bundle = bundle_for_objs_and_resources([obj], Resources(mode="server", minified=True))
    names = [PurePosixPath(urlsplit(str(url)).path).name for url in bundle.js_urls]
    unknown = [name for name in names if not (_js_dir() / name).is_file()]
    if unknown:
        raise ValueError(
            f"{type(obj).__name__} needs BokehJS files that the bokeh package does not ship: {unknown}; "
            "custom Bokeh extensions are not supported by the offline book"
        )
    if CORE_BUNDLE not in names:
        names.insert(0, CORE_BUNDLE)
    return tuple(names)


def _needs_network(obj: Model) -> list[str]:
    """Models in ``obj`` whose BokehJS views fetch from other hosts at run time."""
    from bokeh.models import GMapPlot, TablerIcon, TileSource

    online = (GMapPlot, TablerIcon, TileSource)  # Google Maps, jsdelivr icon font, map tiles
    return sorted({type(model).__name__ for model in obj.references() if isinstance(model, online)})


def bokehjs_files(bundles: Iterable[str]) -> list[Path]:
    """Paths of the installed BokehJS files named in ``bundles`` (used by the Sphinx extension)."""
    paths = []
    for name in bundles:
        path = _js_dir() / PurePosixPath(name).name
        if not path.is_file():
            raise FileNotFoundError(f"BokehJS file {name!r} is not in {_js_dir()}")
        paths.append(path)
    return paths


@dataclass(frozen=True)
class BokehItem:
    """One embedded Bokeh layout: what a notebook cell displays as ``text/html``.

    ``script`` and ``div`` are exactly what :func:`bokeh.embed.components` returned;
    ``bundles`` are the BokehJS files the page has to load before the script runs.
    """

    script: str
    div: str
    bundles: tuple[str, ...]
    kind: str

    #: True when the item follows the picture the reader chooses (it holds refill callbacks),
    #: so the page also needs the network and the browser forward pass.
    traces: bool = False

    #: Page scripts the item carries itself (outside the book, where no page loads them):
    #: ``<script>`` elements, each defining its global once however often it appears.
    scripts: str = ""

    def to_html(self) -> str:
        bundles = html.escape(" ".join(self.bundles), quote=True)
        traced = f' {TRACE_ATTRIBUTE}="1"' if self.traces else ""
        opening = f'<div class="{MARKER_CLASS}" {BUNDLES_ATTRIBUTE}="{bundles}"{traced}>'
        return f"{opening}\n{self.scripts}{self.div}\n{self.script}\n</div>"

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"<BokehItem {self.kind} needing {', '.join(self.bundles)}>"


def use_notebook() -> None:
    """Set a Jupyter notebook up for the views, offline: BokehJS from the installed package, once.

    ``bokeh.io.output_notebook()`` with its default resources loads BokehJS from Bokeh's CDN,
    so on a hub without internet (or in an HTML export opened offline) no view appears.
    """
    from bokeh.io import output_notebook
    from bokeh.resources import INLINE

    output_notebook(resources=INLINE, hide_banner=True)


def show(obj: Model) -> BokehItem:
    """Embed a Bokeh layout in the page; the book's replacement for ``bokeh.io.show``.

    Return it as the last expression of a cell (as with any IPython display object),
    or pass it to ``IPython.display.display`` elsewhere in a cell::

        p = figure(height=200, sizing_mode="stretch_width")
        p.line([0, 1, 2], [0, 1, 0])
        show(p)
    """
    if not isinstance(obj, Model):
        raise TypeError(f"show() embeds a Bokeh model or layout, not {type(obj).__name__}")
    online = _needs_network(obj)
    if online:
        raise ValueError(f"the book must work offline, but {', '.join(online)} load from other hosts")
    from ..views.kit import access

    # Every figure gets a text alternative and the document a script that names what
    # Bokeh draws in its shadow DOM (explainer_core/views/kit/access.py).
    ready = access.prepare(obj)
    bundles = required_bundles(obj)
    document = obj.document
    created = document is None
    if created:
        document = Document()
        document.add_root(obj)
    access.on_ready(document, ready)
    script, div = components(obj)
    if created:
        # Take the layout out of its Document again so that its parts can still go
        # into another layout that a later cell shows.
        document.remove_root(obj)
    traces = any(getattr(model, "name", None) == REFILL for model in obj.references())
    return BokehItem(script=script, div=div, bundles=bundles, kind=type(obj).__name__, traces=traces,
                     scripts=_carried_scripts(obj, traces))


def _carried_scripts(obj: Model, traces: bool) -> str:
    """What the page must hold for ``obj`` that the book serves once per page from ``_static``.

    Everywhere: the numbers of every picture a view was built for (a JSON block each).
    Outside the book (``IN_BOOK`` unset): the views' kit, and for an item that follows a
    picture the forward pass, preprocessing and ``page.js`` too, each defining its global
    once however often it appears. Everywhere: the network of every picture a view was
    built for, unless the book serves it already (the shipped network).
    """
    from ..views.kit.refill import network_id, network_of, picture_script
    from . import webmodel

    in_book = bool(os.environ.get(IN_BOOK))
    parts = []
    pictures = sorted((m for m in obj.references() if getattr(m, "name", None) == PICTURE), key=lambda m: m.id)
    # each picture's numbers once per item (the book keeps one block per picture per page)
    blocks = {source.data["picture"][0]: picture_script(source) for source in pictures}
    parts.extend(block + "\n" for block in blocks.values())
    identifiers = sorted({source.data["network"][0] for source in pictures})
    served = None
    if in_book and identifiers:
        from .examples import shipped_network

        served = network_id(shipped_network())
    for identifier in identifiers:
        if identifier == served:
            continue
        network = network_of(identifier)
        if network is None:
            raise ValueError(f"a view names network {identifier!r}, which this process did not build it from")
        parts.append(webmodel.network_script(network, identifier) + "\n")
    if not in_book:
        names = PAGE_SCRIPTS if traces else (VIEW_KIT,)
        parts.extend(f"<script>\n{webmodel.js_source(name)}</script>\n" for name in names)
    return "".join(parts)
