"""The model and its forward pass for the browser: payload, scripts and page snippet.

CNN Explainer runs the model in the reader's browser, so that an uploaded
picture updates every view at once (Sect. 6.4). The arithmetic lives in two
plain scripts, ``explainer_core/arithmetic/trace.js`` (the forward trace, the twin of
:mod:`explainer_core.arithmetic.trace`) and ``explainer_core/data/preprocess.js`` (decode,
resize and crop, the twin of :mod:`explainer_core.data.preprocess`). This module
writes the one thing they need from Python: the network.

The payload (format ``explainer-network/1``) is JSON::

    {"format": "explainer-network/1", "name": "tiny_vgg", "input_shape": [64, 64, 3],
     "class_names": ["lifeboat", ...] or null,
     "weight_count": 20990, "weights": "<base64: every weight, float32 little-endian>",
     "layers": [{"kind": "conv", "name": "conv_1_1", "keras_name": "conv_1_1",
                 "input_shape": [64, 64, 3], "output_shape": [62, 62, 10],
                 "window": [3, 3], "strides": [1, 1], "padding": "valid", "pads": [[0, 0], [0, 0]],
                 "kernel": {"offset": 0, "shape": [3, 3, 3, 10]}, "bias": {"offset": 270, "shape": [10]}},
                {"kind": "relu", ...}, ...],
     "preprocess": {"max_pixels": 50000000, "background": [255, 255, 255]}}

All weights share one base64 string (offsets count float32 values), so the
browser decodes them with one ``atob`` into one buffer; kernels keep Keras's
layouts, (kH, kW, in, out) and (inputs, outputs), as :class:`LayerSpec` does.

Example::

    from explainer_core.page.examples import shipped_network
    html = page_script(shipped_network(), js_url="_static/explainer/")

Explained in the chapter "How the book is built" (book/10_how_the_book_is_built.md).
"""

from __future__ import annotations

import base64
import json
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np

from ..arithmetic.network import Network
from ..data.preprocess import BACKGROUND, MAX_PIXELS
from .protocol import NETWORK_ELEMENT_ID, NETWORKS_GLOBAL, PAGE_SCRIPTS, SCRIPT_HOMES

__all__ = [
    "FORMAT",
    "decode_weights",
    "js_files",
    "js_source",
    "network_js",
    "network_json",
    "network_payload",
    "network_script",
    "page_script",
]

FORMAT = "explainer-network/1"


def _ref(array: np.ndarray, chunks: list[np.ndarray], offset: int) -> tuple[dict, int]:
    chunks.append(np.ascontiguousarray(array, dtype="<f4").reshape(-1))
    return {"offset": offset, "shape": [int(d) for d in array.shape]}, offset + array.size


def network_payload(network: Network) -> dict:
    """The network as a JSON-able dict (see the module docstring for the format)."""
    chunks: list[np.ndarray] = []
    offset = 0
    layers = []
    for spec in network.layers:
        layer = {
            "kind": spec.kind,
            "name": spec.name,
            "keras_name": spec.keras_name,
            "input_shape": list(spec.input_shape),
            "output_shape": list(spec.output_shape),
        }
        if spec.window is not None:
            layer["window"] = list(spec.window)
            layer["strides"] = list(spec.strides)
            layer["padding"] = spec.padding
            layer["pads"] = [list(p) for p in spec.pads]
        if spec.kernel is not None:
            layer["kernel"], offset = _ref(spec.kernel, chunks, offset)
            layer["bias"], offset = _ref(spec.bias, chunks, offset)
        layers.append(layer)
    weights = np.concatenate(chunks) if chunks else np.zeros(0, "<f4")
    return {
        "format": FORMAT,
        "name": network.name,
        "input_shape": list(network.input_shape),
        "class_names": list(network.class_names) if network.class_names is not None else None,
        "weight_count": int(weights.size),
        "weights": base64.b64encode(weights.tobytes()).decode("ascii"),
        "layers": layers,
        "preprocess": {"max_pixels": MAX_PIXELS, "background": list(BACKGROUND)},
    }


