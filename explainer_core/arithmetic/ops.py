"""The reference operations of a CNN in NumPy, written to be read.

Every array is channels-last as in Keras: an image or activation map stack is
``(height, width, channels)``; a convolution kernel is Keras's own
``(kernel_height, kernel_width, in_channels, out_channels)``; a dense kernel is
``(inputs, outputs)``. No function loops over pixels: a convolution gathers
every window the kernel visits (a strided view, no copy) and multiplies them
with the kernel in one matrix product, the textbook "im2col" trick.

Padding is explicit, ``((top, bottom), (left, right))``; use
:func:`explainer_core.arithmetic.hyperparams.padding_amounts` for Keras's ``"same"``,
which may put one more row after than before.

The forward trace (:mod:`explainer_core.arithmetic.trace`) is these functions chained, and
the formula explanations (:mod:`explainer_core.arithmetic.formulas`) redo single steps with
the same functions, so the numbers agree (CNN Explainer, Sect. 6.2-6.3).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "NO_PADDING",
    "conv2d",
    "conv2d_intermediates",
    "dense",
    "dense_terms",
    "flatten",
    "flatten_index",
    "max_pool2d",
    "max_pool2d_argmax",
    "pad2d",
    "relu",
    "sliding_windows",
    "softmax",
    "softmax_parts",
    "sum_intermediates",
]

Pads = tuple[tuple[int, int], tuple[int, int]]
NO_PADDING: Pads = ((0, 0), (0, 0))


def pad2d(x: np.ndarray, pads: Pads = NO_PADDING, value: float = 0.0) -> np.ndarray:
    """``x`` (H, W, C) with ``value`` added around it: zeros for a convolution, −inf for max pooling."""
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    return np.pad(x, ((top, bottom), (left, right), (0, 0)), constant_values=value)


def sliding_windows(x: np.ndarray, window: tuple[int, int], strides: tuple[int, int] = (1, 1)) -> np.ndarray:
    """A view (out_H, out_W, C, kernel_H, kernel_W) of every window a kernel visits in ``x`` (H, W, C).

    ``windows[r, c]`` is what the kernel sees when it fills output pixel (r, c);
    nothing is copied, so this is as cheap for a 64×64 image as for a 5×5 one.
    """
    (kh, kw), (sh, sw) = window, strides
    return sliding_window_view(x, (kh, kw), axis=(0, 1))[::sh, ::sw]


def conv2d_intermediates(
    x: np.ndarray, kernel: np.ndarray, strides: tuple[int, int] = (1, 1), pads: Pads = NO_PADDING
) -> np.ndarray:
    """The intermediate results of a convolution: shape (out_channels, in_channels, out_H, out_W).

    ``result[f, c]`` is input channel ``c`` convolved with its slice of filter ``f``,
    before the channels are added up and the bias is added: the maps CNN
    Explainer's convolutional elastic view draws between the input and the output
    neuron (Sect. 6.2). ``x`` is (H, W, C), ``kernel`` (kH, kW, C, F).
    """
    kh, kw, channels, filters = kernel.shape
    # Channels first, so that each channel is one contiguous map and the copy below is fast.
    maps = np.ascontiguousarray(pad2d(x, pads).transpose(2, 0, 1))
    windows = sliding_window_view(maps, (kh, kw), axis=(1, 2))[:, :: strides[0], :: strides[1]]
    out_h, out_w = windows.shape[1:3]
    # For each input channel, one row per kernel weight and one column per window position.
    patches = windows.transpose(0, 3, 4, 1, 2).reshape(channels, kh * kw, out_h * out_w)
    weights = kernel.transpose(2, 3, 0, 1).reshape(channels, filters, kh * kw)
    products = np.matmul(weights, patches)  # (C, F, positions): every window times every filter slice
    return products.reshape(channels, filters, out_h, out_w).transpose(1, 0, 2, 3)


def sum_intermediates(intermediates: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Finish a convolution: add the intermediate results channel by channel, then the bias.

    The channels are added in order (0 + 1, then + 2, ...) and the bias last, so a
    formula view doing the same additions gets bit-for-bit the same number.
    Returns (out_H, out_W, out_channels).
    """
    total = intermediates[:, 0].copy()
    for channel in range(1, intermediates.shape[1]):
        total += intermediates[:, channel]
    total += bias[:, None, None]
    return total.transpose(1, 2, 0)


