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

import base64
import hashlib
import json
import weakref
from collections import OrderedDict

import numpy as np
from bokeh.models import ColumnDataSource, CustomJS

from ...arithmetic.network import Network, fingerprint
from ...arithmetic.trace import Trace
from ...page import protocol
from .jscode import custom_js

__all__ = ["network_id", "network_of", "picture_payload", "picture_script", "picture_source", "refill_callback"]

#: The networks pictures were made for, by :func:`network_id`, so that ``show`` can put each on the page.
_NETWORKS: weakref.WeakValueDictionary[str, Network] = weakref.WeakValueDictionary()


def network_id(network: Network) -> str:
    """The name under which a page holds ``network`` (``ExplainerTrace.loadNetwork(id)``)."""
    return f"{protocol.NETWORK_ELEMENT_ID}-{fingerprint(network)}"


def network_of(identifier: str) -> Network | None:
    """The network a picture source names, if this process made one for it."""
    return _NETWORKS.get(identifier)


#: The pictures' numbers by picture name, for ``show`` to put on the page (the last few kept).
_PICTURES: OrderedDict[str, dict] = OrderedDict()
_KEPT_PICTURES = 64


def picture_source(trace: Trace, original: np.ndarray | None = None, label: str | None = None) -> ColumnDataSource:
    """The picture ``trace`` was made from, as the first frame's fill needs it.

    The source names the picture (``picture``, a fingerprint of its numbers), its ``shape``,
    its ``network``'s page name and its ``label`` (default: :func:`.access.picture_name`).
    The numbers themselves (:func:`picture_payload`) go on the page once, however many
    views show the same picture: ``show`` writes them beside the item as a JSON block with
    that name, and the book keeps one block per name per page.
    """
    from .access import picture_name

    payload = _payload(trace, original)
    identifier = "explainer-picture-" + hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
    _PICTURES[identifier] = payload
    _PICTURES.move_to_end(identifier)
    while len(_PICTURES) > _KEPT_PICTURES:
        _PICTURES.popitem(last=False)
    network = network_id(trace.network)
    _NETWORKS[network] = trace.network
    data = {
        "picture": [identifier],
        "shape": [list(trace.image.shape)],
        "network": [network],
        "label": [label or picture_name(trace)],
    }
    return ColumnDataSource(data, name=protocol.PICTURE)


def _payload(trace: Trace, original: np.ndarray | None) -> dict:
    """``pixels``: the model's input as 8-bit RGB, base64 (exact: the input is those bytes / 255),
    or, for an input that is not, ``values`` as float32; with ``original`` (the photo as given,
    (H, W, 3) uint8) also its display copy ``photo`` (at most 256 pixels a side; left out when
    it is ``pixels``), ``photo_shape`` and the photo's ``original_size`` (width, height)."""
    from .pictures import display_copy

    image = np.asarray(trace.image, dtype=np.float32)
    pixels = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
    exact = image.shape[-1] == 3 and np.array_equal(pixels.astype(np.float32) / np.float32(255), image)
    payload = {"pixels": _b64(pixels)} if exact else {"values": _b64(image.astype("<f4"))}
    if original is not None:
        photo = np.asarray(original, dtype=np.uint8)[..., :3]
        shown = display_copy(photo)
        if not (exact and shown.shape == pixels.shape and np.array_equal(shown, pixels)):
            payload["photo"] = _b64(shown)
        payload["photo_shape"] = list(shown.shape)
        payload["original_size"] = [int(photo.shape[1]), int(photo.shape[0])]
    return payload


def _b64(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values).tobytes()).decode("ascii")


def picture_payload(source: ColumnDataSource) -> dict:
    """The numbers of a picture source (see :func:`picture_source`), as written into the page."""
    identifier = source.data["picture"][0]
    if identifier not in _PICTURES:
        raise ValueError(f"picture {identifier!r} was not made in this process (or is no longer kept)")
    return _PICTURES[identifier]


def picture_script(source: ColumnDataSource) -> str:
    """The ``<script type="application/json">`` block page.js reads a picture source's numbers from."""
    text = json.dumps(picture_payload(source), separators=(",", ":"))
    return f'<script type="application/json" id="{source.data["picture"][0]}">{text}</script>'


def refill_callback(view: str, picture: ColumnDataSource | None = None, **args) -> CustomJS:
    """The fill of the view in room ``view`` (code in ``views/<view>/fill.js``) bound to ``args``.

    With ``picture`` (:func:`picture_source`), page.js also runs it for the first frame.
    """
    if picture is not None:
        args["view_picture"] = picture
    callback = custom_js(f"{view}/fill", **args)
    callback.name = protocol.REFILL
    return callback
