"""Formula explanations: the arithmetic behind one number of a trace, as plain data.

CNN Explainer's interactive formula views (Sect. 6.3, Fig. 6) show, for one
output pixel, the input window, the kernel, the element-wise products, their
sum, the bias and the result; likewise for ReLU, max pooling and the softmax,
and the flatten elastic view links each flatten unit to its source pixel
(Fig. 5). Each function here returns those numbers for a view to render. The
numbers are the trace's own, redone with the functions of
:mod:`explainer_core.arithmetic.ops`, so the final value always equals the trace's:

* ReLU, max pooling, flatten and softmax values are reproduced bit for bit;
* a convolution's channel sum and bias are added in the trace's order, so the
  final value is bit for bit the trace's; each channel's sum of products (the
  intermediate result) is the trace's number, which a matrix product computed,
  so adding the float32 products shown in another order can differ from it in
  the last bit (relative 1e-6); no shown digit changes;
* a dense unit's terms are summed by the same NumPy routine as in the trace, so
  the logit is reproduced bit for bit.

Neurons, rows and columns count from 0; a bad index raises :class:`TraceError`.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field

import numpy as np

from ..errors import TraceError
from . import ops
from .network import LayerSpec
from .trace import Trace

__all__ = [
    "ConvExplanation",
    "DenseExplanation",
    "FlattenExplanation",
    "MaxPoolExplanation",
    "ReluExplanation",
    "SoftmaxExplanation",
    "explain_conv",
    "explain_dense",
    "explain_flatten",
    "explain_maxpool",
    "explain_relu",
    "explain_softmax",
]


# -- the explanations ------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ConvExplanation:
    """value = Σ_c Σ_window (window · kernel) + bias, for output pixel (row, col) of one neuron.

    ``window``, ``kernel`` and ``products`` are (in_channels, kH, kW); ``window`` holds
    the padding zeros where it sticks out of the input, and ``origin`` is its top-left
    corner in input coordinates (negative inside the padding). ``intermediate`` is each
    channel's sum of products, the intermediate results; ``total`` their sum.
    """

    layer: str
    neuron: int
    row: int
    col: int
    origin: tuple[int, int]
    window: np.ndarray = field(repr=False)
    kernel: np.ndarray = field(repr=False)
    products: np.ndarray = field(repr=False)
    intermediate: np.ndarray
    total: float
    bias: float
    value: float


@dataclass(frozen=True, eq=False)
class ReluExplanation:
    """output = max(0, input) for one element."""

    layer: str
    neuron: int
    row: int | None
    col: int | None
    input: float
    output: float


@dataclass(frozen=True, eq=False)
class MaxPoolExplanation:
    """value = the largest number in the window; ``argmax`` is where it sits in the input (row, col).

    ``window`` is (kH, kW) for this neuron's channel, −inf where it covers padding.
    """

    layer: str
    neuron: int
    row: int
    col: int
    origin: tuple[int, int]
    window: np.ndarray = field(repr=False)
    argmax: tuple[int, int]
    value: float


@dataclass(frozen=True, eq=False)
class FlattenExplanation:
    """Flatten unit ``unit`` is pixel (row, col) of activation map ``channel`` of ``source``."""

    layer: str
    unit: int
    source: str | None
    row: int
    col: int
    channel: int
    value: float


@dataclass(frozen=True, eq=False)
class DenseExplanation:
    """value = Σ_i inputs[i] · weights[i] + bias, for one unit (a logit, for the output layer)."""

    layer: str
    unit: int
    inputs: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    terms: np.ndarray = field(repr=False)
    total: float
    bias: float
    value: float


@dataclass(frozen=True, eq=False)
class SoftmaxExplanation:
    """probabilities[i] = exp(logits[i] − shift) / total, where total = Σ_j exp(logits[j] − shift).

    ``shift`` is the largest logit; subtracting it changes no probability (it cancels
    in the fraction) but keeps the exponentials from overflowing.
    """

    layer: str
    logits: np.ndarray
    shift: float
    exponentials: np.ndarray
    total: float
    probabilities: np.ndarray
    class_names: tuple[str, ...]
    predicted_class: int


# -- checking the request -------------------------------------------------
def check_trace(trace) -> None:
    """A :class:`TraceError` unless ``trace`` is a Trace (shared with the views)."""
    if not isinstance(trace, Trace):
        raise TraceError(f"Expected a Trace (from explainer_core.arithmetic.trace.trace), got {type(trace).__name__}.")


def _last(trace: Trace, kind: str) -> LayerSpec:
    """The last step of ``kind`` (every network the book explains has a flatten, a dense and a softmax)."""
    check_trace(trace)
    return [s for s in trace.network.layers if s.kind == kind][-1]


#: How the book names each kind of step in a message.
KIND_NAMES = {"conv": "convolutional", "relu": "ReLU", "maxpool": "max pooling", "flatten": "flatten",
              "dense": "dense", "softmax": "softmax"}


def find_step(trace: Trace, layer: str | None, kind: str, *, image_maps: bool = False) -> LayerSpec:
    """The step ``layer`` of ``kind`` (default: the first one), or a :class:`TraceError` naming the choices.

    The one resolver the explanations and the views share. A fused Keras layer's name
    finds its ``kind`` part (``"conv_a"`` for ``Conv2D(activation="relu")`` finds the step
    ``"conv_a_conv"``). With ``image_maps``, only steps whose output is a stack of maps count.
    """
    check_trace(trace)
    network = trace.network
    what = KIND_NAMES.get(kind, kind)
    maps = " of image maps" if image_maps else ""
    choices = [s.name for s in network.layers if s.kind == kind and (not image_maps or len(s.output_shape) == 3)]
    if not choices:
        raise TraceError(f"This network has no {what} layer{maps} to explain.")
    if layer is None:
        return network.layer(choices[0])
    if not isinstance(layer, str):
        raise TraceError(f"The layer must be given by its name, one of {', '.join(choices)}; got {layer!r}.")
    fused = [s for s in network.layers if s.keras_name == layer and s.name in choices]
    if len(fused) == 1:
        return fused[0]
    spec = network.layer(layer)
    if spec.name not in choices:
        detail = f"a {spec.kind} layer" if spec.kind != kind else "a layer that outputs a vector"
        raise TraceError(
            f"{layer!r} is {detail}, not a {what} layer{maps}; the {what} layers{maps} are {', '.join(choices)}."
        )
    return spec


def check_index(value, size: int, what: str, layer: str, counted: str = "") -> int:
    """``value`` as an index below ``size``, or a :class:`TraceError` for the learner (shared with the views).

    ``counted`` names what there are ``size`` of in the message, e.g. "neurons".
    """
    if isinstance(value, bool):
        raise TraceError(f"The {what} must be a whole number, not {value!r}.")
    try:
        index = operator.index(value)
    except TypeError:
        raise TraceError(f"The {what} must be a whole number, not {value!r}.") from None
    if not 0 <= index < size:
        count = f"{size} {counted}" if counted else f"{size}"
        raise TraceError(f"{what.capitalize()} {index} is out of range: {layer!r} has {count} (0 to {size - 1}).")
    return index


def _pixel(spec: LayerSpec, neuron, row, col) -> tuple[int, int, int]:
    height, width, neurons = spec.output_shape
    return (
        check_index(neuron, neurons, "neuron", spec.name),
        check_index(row, height, "row", spec.name),
        check_index(col, width, "column", spec.name),
    )


def window_origin(spec: LayerSpec, row: int, col: int) -> tuple[int, int]:
    """The input pixel at the top-left of the window behind output pixel (row, col).

    The sliding-window rule of every convolution and pooling step, written once: the
    window moves by the stride and starts ``pad`` pixels before the input (so the origin
    can be negative, in the padding). The browser's twin is
    ``ExplainerKit.windowOrigin`` in views/kit/kit.js.
    """
    (sh, sw), ((pt, _), (pl, _)) = spec.strides, spec.pads
    return row * sh - pt, col * sw - pl


def _window_block(spec: LayerSpec, values: np.ndarray, row: int, col: int, fill: float = 0.0):
    """The window's origin and its (kh, kw, C) block of ``values``, the padding filled with ``fill``."""
    (kh, kw), pads = spec.window, spec.pads
    origin = window_origin(spec, row, col)
    top, left = origin[0] + pads[0][0], origin[1] + pads[1][0]  # in the padded input
    return origin, ops.pad2d(values, pads, fill)[top : top + kh, left : left + kw, :]


