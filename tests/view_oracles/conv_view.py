"""The convolutional elastic view's numbers, computed in Python: an independent Python reference of
what the page must show, used by the browser tests (tests/test_browser_refill_conv.py) and checked
against Keras (tests/test_views_conv.py).

The product computes these numbers only in the browser: ``explainer_core/views/conv_view/fill.js``
(the input channels, every intermediate result and the output map of the chosen neuron, the colour
ranges) and ``position.js`` (the readout), for the first frame too; Python builds the view's
skeleton (where each map is drawn, the kernel and bias, edges and labels) with placeholders. Here
:func:`conv_elastic_data` gives every column of the sources as the page must hold them for a trace
and a neuron, and :func:`readout_html` the sentence under the view at one window position.
"""

from __future__ import annotations

from explainer_core.arithmetic.network import LayerSpec
from explainer_core.arithmetic.trace import Trace
from explainer_core.views.conv_view import _layout
from explainer_core.views.kit import channel_name, check_index, conv_step, fmt

__all__ = ["conv_elastic_data", "readout_html"]


def conv_elastic_data(trace: Trace, layer: str | None = None, neuron: int = 0) -> dict[str, dict[str, list]]:
    """The columns of the elastic view's data sources for one neuron, from the trace.

    Keys are the sources: ``inputs`` (one row per input channel: ``image``, the
    channel as an (H, W) array, and where it is drawn), ``maps`` (one row per
    intermediate result, then the output map as the last row, ``role`` says which),
    ``kernel`` (one row per kernel weight, then the bias as the last row: ``value``,
    ``channel``, ``row``, ``col``, ``role``), ``edges`` and ``labels``. Every number
    is the trace's own (its input, its intermediate results and output) or the
    network's (kernel and bias); nothing is recomputed here.
    """
    spec = conv_step(trace, layer)
    neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
    x = trace.input_of(spec.name)
    channels = x.shape[-1]
    g = _layout(spec, channels)
    parts = trace.intermediates[spec.name][neuron]
    output = trace.outputs[spec.name][:, :, neuron]
    kernel = spec.kernel[:, :, :, neuron]
    (kh, kw), cell = spec.window, g["cell"]
    names = [channel_name(trace, spec, c) for c in range(channels)]

    inputs = dict(
        image=[x[:, :, c] for c in range(channels)],
        x=[b[0] for b in g["inputs"]],
        y=[b[1] for b in g["inputs"]],
        dw=[b[2] for b in g["inputs"]],
        dh=[b[3] for b in g["inputs"]],
        channel=list(range(channels)),
        name=names,
    )
    boxes = g["mids"] + [g["out"]]
    maps = dict(
        image=[parts[c] for c in range(channels)] + [output],
        x=[b[0] for b in boxes],
        y=[b[1] for b in boxes],
        dw=[b[2] for b in boxes],
        dh=[b[3] for b in boxes],
        channel=list(range(channels)) + [-1],
        role=["intermediate"] * channels + ["output"],
    )

    k = dict(x=[], y=[], size=[], value=[], channel=[], row=[], col=[], role=[])
    for c, (kx, ky) in enumerate(g["kernels"]):
        for i in range(kh):
            for j in range(kw):
                for column_, value in zip(
                    ("x", "y", "size", "value", "channel", "row", "col", "role"),
                    (kx + (j + 0.5) * cell, ky - (i + 0.5) * cell, cell, float(kernel[i, j, c]), c, i, j, "weight"),
                    strict=True,
                ):
                    k[column_].append(value)
    for column_, value in zip(
        ("x", "y", "size", "value", "channel", "row", "col", "role"),
        (g["bias"][0], g["bias"][1], cell * 1.2, float(spec.bias[neuron]), -1, -1, -1, "bias"),
        strict=True,
    ):
        k[column_].append(value)

    edges = dict(xs=[[p[0] for p in e] for e in g["edges"]], ys=[[p[1] for p in e] for e in g["edges"]])

    label_gap = max(g["inputs"][0][3], g["out"][3]) * 0.05
    texts = [(hx, hy, text, "head") for hx, hy, text in g["heads"]]
    for c in range(channels):
        ix, iy, iw, _ = g["inputs"][c]
        texts.append((ix + iw / 2, iy + label_gap, names[c] if g["rows"] else str(c), "map"))
        if g["rows"]:
            mx, my, mw, _ = g["mids"][c]
            texts.append((mx + mw / 2, my + label_gap, f"channel {c} ∗ kernel", "map"))
    ox, oy, ow, oh = g["out"]
    if g["rows"]:
        texts.append((ox + ow / 2, oy + label_gap, f"{spec.name} · neuron {neuron}", "neuron"))
    else:
        texts.append((ox + ow / 2, oy - oh - label_gap, f"{spec.name} · neuron {neuron}", "neuron_below"))
    bx, by = g["bias"]
    texts.append((bx, by - cell * 0.65, "bias", "below"))
    labels = dict(
        x=[t[0] for t in texts], y=[t[1] for t in texts], text=[t[2] for t in texts], kind=[t[3] for t in texts]
    )
    return dict(inputs=inputs, maps=maps, kernel=k, edges=edges, labels=labels)


def readout_html(data: dict, spec: LayerSpec, position: int, neuron: int) -> str:
    """The sentence under the view at output pixel ``position`` (row-major), as conv_view/position.js writes it."""
    maps = data["maps"]
    out_w = spec.output_shape[1]
    r, c = divmod(position, out_w)
    parts = [float(img[r, c]) for img, role in zip(maps["image"], maps["role"], strict=True) if role == "intermediate"]
    bias = data["kernel"]["value"][-1]
    output = float(maps["image"][-1][r, c])
    terms = " + ".join(f"<span class='xv-num'>{fmt(v)}</span>" for v in parts)
    return (
        f"<div class='xv-line'>Output pixel (row {r}, column {c}) of {spec.name} · neuron {neuron}: "
        f"intermediate results {terms} + bias <span class='xv-num'>{fmt(bias)}</span> = "
        f"<span class='xv-num xv-result'>{fmt(output)}</span></div>"
    )
