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

The views are three small kinds of :class:`~explainer_core.views.formula_views.base.FormulaView`,
which owns the drawing and the wiring; each kind supplies its titles, note and zoom panels.
Python builds the skeleton only: sizes, titles, the kernel slice and bias (the network's).
Every number of the picture (the heatmaps, the intermediate results, the colour ranges, the
zoom's cells and the formula) is written in the browser: ``formula_views/fill.js`` from the
browser's trace of the view's own picture (first frame) or of the reader's new picture, and
``formula_views/position.js`` at each window, by the window rule of
:mod:`explainer_core.arithmetic.formulas` (``ExplainerKit.windowOrigin``), so the page shows
what ``explain_conv``, ``explain_relu`` and ``explain_maxpool`` give.

Explained in "Convolutional layers", "Activation functions" and "Pooling layers"
(book/04_convolutional_layers.md, book/06_activation_functions.md, book/07_pooling_layers.md).
"""

from __future__ import annotations

from bokeh.models import LinearColorMapper

from ...arithmetic.formulas import find_step
from ...arithmetic.scales import weight_limit
from ...arithmetic.trace import Trace
from ..kit import VIEW_WIDTH, WEIGHT, channel_name, check_index, conv_step, fmt, is_image_input
from .base import NO_PADDING, FormulaView, _Zoom

__all__ = [
    "conv_formula_view",
    "fmt",
    "maxpool_formula_view",
    "relu_formula_view",
]


# -- the three kinds ------------------------------------------------------------
class _ConvFormula(FormulaView):
    """Input channel ``channel`` ∗ neuron ``neuron``'s kernel slice → one intermediate result."""

    kind = "conv"
    formula_height = 72

    def __init__(self, trace: Trace, layer: str | None, neuron: int, channel: int, *, position=0, key=None):
        spec = conv_step(trace, layer)
        neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
        channel = check_index(channel, spec.input_shape[-1], "channel", spec.name)
        super().__init__(trace, spec, neuron, channel, position=position, key=key)
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

    def extra_sources(self) -> dict[str, dict]:
        """The kernel slice and the bias (the network's), and every intermediate result (fill.js)."""
        (kh, kw), spec = self.spec.window, self.spec
        weights = spec.kernel[:, :, self.channel, self.neuron]
        return dict(
            kernel=dict(
                value=[float(v) for v in weights.ravel()] + [float(spec.bias[self.neuron])],
                row=[i for i in range(kh) for _ in range(kw)] + [-1],
                col=[j for _ in range(kh) for j in range(kw)] + [-1],
                role=["weight"] * (kh * kw) + ["bias"],
            ),
            sums=dict(
                image=[self.placeholder() for _ in range(self.channels + 1)],
                role=["intermediate"] * self.channels + ["output"],
            ),
        )

    def zoom(self, in_mapper, out_mapper) -> _Zoom:
        kh, kw = self.spec.window
        limit = weight_limit(self.spec)
        weight_mapper = LinearColorMapper(palette=list(WEIGHT), low=-limit, high=limit)
        sequential = is_image_input(self.trace, self.spec.name) and self.trace.image.shape[-1] == 3
        weights = self.spec.kernel[:, :, self.channel, self.neuron].ravel()
        zoom = _Zoom()
        zoom.panel("window", kh, kw, in_mapper, "input window", sequential=sequential)
        zoom.sign("×")
        zoom.panel("kernel", kh, kw, weight_mapper, "kernel slice", values=weights)
        zoom.sign("=")
        zoom.panel("result", 1, 1, out_mapper, "result")
        return zoom


class _ReluFormula(FormulaView):
    """Map ``neuron`` before and after the ReLU; the zoom shows a 3×3 neighbourhood of the pixel."""

    kind = "relu"

    def __init__(self, trace: Trace, layer: str | None, neuron: int, *, position=0, key=None):
        spec = find_step(trace, layer, "relu", image_maps=True)
        neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
        super().__init__(trace, spec, neuron, neuron, position=position, key=key)
        self.previous = trace.network.previous(spec.name)

    @property
    def geometry(self):
        return (1, 1), (1, 1), NO_PADDING

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
        near = (min(3, self.out_h), min(3, self.out_w))
        zoom = _Zoom()
        zoom.panel("near_in", *near, in_mapper, "before ReLU")
        zoom.sign("→", 1.4)
        zoom.panel("near_out", *near, out_mapper, "after ReLU")
        return zoom


class _MaxPoolFormula(FormulaView):
    """Map ``neuron`` before and after pooling; the zoom shows the window and its maximum."""

    kind = "maxpool"

    def __init__(self, trace: Trace, layer: str | None, neuron: int, *, position=0, key=None):
        spec = find_step(trace, layer, "maxpool", image_maps=True)
        neuron = check_index(neuron, spec.neurons, "neuron", spec.name)
        super().__init__(trace, spec, neuron, neuron, position=position, key=key)
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
