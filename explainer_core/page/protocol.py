"""The page protocol: every name, attribute and folder that Python and the browser share.

Python writes these names into a page (as Bokeh model names, HTML attributes and
``_static`` paths) and the browser finds things by them. The twin of this module is
``explainer_core/page/page.js``, whose ``const`` lines repeat the names it uses;
``tests/test_page_protocol.py`` checks that the two agree, and that no other script
in the package spells a page name that is not here. Change a name in both places.

This module imports nothing, so any floor may read it: a view names its callbacks
with it without depending on the page machinery.

Explained in the chapter "How the book is built" (book/10_how_the_book_is_built.md).
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = [
    "BOKEHJS_STATIC",
    "BUNDLES_ATTRIBUTE",
    "DESCRIBE",
    "IN_BOOK",
    "LIVE_CODE_META",
    "MARKER_CLASS",
    "NETWORK_ELEMENT_ID",
    "NETWORKS_GLOBAL",
    "NETWORK_JS",
    "PAGE_SCRIPTS",
    "PICTURE",
    "READY",
    "REFILL",
    "SCRIPTS_STATIC",
    "SCRIPT_HOMES",
    "SIGNED",
    "STATUS",
    "TRACE_ATTRIBUTE",
    "VIEW_KIT",
]

# Bokeh model names, which page.js and the views' callbacks look for in ``Bokeh.documents``.

#: Every view's refill callback (a ``CustomJS``, see ``views/refill.py``); page.js runs them
#: with the new picture's trace.
REFILL = "explainer-refill"
#: The source holding the picture a view was built for (``views/kit/refill.py``): page.js traces
#: it for the view's first frame.
PICTURE = "explainer-picture"
#: The picture changer's message (a ``Div``), which page.js rewrites.
STATUS = "explainer-status"
#: Every description callback (``views/kit/access.py``); page.js and ``views/kit/access_ready.js`` run
#: them to rewrite the text alternatives.
DESCRIBE = "explainer-describe"
#: The callback that runs ``views/kit/access_ready.js`` once a document is drawn.
READY = "explainer-access"
#: The number formatters that write a true minus sign (the browser tests find them by it).
SIGNED = "explainer-signed"

# HTML around every embedded item (``page/embed.py``), read by the Sphinx extension,
# by ``views/kit/access_ready.js``, by the stylesheet and by the browser tests.

#: CSS class of the wrapper around every embedded item.
MARKER_CLASS = "explainer-bokeh"
#: Attribute of the wrapper listing the BokehJS files the item needs, space separated.
BUNDLES_ATTRIBUTE = "data-bokeh-bundles"
#: Attribute of the wrapper of an item that follows the reader's picture.
TRACE_ATTRIBUTE = "data-explainer-trace"

#: The ``<meta>`` in which a chapter hands live_code.js its kernel settings (``sphinxext/live_code.py``).
LIVE_CODE_META = "explainer-live-code"

# The network and the scripts of the browser's forward pass (``page/webmodel.py``).

#: The id under which trace.js finds the network (a JSON ``<script>`` block or
#: ``window[NETWORKS_GLOBAL][id]``).
NETWORK_ELEMENT_ID = "explainer-network"
#: The browser global in which a served network file puts its network, by id.
NETWORKS_GLOBAL = "ExplainerNetworks"
#: The file name under which a built book serves the shipped network.
NETWORK_JS = "network.js"
#: The page scripts, in load order: the forward pass, preprocessing, the picture changer.
PAGE_SCRIPTS = ("trace.js", "preprocess.js", "kit.js", "page.js")
#: The package folder of each page script: beside its Python twin, or here for page.js.
SCRIPT_HOMES = MappingProxyType(
    {"trace.js": "arithmetic", "preprocess.js": "data", "kit.js": "views/kit", "page.js": "page"}
)
#: Set in the environment of the book's notebook kernels (by the Sphinx extension): there the
#: page scripts come from ``_static`` once per page, so ``show`` does not inline them.
IN_BOOK = "EXPLAINER_IN_BOOK"
#: The page script every page with a view loads, traced or not (the views' callbacks use it).
VIEW_KIT = "kit.js"

# Folders under a built book's ``_static`` (the Sphinx extension writes them).

#: BokehJS, copied from the installed bokeh package.
BOKEHJS_STATIC = "bokeh"
#: The network and the page scripts.
SCRIPTS_STATIC = "explainer"