# -- one function per formula view ------------------------------------------
def explain_conv(trace: Trace, layer: str, neuron: int, row: int, col: int) -> ConvExplanation:
    """The dot products behind output pixel (row, col) of convolutional neuron ``neuron``."""
    spec = find_step(trace, layer, "conv")
    neuron, row, col = _pixel(spec, neuron, row, col)
    origin, block = _window_block(spec, trace.input_of(spec.name), row, col)
    window = block.transpose(2, 0, 1).copy()
    kernel = spec.kernel[:, :, :, neuron].transpose(2, 0, 1).copy()
    intermediate = trace.intermediates[spec.name][neuron, :, row, col].copy()
    total = intermediate[0]
    for part in intermediate[1:]:  # the order of ops.sum_intermediates
        total = total + part
    bias = spec.bias[neuron]
    return ConvExplanation(
        layer=spec.name,
        neuron=neuron,
        row=row,
        col=col,
        origin=origin,
        window=window,
        kernel=kernel,
        products=window * kernel,
        intermediate=intermediate,
        total=float(total),
        bias=float(bias),
        value=float(total + bias),
    )


def explain_relu(
    trace: Trace, layer: str, neuron: int, row: int | None = None, col: int | None = None
) -> ReluExplanation:
    """max(0, x) for one element; ``row`` and ``col`` are needed after an image-shaped layer only."""
    spec = find_step(trace, layer, "relu")
    x = trace.input_of(spec.name)
    if len(spec.output_shape) == 3:
        neuron, row, col = _pixel(spec, neuron, row, col)
        value = x[row, col, neuron]
    else:
        if row is not None or col is not None:
            raise TraceError(f"{spec.name!r} outputs a vector: give only the unit, not a row and column.")
        neuron = check_index(neuron, spec.output_shape[0], "unit", spec.name)
        value = x[neuron]
    return ReluExplanation(spec.name, neuron, row, col, float(value), float(ops.relu(value)))


