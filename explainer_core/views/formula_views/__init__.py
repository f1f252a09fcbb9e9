"""Interactive formula views for convolution, ReLU and max pooling (CNN Explainer, Sect. 6.3, Fig. 6A-C).

Each view puts an input matrix and an output matrix side by side as heatmaps. A
window marks the input numbers that make one output number; hovering either
matrix, dragging the slider or pressing play moves it, and the formula under the
matrices shows that window's actual numbers:

* convolution: one input channel and one kernel slice give one intermediate result,
  ``Σ input × weight``; a second line adds the neuron's intermediate results over
  all channels and the bias, giving the neuron's output (as in the elastic view);
* ReLU: ``max(0, x) = y`` for one element;
* max pooling: ``max(a, b, c, d) = m``, the largest number highlighted.

A 64×64 matrix has no room for its numbers, so a "zoom" row below the heatmaps
repeats the window (and the kernel) with every number written out.

The ``*_formula_data`` functions compute what the views' data sources hold, from a
:class:`~explainer_core.arithmetic.trace.Trace` only. The views are three small
kinds of :class:`~explainer_core.views.formula_base.FormulaView`, which owns the
drawing and the wiring; each kind supplies its titles, zoom panels and formula,
with the numbers of the first window from :mod:`explainer_core.arithmetic.formulas`
(``explain_conv``, ``explain_relu``, ``explain_maxpool``). Every shown number is the
trace's (inputs, intermediate results, outputs) or the network's (weights, bias).
A picture the reader chooses in the page refills the sources (``js/refill_formula.js``).

Explained in "Convolutional layers", "Activation functions" and "Pooling layers"
(book/04_convolutional_layers.md, book/06_activation_functions.md, book/07_pooling_layers.md).
"""

from __future__ import annotations

import numpy as np
from bokeh.models import LinearColorMapper

from ...arithmetic.formulas import explain_conv, explain_maxpool, explain_relu, find_step
from ...arithmetic.network import LayerSpec
from ...arithmetic.scales import weight_limit
from ...arithmetic.trace import Trace
from ..kit import VIEW_WIDTH, WEIGHT, channel_name, check_index, conv_step, fmt, is_image_input
from .base import NO_PADDING, FormulaView, _Zoom, num

__all__ = [
    "conv_formula_data",
    "conv_formula_view",
    "fmt",
    "maxpool_formula_data",
    "maxpool_formula_view",
    "relu_formula_data",
    "relu_formula_view",
]


# -- checking the request -------------------------------------------------------
# -- the data -------------------------------------------------------------------
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


# -- the three kinds ------------------------------------------------------------
class _ConvFormula(FormulaView):
    """Input channel ``channel`` ∗ neuron ``neuron``'s kernel slice → one intermediate result."""

    kind = "conv"
    formula_height = 72

    def __init__(self, trace: Trace, layer: str | None, neuron: int, channel: int, *, position=0, key=None):
        spec = conv_step(trace, layer)
        data = conv_formula_data(trace, spec.name, neuron, channel)
        neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
        channel = check_index(channel, spec.input_shape[-1], "channel", spec.name)
        super().__init__(trace, spec, data, neuron, channel, position=position, key=key)
        self.channels = spec.input_shape[-1]

    def titles(self) -> tuple[str, str]:
        name = channel_name(self.trace, self.spec, self.channel)
        return (
            f"Input: {name} ({self.in_h}×{self.in_w})",
            f"Intermediate result: channel {self.channel} ∗ kernel ({self.out_h}×{self.out_w})",
        )

    def note(self) -> str:
        return (
            f"One of the {self.channels} intermediate results of {self.spec.name} · neuron {self.neuron}: each of "
            f"its numbers is the window's numbers times the kernel weights at the same places, added up."
        )

    def meta(self) -> dict:
        return dict(layer=self.spec.name, neuron=self.neuron, channel=self.channel, channels=self.channels)

    def zoom(self, in_mapper, out_mapper) -> _Zoom:
        kh, kw = self.spec.window
        limit = weight_limit(self.spec)
        weight_mapper = LinearColorMapper(palette=list(WEIGHT), low=-limit, high=limit)
        sequential = is_image_input(self.trace, self.spec.name) and self.trace.image.shape[-1] == 3
        zoom = _Zoom()
        zoom.panel("window", kh, kw, in_mapper, "input window", sequential=sequential)
        zoom.sign("×")
        zoom.panel("kernel", kh, kw, weight_mapper, "kernel slice", values=self.data["kernel"]["value"][:-1])
        zoom.sign("=")
        zoom.panel("result", 1, 1, out_mapper, "result")
        return zoom

    def explain(self):
        return explain_conv(self.trace, self.spec.name, self.neuron, self.row, self.col)

    def zoom_cells(self) -> dict:
        e = self.explanation
        return dict(window=self.under_window(e.window[self.channel]), result=[[float(e.intermediate[self.channel])]])

    def formula_html(self) -> str:
        e, channel, where = self.explanation, self.channel, f"(row {self.row}, column {self.col})"
        window = [v for line in self.under_window(e.window[channel]) for v in line]
        terms = [
            f"({num(x, 'xv-x') if x is not None else self.padding_num()} × {num(w, 'xv-w')})"
            for x, w in zip(window, e.kernel[channel].ravel(), strict=True)
        ]
        parts = [num(v, "xv-part xv-hi" if k == channel else "xv-part") for k, v in enumerate(e.intermediate)]
        return (
            f"<div class='xv-line'>Intermediate result at {where} = "
            f"{' + '.join(terms)} = {num(e.intermediate[channel], 'xv-result')}</div>"
            f"<div class='xv-line'>{self.spec.name} · neuron {self.neuron} at {where} = "
            f"{' + '.join(parts)} + bias {num(e.bias, 'xv-bias')} = {num(e.value, 'xv-out xv-result')}</div>"
        )


