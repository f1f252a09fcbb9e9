"""The formula views' numbers, computed in Python: an independent Python reference of what the
page must show, used by the browser tests (tests/test_browser_refill_conv.py) and checked against
Keras (tests/test_views_formulas.py).

The product computes these numbers only in the browser: ``explainer_core/views/formula_views/fill.js``
(the two heatmaps, the convolution's intermediate results, the colour ranges and the numbers
written on small heatmaps) and ``position.js`` (the window, the zoom's cells and the formula, by
``ExplainerKit.windowOrigin``), for the first frame too; Python builds the views' skeleton (sizes,
titles, the kernel and bias) with placeholders. Here :func:`conv_formula_data`,
:func:`relu_formula_data` and :func:`maxpool_formula_data` give the sources' columns as the page must
hold them for a trace, and :func:`formula` the formula, the zoom's cells and its outlined cells at
one window position, all read from :mod:`explainer_core.arithmetic.formulas` (``explain_*``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer_core.arithmetic.formulas import explain_conv, explain_maxpool, explain_relu, find_step
from explainer_core.arithmetic.network import LayerSpec
from explainer_core.arithmetic.trace import Trace
from explainer_core.views.kit import check_index, conv_step, fmt

__all__ = ["Formula", "conv_formula_data", "formula", "maxpool_formula_data", "relu_formula_data"]


# -- the sources ------------------------------------------------------------------
def _map_source(image: np.ndarray) -> dict[str, list]:
    """One heatmap, drawn with its top-left corner at (0, height) in its own figure."""
    height, width = image.shape
    return dict(image=[image], x=[0.0], y=[float(height)], dw=[width], dh=[height])


def conv_formula_data(trace: Trace, layer: str | None = None, neuron: int = 0, channel: int = 0) -> dict[str, dict]:
    """What the convolution formula view holds: input channel ``channel`` of ``layer`` and its
    intermediate result with neuron ``neuron``'s kernel slice.

    Sources: ``input`` (the channel, (H, W)), ``output`` (the intermediate result,
    (H', W')), ``kernel`` (the slice's weights in row-major order, then the neuron's
    bias as the last row; ``role`` says which) and ``sums`` (every channel's
    intermediate result, then the neuron's output map as the last row; the second line
    of the formula reads it).
    """
    spec = conv_step(trace, layer)
    neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
    x = trace.input_of(spec.name)
    channel = check_index(channel, x.shape[-1], "channel", spec.name)
    parts = trace.intermediates[spec.name][neuron]
    kh, kw = spec.window
    weights = spec.kernel[:, :, channel, neuron]
    return dict(
        input=_map_source(x[:, :, channel]),
        output=_map_source(parts[channel]),
        kernel=dict(
            value=[float(v) for v in weights.ravel()] + [float(spec.bias[neuron])],
            row=[i for i in range(kh) for _ in range(kw)] + [-1],
            col=[j for _ in range(kh) for j in range(kw)] + [-1],
            role=["weight"] * (kh * kw) + ["bias"],
        ),
        sums=dict(
            image=[parts[c] for c in range(parts.shape[0])] + [trace.outputs[spec.name][:, :, neuron]],
            role=["intermediate"] * parts.shape[0] + ["output"],
        ),
    )


def _before_after(trace: Trace, spec: LayerSpec, neuron: int) -> dict[str, dict]:
    neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
    return dict(
        input=_map_source(trace.input_of(spec.name)[:, :, neuron]),
        output=_map_source(trace.outputs[spec.name][:, :, neuron]),
    )


def relu_formula_data(trace: Trace, layer: str | None = None, neuron: int = 0) -> dict[str, dict]:
    """What the ReLU formula view holds: map ``neuron`` before (``input``) and after (``output``) the ReLU."""
    return _before_after(trace, find_step(trace, layer, "relu", image_maps=True), neuron)


def maxpool_formula_data(trace: Trace, layer: str | None = None, neuron: int = 0) -> dict[str, dict]:
    """What the max pooling formula view holds: map ``neuron`` before (``input``) and after (``output``) pooling."""
    return _before_after(trace, find_step(trace, layer, "maxpool", image_maps=True), neuron)


# -- the formula and the zoom at one window -----------------------------------------
@dataclass(frozen=True)
class Formula:
    """What a formula view shows at one window: ``html`` (the formula), ``cells`` (the zoom's
    refilled panels by role, rows of numbers, None for padding), ``marks`` (outlined cells:
    (role, i, j)) and ``padding`` (how a padding cell is written)."""

    html: str
    cells: dict[str, list[list[float | None]]]
    marks: set[tuple[str, int, int]]
    padding: str


def _num(value: float, cls: str) -> str:
    return f"<span class='xv-num {cls}'>{fmt(value)}</span>"


def _muted(text: str) -> str:
    return f"<span class='xv-num xv-x xv-muted'>{text}</span>"


def _under_window(window: np.ndarray, origin: tuple[int, int], height: int, width: int) -> list[list[float | None]]:
    """An explanation's window as numbers, None where it covers padding."""
    top, left = origin
    return [
        [
            float(window[i, j]) if 0 <= top + i < height and 0 <= left + j < width else None
            for j in range(window.shape[1])
        ]
        for i in range(window.shape[0])
    ]


