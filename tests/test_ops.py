"""The NumPy reference operations agree with TensorFlow's own kernels."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from explainer_core.arithmetic import ops
from explainer_core.arithmetic.hyperparams import padding_amounts

RNG = np.random.default_rng(20240521)


def tf_conv(x, kernel, bias, strides, padding):
    """TensorFlow's convolution of one (H, W, C) image; ``padding`` is "SAME", "VALID" or explicit pads."""
    if not isinstance(padding, str):
        padding = [[0, 0], list(padding[0]), list(padding[1]), [0, 0]]
    out = tf.nn.conv2d(x[None], kernel, strides=[1, *strides, 1], padding=padding)
    return (out[0] + bias).numpy()


CONV_CASES = [
    # (height, width, channels, filters, kernel, strides, padding)
    (64, 64, 3, 10, (3, 3), (1, 1), "valid"),  # Tiny VGG's first layer
    (13, 11, 4, 5, (3, 3), (2, 2), "valid"),
    (13, 11, 4, 5, (3, 3), (2, 2), "same"),
    (9, 10, 2, 3, (4, 4), (1, 1), "same"),  # even kernel: one more padding row after than before
    (9, 10, 2, 3, (4, 2), (3, 2), "same"),
    (8, 8, 1, 1, (1, 1), (1, 1), "valid"),
    (7, 12, 3, 4, (5, 3), (1, 3), ((2, 1), (0, 3))),  # explicit, asymmetric padding
]


@pytest.mark.parametrize("height, width, channels, filters, window, strides, padding", CONV_CASES)
def test_conv2d_matches_tensorflow(height, width, channels, filters, window, strides, padding):
    x = RNG.standard_normal((height, width, channels)).astype(np.float32)
    kernel = RNG.standard_normal((*window, channels, filters)).astype(np.float32)
    bias = RNG.standard_normal(filters).astype(np.float32)
    if isinstance(padding, str):
        pads = (
            padding_amounts(height, window[0], strides[0], padding),
            padding_amounts(width, window[1], strides[1], padding),
        )
        expected = tf_conv(x, kernel, bias, strides, padding.upper())
    else:
        pads = padding
        expected = tf_conv(x, kernel, bias, strides, padding)
    got = ops.conv2d(x, kernel, bias, strides, pads)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("strides, padding", [((1, 1), "valid"), ((2, 1), "same")])
def test_intermediate_results_are_single_channel_convolutions(strides, padding):
    """intermediates[f, c] is channel c alone convolved with filter f's slice; summing them gives the conv."""
    x = RNG.random((12, 10, 3), dtype=np.float32)
    kernel = RNG.standard_normal((3, 3, 3, 4)).astype(np.float32)
    bias = RNG.standard_normal(4).astype(np.float32)
    pads = tuple(padding_amounts(n, 3, s, padding) for n, s in zip((12, 10), strides, strict=True))
    parts = ops.conv2d_intermediates(x, kernel, strides, pads)
    out_h, out_w = ops.conv2d(x, kernel, bias, strides, pads).shape[:2]
    assert parts.shape == (4, 3, out_h, out_w)
    for c in range(3):
        alone = tf_conv(
            x[:, :, c : c + 1], kernel[:, :, c : c + 1, :], np.zeros(4, np.float32), strides, padding.upper()
        )
        np.testing.assert_allclose(parts[:, c], alone.transpose(2, 0, 1), atol=1e-6)
    summed = parts.astype(np.float64).sum(axis=1) + bias[:, None, None]
    np.testing.assert_allclose(ops.sum_intermediates(parts, bias), summed.transpose(1, 2, 0), atol=1e-6)