class _ReluFormula(FormulaView):
    """Map ``neuron`` before and after the ReLU; the zoom shows a 3×3 neighbourhood of the pixel."""

    kind = "relu"

    def __init__(self, trace: Trace, layer: str | None, neuron: int, *, position=0, key=None):
        spec = find_step(trace, layer, "relu", image_maps=True)
        data = relu_formula_data(trace, spec.name, neuron)
        neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
        super().__init__(trace, spec, data, neuron, neuron, position=position, key=key)
        self.previous = trace.network.previous(spec.name)
        self.near = (_near(self.row, self.out_h), _near(self.col, self.out_w))
        self.near_size = (min(3, self.out_h), min(3, self.out_w))

    @property
    def geometry(self):
        return (1, 1), (1, 1), NO_PADDING

    @property
    def origin(self) -> tuple[int, int]:
        return self.row, self.col

    def titles(self) -> tuple[str, str]:
        size = f"({self.out_h}×{self.out_w})"
        return (
            f"Input: {self.previous} · neuron {self.neuron} {size}",
            f"Output: {self.spec.name} · neuron {self.neuron} {size}",
        )

    def note(self) -> str:
        return (
            "ReLU looks at one number at a time: negative numbers (red) become zero (white), positive ones (blue) "
            "pass unchanged. The small matrices show the 3×3 neighbourhood of the chosen pixel before and after."
        )

    def meta(self) -> dict:
        return dict(layer=self.spec.name, neuron=self.neuron, previous=self.previous)

    def zoom(self, in_mapper, out_mapper) -> _Zoom:
        zoom = _Zoom()
        zoom.panel("near_in", *self.near_size, in_mapper, "before ReLU")
        zoom.sign("→", 1.4)
        zoom.panel("near_out", *self.near_size, out_mapper, "after ReLU")
        return zoom

    def explain(self):
        return explain_relu(self.trace, self.spec.name, self.neuron, self.row, self.col)

    def zoom_cells(self) -> dict:
        (top, left), (rows, cols) = self.near, self.near_size
        near = [
            [explain_relu(self.trace, self.spec.name, self.neuron, top + i, left + j) for j in range(cols)]
            for i in range(rows)
        ]
        return dict(
            near_in=[[e.input for e in line] for line in near],
            near_out=[[e.output for e in line] for line in near],
        )

    def zoom_marks(self) -> set[tuple[str, int, int]]:
        i, j = self.row - self.near[0], self.col - self.near[1]
        return {("near_in", i, j), ("near_out", i, j)}

    def formula_html(self) -> str:
        e = self.explanation
        return (
            f"<div class='xv-line'>{self.spec.name} · neuron {self.neuron} at (row {self.row}, column {self.col}) = "
            f"max(0, {num(e.input, 'xv-x')}) = {num(e.output, 'xv-result')}</div>"
        )