def formula(trace: Trace, kind: str, layer: str, neuron: int, position: int, channel: int = 0) -> Formula:
    """The formula, zoom and outlines of formula view ``kind`` ("conv", "relu", "maxpool") at output
    pixel ``position`` (row-major)."""
    spec = trace.network.layer(layer)
    out_w = spec.output_shape[1]
    row, col = divmod(position, out_w)
    where = f"(row {row}, column {col})"
    height, width = spec.input_shape[:2]
    if kind == "conv":
        e = explain_conv(trace, layer, neuron, row, col)
        window = _under_window(e.window[channel], e.origin, height, width)
        terms = [
            f"({_num(x, 'xv-x') if x is not None else _muted('0')} × {_num(w, 'xv-w')})"
            for x, w in zip([v for line in window for v in line], e.kernel[channel].ravel(), strict=True)
        ]
        parts = [_num(v, "xv-part xv-hi" if k == channel else "xv-part") for k, v in enumerate(e.intermediate)]
        html = (
            f"<div class='xv-line'>Intermediate result at {where} = "
            f"{' + '.join(terms)} = {_num(e.intermediate[channel], 'xv-result')}</div>"
            f"<div class='xv-line'>{layer} · neuron {neuron} at {where} = "
            f"{' + '.join(parts)} + bias {_num(e.bias, 'xv-bias')} = {_num(e.value, 'xv-out xv-result')}</div>"
        )
        return Formula(html, dict(window=window, result=[[float(e.intermediate[channel])]]), set(), "0")
    if kind == "relu":
        e = explain_relu(trace, layer, neuron, row, col)
        rows, cols = min(3, spec.output_shape[0]), min(3, out_w)
        top, left = _near(row, spec.output_shape[0]), _near(col, out_w)
        near = [[explain_relu(trace, layer, neuron, top + i, left + j) for j in range(cols)] for i in range(rows)]
        cells = dict(
            near_in=[[n.input for n in line] for line in near], near_out=[[n.output for n in line] for line in near]
        )
        html = (
            f"<div class='xv-line'>{layer} · neuron {neuron} at {where} = "
            f"max(0, {_num(e.input, 'xv-x')}) = {_num(e.output, 'xv-result')}</div>"
        )
        return Formula(html, cells, {("near_in", row - top, col - left), ("near_out", row - top, col - left)}, "")
    e = explain_maxpool(trace, layer, neuron, row, col)
    window = _under_window(e.window, e.origin, height, width)
    marks = {("window", e.argmax[0] - e.origin[0], e.argmax[1] - e.origin[1])}
    terms = [
        _num(v, "xv-x xv-hi" if ("window", i, j) in marks else "xv-x") if v is not None else _muted("\u2212\u221e")
        for i, line in enumerate(window)
        for j, v in enumerate(line)
    ]
    html = (
        f"<div class='xv-line'>{layer} · neuron {neuron} at {where} = "
        f"max({', '.join(terms)}) = {_num(e.value, 'xv-result')}</div>"
    )
    return Formula(html, dict(window=window, result=[[float(e.value)]]), marks, "\u2212\u221e")


def _near(index: int, size: int) -> int:
    """First row (or column) of the 3×3 neighbourhood around ``index`` that stays inside a map of ``size``."""
    return max(0, min(index - 1, size - 3))