@pytest.mark.parametrize(
    "window, strides, padding",
    [((2, 2), (2, 2), "valid"), ((3, 3), (2, 2), "same"), ((2, 3), (1, 2), "valid"), ((3, 2), (3, 1), "same")],
)
def test_max_pool_matches_tensorflow_and_finds_its_maximum(window, strides, padding):
    x = RNG.standard_normal((11, 9, 4)).astype(np.float32) - 5.0  # all negative: padding must not win
    pads = tuple(padding_amounts(n, w, s, padding) for n, w, s in zip((11, 9), window, strides, strict=True))
    expected = tf.nn.max_pool2d(x[None], window, strides, padding.upper())[0].numpy()
    got = ops.max_pool2d(x, window, strides, pads)
    np.testing.assert_array_equal(got, expected)

    where = ops.max_pool2d_argmax(x, window, strides, pads)
    rows, cols = where[..., 0], where[..., 1]
    channels = np.broadcast_to(np.arange(4), rows.shape)
    np.testing.assert_array_equal(x[rows, cols, channels], got)
    top = np.arange(got.shape[0])[:, None, None] * strides[0] - pads[0][0]
    left = np.arange(got.shape[1])[None, :, None] * strides[1] - pads[1][0]
    assert ((rows >= top) & (rows < top + window[0]) & (cols >= left) & (cols < left + window[1])).all()


def test_max_pool_ties_go_to_the_first_cell_in_reading_order():
    x = np.ones((2, 2, 1), np.float32)
    assert ops.max_pool2d_argmax(x, (2, 2), (2, 2))[0, 0, 0].tolist() == [0, 0]


def test_relu():
    x = np.array([-2.0, -0.0, 0.0, 0.5, 3.0], np.float32)
    np.testing.assert_array_equal(ops.relu(x), [0, 0, 0, 0.5, 3.0])
    assert ops.relu(x).dtype == np.float32


def test_flatten_follows_keras_and_the_index_finds_each_source():
    x = RNG.random((4, 5, 3), dtype=np.float32)
    flat = ops.flatten(x)
    np.testing.assert_array_equal(flat, keras.layers.Flatten()(x[None]).numpy()[0])
    index = ops.flatten_index(x.shape)
    assert index.shape == (60, 3)
    assert index[:4].tolist() == [[0, 0, 0], [0, 0, 1], [0, 0, 2], [0, 1, 0]]  # channels change fastest
    np.testing.assert_array_equal(x[index[:, 0], index[:, 1], index[:, 2]], flat)


def test_dense_matches_a_matrix_product():
    x = RNG.standard_normal(300).astype(np.float32)
    kernel = RNG.standard_normal((300, 7)).astype(np.float32)
    bias = RNG.standard_normal(7).astype(np.float32)
    expected = x.astype(np.float64) @ kernel.astype(np.float64) + bias
    np.testing.assert_allclose(ops.dense(x, kernel, bias), expected, rtol=1e-5, atol=1e-5)
    assert ops.dense_terms(x, kernel).shape == (7, 300)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_matches_tensorflow(axis):
    z = RNG.standard_normal((3, 4, 5)).astype(np.float32) * 4
    np.testing.assert_allclose(ops.softmax(z, axis), tf.nn.softmax(z, axis=axis).numpy(), rtol=1e-6, atol=1e-7)


def test_softmax_is_stable_on_huge_logits():
    z = np.array([1000.0, 1001.0, 1002.0, -1000.0], np.float32)
    p = ops.softmax(z)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p[:3], ops.softmax(np.array([0.0, 1.0, 2.0], np.float32)), rtol=1e-6)
    assert p[3] == 0.0
    shift, exponentials, total = ops.softmax_parts(z)
    assert shift[0] == 1002.0 and exponentials.max() == 1.0 and total[0] > 1.0


@pytest.mark.parametrize("size, window, stride", list(itertools.product((5, 6), (2, 3), (1, 2, 3))))
def test_same_padding_gives_keras_output_size(size, window, stride):
    before, after = padding_amounts(size, window, stride, "same")
    assert (size + before + after - window) // stride + 1 == -(-size // stride)
    assert after - before in (0, 1)