def _near(index: int, size: int) -> int:
    """First row (or column) of the 3×3 neighbourhood around ``index`` that stays inside a map of ``size``."""
    return max(0, min(index - 1, size - 3))


class _MaxPoolFormula(FormulaView):
    """Map ``neuron`` before and after pooling; the zoom shows the window and its maximum."""

    kind = "maxpool"
    padding_text = "\u2212\u221e"

    def __init__(self, trace: Trace, layer: str | None, neuron: int, *, position=0, key=None):
        spec = find_step(trace, layer, "maxpool", image_maps=True)
        data = maxpool_formula_data(trace, spec.name, neuron)
        neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
        super().__init__(trace, spec, data, neuron, neuron, position=position, key=key)
        self.previous = trace.network.previous(spec.name)

    def titles(self) -> tuple[str, str]:
        return (
            f"Input: {self.previous} · neuron {self.neuron} ({self.in_h}×{self.in_w})",
            f"Output: {self.spec.name} · neuron {self.neuron} ({self.out_h}×{self.out_w})",
        )

    def note(self) -> str:
        (kh, kw), (_, sw) = self.spec.window, self.spec.strides
        return (
            f"Max pooling keeps the largest number of each {kh}×{kw} window and moves the window {sw} "
            f"pixels at a time, so the {self.in_h}×{self.in_w} map shrinks to {self.out_h}×{self.out_w}. "
            "It has no weights to learn."
        )

    def meta(self) -> dict:
        return dict(layer=self.spec.name, neuron=self.neuron, previous=self.previous)

    def zoom(self, in_mapper, out_mapper) -> _Zoom:
        zoom = _Zoom()
        zoom.panel("window", *self.spec.window, in_mapper, "window")
        zoom.sign("→", 1.4)
        zoom.panel("result", 1, 1, out_mapper, "maximum")
        return zoom

    def explain(self):
        return explain_maxpool(self.trace, self.spec.name, self.neuron, self.row, self.col)

    def zoom_cells(self) -> dict:
        e = self.explanation
        return dict(window=self.under_window(e.window), result=[[e.value]])

    def zoom_marks(self) -> set[tuple[str, int, int]]:
        (y, x), (top, left) = self.explanation.argmax, self.origin
        return {("window", y - top, x - left)}

    def formula_html(self) -> str:
        e, marks = self.explanation, self.zoom_marks()
        terms = [
            num(v, "xv-x xv-hi" if ("window", i, j) in marks else "xv-x") if v is not None else self.padding_num()
            for i, line in enumerate(self.under_window(e.window))
            for j, v in enumerate(line)
        ]
        return (
            f"<div class='xv-line'>{self.spec.name} · neuron {self.neuron} at (row {self.row}, column {self.col}) = "
            f"max({', '.join(terms)}) = {num(e.value, 'xv-result')}</div>"
        )


# -- the three views ------------------------------------------------------------
def conv_formula_view(
    trace: Trace,
    layer: str | None = None,
    neuron: int = 0,
    channel: int = 0,
    *,
    position: int = 0,
    key: str | None = None,
    width: int = VIEW_WIDTH,
):
    """The convolution formula view: input channel ``channel`` ∗ neuron ``neuron``'s kernel slice → intermediate result.

    ``position`` is the output pixel (row-major index) the window starts on. Models
    are named ``<key>:...`` (default ``conv-formula-<layer>``): ``:formula`` (the Div),
    ``:input-figure``, ``:output-figure``, ``:position``, ``:play``.
    """
    return _ConvFormula(trace, layer, neuron, channel, position=position, key=key).layout(width)


def relu_formula_view(
    trace: Trace,
    layer: str | None = None,
    neuron: int = 0,
    *,
    position: int = 0,
    key: str | None = None,
    width: int = VIEW_WIDTH,
):
    """The ReLU formula view of activation map ``neuron`` of ``layer`` (default: the first ReLU)."""
    return _ReluFormula(trace, layer, neuron, position=position, key=key).layout(width)


def maxpool_formula_view(
    trace: Trace,
    layer: str | None = None,
    neuron: int = 0,
    *,
    position: int = 0,
    key: str | None = None,
    width: int = VIEW_WIDTH,
):
    """The max pooling formula view of activation map ``neuron`` of ``layer`` (default: the first pooling layer)."""
    return _MaxPoolFormula(trace, layer, neuron, position=position, key=key).layout(width)