def decode_weights(payload: dict) -> dict[str, dict[str, np.ndarray]]:
    """The kernels and biases of a payload as arrays, by step name (the inverse of :func:`network_payload`)."""
    weights = np.frombuffer(base64.b64decode(payload["weights"]), dtype="<f4")
    if weights.size != payload["weight_count"]:
        raise ValueError(f"the payload holds {weights.size} weights but says {payload['weight_count']}")
    decoded = {}
    for layer in payload["layers"]:
        if "kernel" in layer:
            decoded[layer["name"]] = {
                part: weights[ref["offset"] : ref["offset"] + int(np.prod(ref["shape"]))].reshape(ref["shape"])
                for part, ref in ((p, layer[p]) for p in ("kernel", "bias"))
            }
    return decoded


def network_json(network: Network) -> str:
    """The payload as compact JSON that is safe inside an HTML ``<script>`` element."""
    text = json.dumps(network_payload(network), separators=(",", ":"), ensure_ascii=True)
    # "</script>" or "<!--" in a class name must not end the element early.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def network_script(network: Network, element_id: str = NETWORK_ELEMENT_ID) -> str:
    """One ``<script type="application/json">`` block holding the network, for ``ExplainerTrace.loadNetwork``."""
    return f'<script type="application/json" id="{element_id}">{network_json(network)}</script>'


def network_js(network: Network, element_id: str = NETWORK_ELEMENT_ID) -> str:
    """The network as a script file (``window.ExplainerNetworks[id] = ...``), to serve from ``_static``.

    A separate file is cached by the browser across pages, and ``<script src>``
    works even when the book is opened from disk, where ``fetch`` does not.
    """
    from ..views.kit.refill import network_id

    # Also under its fingerprint name, which the views' pictures use (views/kit/refill.py).
    names = "".join(f"[{json.dumps(name)}]" for name in (element_id, network_id(network)))
    return (
        f"(function (networks, payload) {{ networks{names.replace('][', '] = networks[')} = payload; }})"
        f"(window.{NETWORKS_GLOBAL} = window.{NETWORKS_GLOBAL} || {{}}, {network_json(network)});\n"
    )


def _js_path(name: str):
    return files("explainer_core").joinpath(SCRIPT_HOMES[name], name)


def js_files() -> list[Path]:
    """Paths of the forward-pass scripts (``protocol.PAGE_SCRIPTS``), for copying into a site's static folder."""
    return [Path(str(_js_path(name))) for name in PAGE_SCRIPTS]


@cache
def js_source(name: str) -> str:
    """The text of one of ``protocol.PAGE_SCRIPTS``."""
    if name not in PAGE_SCRIPTS:
        raise ValueError(f"{name!r} is not one of {PAGE_SCRIPTS}")
    text = _js_path(name).read_text(encoding="utf-8")
    if "</script" in text.lower():  # it would end an inline <script> element early
        raise ValueError(f"{name} contains '</script' and cannot be inlined")
    return text


def page_script(network: Network, js_url: str | None = None, element_id: str = NETWORK_ELEMENT_ID) -> str:
    """HTML that puts the network and the forward pass on a page: include it once per page.

    With ``js_url`` (a folder URL ending in "/", such as ``"_static/explainer/"``)
    the scripts are loaded from there; without it they are inlined, for a
    notebook that has no static folder. Either way each script defines its
    global only once, so a second copy on the same page does nothing.
    """
    if js_url is None:
        scripts = "".join(f"<script>\n{js_source(name)}</script>\n" for name in PAGE_SCRIPTS)
    else:
        scripts = "".join(f'<script src="{js_url}{name}"></script>\n' for name in PAGE_SCRIPTS)
    return f"{network_script(network, element_id)}\n{scripts}"