def conv2d(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray,
    strides: tuple[int, int] = (1, 1),
    pads: Pads = NO_PADDING,
) -> np.ndarray:
    """A 2-D convolution (cross-correlation, as in every deep learning library): (H, W, C) -> (out_H, out_W, F)."""
    return sum_intermediates(conv2d_intermediates(x, kernel, strides, pads), bias)


def relu(x: np.ndarray) -> np.ndarray:
    """max(0, x), element by element."""
    return np.maximum(x, 0)


def max_pool2d(x: np.ndarray, window: tuple[int, int], strides: tuple[int, int], pads: Pads = NO_PADDING) -> np.ndarray:
    """The largest value of each window, channel by channel: (H, W, C) -> (out_H, out_W, C).

    Padding is filled with −inf, so it can never be the maximum (Keras's ``"same"``).
    The windows are compared one cell offset at a time, for all windows at once.
    """
    windows = sliding_windows(pad2d(x, pads, -np.inf), window, strides)
    largest = windows[..., 0, 0].copy(order="K")
    for i in range(window[0]):
        for j in range(window[1]):
            np.maximum(largest, windows[..., i, j], out=largest)
    return largest


def max_pool2d_argmax(
    x: np.ndarray, window: tuple[int, int], strides: tuple[int, int], pads: Pads = NO_PADDING
) -> np.ndarray:
    """Where each maximum of :func:`max_pool2d` came from: (out_H, out_W, C, 2) of (row, col) in ``x``.

    Ties go to the first maximum in reading order (left to right, top to bottom).
    """
    windows = sliding_windows(pad2d(x, pads, -np.inf), window, strides)
    out_h, out_w, channels, kh, kw = windows.shape
    flat = windows.reshape(out_h, out_w, channels, kh * kw).argmax(axis=-1)
    rows = np.arange(out_h)[:, None, None] * strides[0] - pads[0][0] + flat // kw
    cols = np.arange(out_w)[None, :, None] * strides[1] - pads[1][0] + flat % kw
    return np.stack([rows, cols], axis=-1)


def flatten(x: np.ndarray) -> np.ndarray:
    """Unroll (H, W, C) into one vector in row-major order, channels fastest, as Keras's Flatten does."""
    return np.reshape(x, -1)


def flatten_index(shape: tuple[int, int, int]) -> np.ndarray:
    """For each unit of :func:`flatten`'s output, its source (row, column, channel): shape (units, 3)."""
    return np.indices(shape).reshape(len(shape), -1).T


def dense_terms(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Every term ``x[i] * kernel[i, j]`` of a dense layer, one row per output unit: (outputs, inputs).

    The rows are made contiguous so that summing one row always takes NumPy's same path.
    """
    return np.multiply(kernel.T, x, order="C")


def dense(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """A fully connected layer: each output unit is the sum of its terms plus its bias.

    The terms are summed by NumPy row by row rather than by a BLAS call, so that the
    formula view, summing one row the same way, reproduces each value exactly.
    """
    return dense_terms(x, kernel).sum(axis=1) + bias


def softmax_parts(z: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pieces of a softmax: (largest value, exponentials of ``z`` minus it, their sum).

    Subtracting the largest value first changes no probability but keeps ``exp``
    from overflowing on large logits.
    """
    shift = np.max(z, axis=axis, keepdims=True)
    exponentials = np.exp(z - shift)
    return shift, exponentials, np.sum(exponentials, axis=axis, keepdims=True)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Turn logits into probabilities that add up to one: exp(z_i) / Σ_j exp(z_j)."""
    _, exponentials, total = softmax_parts(z, axis)
    return exponentials / total
