"""How a view follows the picture the reader chooses in the browser.

A view that shows numbers of the trace tags its root layout with a ``CustomJS``
named :data:`~explainer_core.page.protocol.REFILL`, whose code is
``explainer_core/views/<view>/fill.js`` and whose args are the view's own data sources and glyph models. When the
picture changes, ``explainer_core/page/page.js`` runs every such callback with
``cb_data = {trace, picture, network, label}``, where ``trace`` comes from
``explainer_core/arithmetic/trace.js`` and has the same layout as the Python
:class:`~explainer_core.arithmetic.trace.Trace`. Each refill writes the same numbers into
the same sources as the view's Python ``*_data`` function does.
"""

from __future__ import annotations

from bokeh.models import CustomJS

from ...page import protocol
from .jscode import custom_js


def refill_callback(view: str, **args) -> CustomJS:
    """The refill callback of the view in room ``view`` (code in ``views/<view>/fill.js``) bound to ``args``."""
    callback = custom_js(f"{view}/fill", **args)
    callback.name = protocol.REFILL
    return callback
