"""How a view gets its picture's numbers: one JavaScript fill per view, for every frame.

A view that shows numbers of a trace computes none of them in Python. Python builds
the skeleton (figures, glyphs, every column that does not depend on the picture) and
tags the root layout with a ``CustomJS`` named :data:`~explainer_core.page.protocol.REFILL`,
whose code is ``explainer_core/views/<view>/fill.js`` and whose args are the view's own
sources and glyph models, plus ``view_picture``: a small source (:func:`picture_source`) holding
the 8-bit picture the view was built for and the name of its network.

``explainer_core/page/page.js`` runs the fill with
``cb_data = {trace, picture, network, label, first}``:

* once the document is drawn (``first`` true), with the trace of the view's own picture,
  computed by ``explainer_core/arithmetic/trace.js`` from ``view_picture`` and the network;
* after the reader chooses a new picture (``first`` false), with that picture's trace.

So each picture-dependent number has one owner, the view's ``fill.js``; the Python and
JavaScript traces are twins (``explainer_core/twins.py``), checked against Keras.
"""

from __future__ import annotations

import weakref

import numpy as np
from bokeh.models import ColumnDataSource, CustomJS

from ...arithmetic.network import Network, fingerprint
from ...arithmetic.trace import Trace
from ...page import protocol
from .jscode import custom_js

__all__ = ["network_id", "network_of", "picture_source", "refill_callback"]

#: The networks pictures were made for, by :func:`network_id`, so that ``show`` can put each on the page.
_NETWORKS: weakref.WeakValueDictionary[str, Network] = weakref.WeakValueDictionary()


def network_id(network: Network) -> str:
    """The name under which a page holds ``network`` (``ExplainerTrace.loadNetwork(id)``)."""
    return f"{protocol.NETWORK_ELEMENT_ID}-{fingerprint(network)}"


def network_of(identifier: str) -> Network | None:
    """The network a picture source names, if this process made one for it."""
    return _NETWORKS.get(identifier)


def picture_source(trace: Trace, original: np.ndarray | None = None, label: str | None = None) -> ColumnDataSource:
    """The picture ``trace`` was made from, as the first frame's fill needs it.

    ``pixels``: the model's input as 8-bit RGB (exact: the input is those bytes / 255),
    or, for an input that is not, ``values`` as float32; ``shape``; the ``network``'s page
    name; the picture's ``label``. With ``original`` (the photo as given, (H, W, 3) uint8)
    also its display copy (``photo``, at most 256 pixels a side; empty when it is ``pixels``)
    and its size.
    """
    from .pictures import display_copy

    image = np.asarray(trace.image, dtype=np.float32)
    pixels = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
    exact = image.shape[-1] == 3 and np.array_equal(pixels.astype(np.float32) / np.float32(255), image)
    identifier = network_id(trace.network)
    _NETWORKS[identifier] = trace.network
    data = {
        "shape": [list(image.shape)],
        "network": [identifier],
        "label": [label or ""],
        "pixels": [pixels.reshape(-1)] if exact else [np.zeros(1, np.uint8)],
        "values": [np.zeros(1, np.float32)] if exact else [image.reshape(-1)],
    }
    if original is not None:
        photo = np.asarray(original, dtype=np.uint8)[..., :3]
        shown = display_copy(photo)
        # A photo already the model's size is the input itself: held once (an empty ``photo``).
        same = exact and shown.shape == pixels.shape and np.array_equal(shown, pixels)
        data["photo"] = [np.zeros(0, np.uint8) if same else np.ascontiguousarray(shown).reshape(-1)]
        data["photo_shape"] = [list(shown.shape)]
        data["original_size"] = [[int(photo.shape[1]), int(photo.shape[0])]]
    return ColumnDataSource(data, name=protocol.PICTURE)


def refill_callback(view: str, picture: ColumnDataSource | None = None, **args) -> CustomJS:
    """The fill of the view in room ``view`` (code in ``views/<view>/fill.js``) bound to ``args``.

    With ``picture`` (:func:`picture_source`), page.js also runs it for the first frame.
    """
    if picture is not None:
        args["view_picture"] = picture
    callback = custom_js(f"{view}/fill", **args)
    callback.name = protocol.REFILL
    return callback
