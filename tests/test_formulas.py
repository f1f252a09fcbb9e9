"""Every formula explanation adds up to the trace's own number.

Exact (==) for ReLU, max pooling, flatten, the channel sum plus bias of a
convolution, a dense unit and the softmax. A convolution's per-channel sum of
products is the trace's matrix-product result; the float32 products shown, added
in another order, may differ from it by float32 rounding only, which the tests
bound by n · 2⁻²³ · Σ|products| for n products.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from explainer_core.arithmetic import ops
from explainer_core.arithmetic.formulas import (
    explain_conv,
    explain_dense,
    explain_flatten,
    explain_maxpool,
    explain_relu,
    explain_softmax,
    window_origin,
)
from explainer_core.arithmetic.network import Network
from explainer_core.arithmetic.trace import trace
from explainer_core.data.preprocess import prepare_image
from explainer_core.errors import TraceError
from explainer_core.models.loading import build_tiny_vgg
from tests.conftest import seed_weights, strided_cnn

EPS32 = float(np.finfo(np.float32).eps)


@pytest.fixture(scope="module")
def traced(cnn_model, coffee_uint8):
    network = Network.from_keras(cnn_model)
    return trace(network, prepare_image(coffee_uint8, size=network.input_shape[:2]))


@pytest.fixture(scope="module")
def vgg_trace(coffee_uint8):
    return trace(Network.from_keras(seed_weights(build_tiny_vgg())), prepare_image(coffee_uint8))


def positions(step, count=12, seed=0):
    """Corners (where padding shows) plus random pixels, for every neuron of a step."""
    height, width, neurons = step.output_shape
    rng = np.random.default_rng(seed)
    picks = [(0, 0), (0, width - 1), (height - 1, 0), (height - 1, width - 1)]
    picks += [(int(rng.integers(height)), int(rng.integers(width))) for _ in range(count)]
    return [(n, r, c) for n in range(neurons) for r, c in picks]


def test_conv_explanations_reproduce_the_trace(traced):
    for step in [s for s in traced.network.layers if s.kind == "conv"]:
        padded = ops.pad2d(traced.input_of(step.name), step.pads)
        for neuron, row, col in positions(step):
            e = explain_conv(traced, step.name, neuron, row, col)
            assert e.value == traced.outputs[step.name][row, col, neuron]  # bit for bit
            assert e.value == np.float32(e.total) + np.float32(e.bias)
            np.testing.assert_array_equal(e.intermediate, traced.intermediates[step.name][neuron, :, row, col])
            assert e.bias == step.bias[neuron]
            # the window is what the kernel sees, and the products are window times kernel
            top, left = e.origin[0] + step.pads[0][0], e.origin[1] + step.pads[1][0]
            assert (top, left) == (row * step.strides[0], col * step.strides[1])
            kh, kw = step.window
            np.testing.assert_array_equal(e.window, padded[top : top + kh, left : left + kw].transpose(2, 0, 1))
            np.testing.assert_array_equal(e.kernel, step.kernel[..., neuron].transpose(2, 0, 1))
            np.testing.assert_array_equal(e.products, e.window * e.kernel)
            # each intermediate result is its channel's sum of products, up to float32 rounding
            exact = e.products.astype(np.float64).sum(axis=(1, 2))
            bound = kh * kw * EPS32 * np.abs(e.products).astype(np.float64).sum(axis=(1, 2)) + 1e-30
            assert (np.abs(exact - e.intermediate) <= bound).all()


def test_conv_window_holds_padding_zeros_at_the_border():
    network = Network.from_keras(seed_weights(strided_cnn(), seed=1))
    result = trace(network, np.ones(network.input_shape, np.float32))
    e = explain_conv(result, "conv_a", 0, 0, 0)  # the Keras name of a fused layer finds its conv step
    assert e.layer == "conv_a_conv"
    top, left = e.origin
    assert top < 0 and left < 0
    assert (e.window[:, :-top, :] == 0).all() and (e.window[:, :, :-left] == 0).all()
    assert (e.window[:, -top:, -left:] == 1).all()


def test_one_window_rule_serves_every_sliding_step():
    """window_origin, used by the explanations and the views, against the stride-and-padding arithmetic."""
    network = Network.from_keras(seed_weights(strided_cnn(), seed=1))
    result = trace(network, np.ones(network.input_shape, np.float32))
    sliding = [s for s in network.layers if s.kind in ("conv", "maxpool")]
    assert {s.kind for s in sliding} == {"conv", "maxpool"}
    for spec in sliding:
        (sh, sw), ((pt, _), (pl, _)) = spec.strides, spec.pads
        out_h, out_w = spec.output_shape[:2]
        for row, col in [(0, 0), (out_h - 1, out_w - 1), (out_h // 2, out_w // 3)]:
            assert window_origin(spec, row, col) == (row * sh - pt, col * sw - pl)
            explain = explain_conv if spec.kind == "conv" else explain_maxpool
            assert explain(result, spec.name, 0, row, col).origin == window_origin(spec, row, col)
    assert network.previous(sliding[0].name) == "input"
    assert network.previous(sliding[1].name) == network.layers[network.index(sliding[1].name) - 1].name


def test_relu_explanations_are_exact(traced):
    for step in [s for s in traced.network.layers if s.kind == "relu"]:
        if len(step.output_shape) == 3:
            for neuron, row, col in positions(step, count=4):
                e = explain_relu(traced, step.name, neuron, row, col)
                assert e.input == traced.input_of(step.name)[row, col, neuron]
                assert e.output == traced.outputs[step.name][row, col, neuron] == max(e.input, 0.0)
        else:
            for unit in range(step.output_shape[0]):
                e = explain_relu(traced, step.name, unit)
                assert e.output == traced.outputs[step.name][unit] == max(e.input, 0.0)


def test_maxpool_explanations_are_exact(traced):
    for step in [s for s in traced.network.layers if s.kind == "maxpool"]:
        x = traced.input_of(step.name)
        for neuron, row, col in positions(step, count=6):
            e = explain_maxpool(traced, step.name, neuron, row, col)
            assert e.value == traced.outputs[step.name][row, col, neuron]
            assert e.value == e.window.max()
            assert x[e.argmax[0], e.argmax[1], neuron] == e.value
            assert e.origin[0] <= e.argmax[0] < e.origin[0] + step.window[0]
            assert e.origin[1] <= e.argmax[1] < e.origin[1] + step.window[1]
            assert e.window.shape == step.window


def test_maxpool_window_marks_padding_as_minus_infinity():
    network = Network.from_keras(seed_weights(strided_cnn(), seed=1))
    result = trace(network, np.random.default_rng(0).random(network.input_shape, dtype=np.float32))
    step = network.layer("pool_a")
    assert step.pads[0][0] == 1  # 'same' with a 3×3 window, stride 2 on 19 rows
    e = explain_maxpool(result, "pool_a", 2, 0, 0)
    assert np.isneginf(e.window[0]).all() and np.isfinite(e.window[1:, 1:]).all()


def test_flatten_explanations_point_at_their_source_pixel(traced):
    step = next(s for s in traced.network.layers if s.kind == "flatten")
    source = traced.input_of(step.name)
    height, width, channels = source.shape
    for unit in range(step.output_shape[0]):
        e = explain_flatten(traced, unit)
        assert e.source == traced.network.layers[traced.network.index(step.name) - 1].name
        assert unit == (e.row * width + e.col) * channels + e.channel  # row-major, channels fastest
        assert e.value == source[e.row, e.col, e.channel] == traced.flattened[unit]


def test_dense_explanations_reproduce_every_logit_exactly(traced):
    for unit in range(traced.network.num_classes):
        e = explain_dense(traced, unit)
        assert e.value == traced.logits[unit]  # bit for bit
        np.testing.assert_array_equal(e.terms, e.inputs * e.weights)
        assert e.value == np.float32(e.total) + np.float32(e.bias)
        exact = math.fsum(float(t) for t in e.terms)
        assert abs(exact - e.total) <= len(e.terms) * EPS32 * float(np.abs(e.terms).sum())


def test_dense_explanation_of_a_hidden_layer():
    network = Network.from_keras(seed_weights(strided_cnn(), seed=1))
    result = trace(network, np.random.default_rng(2).random(network.input_shape, dtype=np.float32))
    for unit in range(12):
        e = explain_dense(result, unit, layer="hidden")  # the fused Dense(relu) finds its dense step
        assert e.layer == "hidden_dense"
        assert e.value == result.outputs["hidden_dense"][unit]


def test_softmax_explanation_is_exact(traced):
    e = explain_softmax(traced)
    np.testing.assert_array_equal(e.probabilities, traced.probabilities)
    np.testing.assert_array_equal(e.logits, traced.logits)
    assert e.shift == traced.logits.max()
    np.testing.assert_array_equal(e.exponentials, np.exp(traced.logits - np.float32(e.shift)))
    assert e.total == e.exponentials.sum()
    np.testing.assert_array_equal(e.probabilities, e.exponentials / np.float32(e.total))
    assert e.predicted_class == traced.predicted_class
    assert len(e.class_names) == traced.network.num_classes


def test_explanations_are_frozen(vgg_trace):
    e = explain_conv(vgg_trace, "conv_1_1", 0, 0, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.value = 0.0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda t: explain_conv(t, "conv_1_1", 10, 0, 0), r"Neuron 10 is out of range: 'conv_1_1' has 10 \(0 to 9\)"),
        (lambda t: explain_conv(t, "conv_1_1", 0, 62, 0), r"Row 62 is out of range"),
        (lambda t: explain_conv(t, "conv_1_1", 0, 0, -1), r"Column -1 is out of range"),
        (lambda t: explain_conv(t, "conv_1_1", 0, 1.5, 0), r"whole number"),
        (lambda t: explain_conv(t, "conv_1_1", True, 0, 0), r"whole number"),
        (lambda t: explain_conv(t, "relu_1_1", 0, 0, 0), r"'relu_1_1' is a relu layer, not a convolutional layer"),
        (lambda t: explain_conv(t, "conv_9", 0, 0, 0), r"no layer called 'conv_9'"),
        (lambda t: explain_relu(t, "relu_1_1", 0), r"row must be a whole number"),
        (lambda t: explain_maxpool(t, "max_pool_2", 0, 13, 0), r"Row 13 is out of range"),
        (lambda t: explain_flatten(t, 1690), r"Unit 1690 is out of range: 'flatten' has 1690"),
        (lambda t: explain_dense(t, 10), r"Unit 10 is out of range"),
        (lambda t: explain_dense(t, 0, layer="flatten"), r"is a flatten layer"),
    ],
)
def test_bad_requests_raise_trace_errors(vgg_trace, call, message):
    with pytest.raises(TraceError, match=message):
        call(vgg_trace)


def test_a_vector_relu_takes_no_row_or_column():
    network = Network.from_keras(seed_weights(strided_cnn(), seed=1))
    result = trace(network, np.zeros(network.input_shape, np.float32))
    with pytest.raises(TraceError, match="outputs a vector"):
        explain_relu(result, "hidden", 0, 0, 0)
    with pytest.raises(TraceError, match="Expected a Trace"):
        explain_softmax(network)