def explain_maxpool(trace: Trace, layer: str, neuron: int, row: int, col: int) -> MaxPoolExplanation:
    """The window behind output pixel (row, col) of pooling neuron ``neuron``, and where its maximum is."""
    spec = find_step(trace, layer, "maxpool")
    neuron, row, col = _pixel(spec, neuron, row, col)
    origin, block = _window_block(spec, trace.input_of(spec.name)[:, :, neuron : neuron + 1], row, col, -np.inf)
    window = block[:, :, 0].copy()
    i, j = divmod(int(np.argmax(window)), spec.window[1])
    return MaxPoolExplanation(
        layer=spec.name,
        neuron=neuron,
        row=row,
        col=col,
        origin=origin,
        window=window,
        argmax=(origin[0] + i, origin[1] + j),
        value=float(window[i, j]),
    )


def explain_flatten(trace: Trace, unit: int) -> FlattenExplanation:
    """Which pixel of which activation map flatten unit ``unit`` copies (row-major order)."""
    spec = _last(trace, "flatten")
    unit = check_index(unit, spec.output_shape[0], "unit", spec.name)
    row, col, channel = (int(v) for v in trace.flatten_index[unit])
    index = trace.network.index(spec.name)
    source = trace.network.layers[index - 1].name if index else None
    return FlattenExplanation(spec.name, unit, source, row, col, channel, float(trace.flattened[unit]))


def explain_dense(trace: Trace, unit: int, layer: str | None = None) -> DenseExplanation:
    """The terms of one dense unit; by default of the logit of class ``unit``, before the softmax."""
    spec = _last(trace, "dense") if layer is None else find_step(trace, layer, "dense")
    unit = check_index(unit, spec.output_shape[0], "unit", spec.name)
    inputs = trace.input_of(spec.name)
    terms = ops.dense_terms(inputs, spec.kernel[:, unit : unit + 1])  # (1, inputs): summed as in ops.dense
    total = terms.sum(axis=1)[0]
    bias = spec.bias[unit]
    return DenseExplanation(
        layer=spec.name,
        unit=unit,
        inputs=inputs,
        weights=spec.kernel[:, unit].copy(),
        terms=terms[0],
        total=float(total),
        bias=float(bias),
        value=float(total + bias),
    )


def explain_softmax(trace: Trace) -> SoftmaxExplanation:
    """How the logits become class probabilities (CNN Explainer's softmax formula view, Fig. 6D)."""
    spec = _last(trace, "softmax")
    shift, exponentials, total = ops.softmax_parts(trace.logits)
    probabilities = exponentials / total
    names = tuple(trace.network.class_name(i) for i in range(len(probabilities)))
    return SoftmaxExplanation(
        layer=spec.name,
        logits=trace.logits,
        shift=float(shift[0]),
        exponentials=exponentials,
        total=float(total[0]),
        probabilities=probabilities,
        class_names=names,
        predicted_class=int(np.argmax(probabilities)),
    )
