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
from explainer_core.views.conv_view import _kernel_columns, _label_columns, _layout
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

    # the kernel, the edges and the labels do not depend on the picture: the view's own skeleton
    k = _kernel_columns(spec, neuron, g)
    edges = dict(xs=[[p[0] for p in e] for e in g["edges"]], ys=[[p[1] for p in e] for e in g["edges"]])

    labels = _label_columns(spec, neuron, g, names)
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
