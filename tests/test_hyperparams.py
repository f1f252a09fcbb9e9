"""Hyperparameter arithmetic, checked over the whole grid of small values against TensorFlow."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import tensorflow as tf

from explainer_core.arithmetic import ops
from explainer_core.arithmetic.hyperparams import (
    HyperparameterCheck,
    WindowPosition,
    check_hyperparameters,
    conv_output_size,
    padding_amounts,
    window_positions,
)
from explainer_core.errors import HyperparameterError

GRID = list(itertools.product(range(1, 9), range(0, 4), range(1, 7), range(1, 5)))  # input, padding, kernel, stride


def tensorflow_output(size: int, padding: int, kernel: int, stride: int, x: np.ndarray, w: np.ndarray):
    """TensorFlow's convolution with explicit padding, or None when TensorFlow refuses the combination.

    Whether it fits is asked of TensorFlow's shape inference (which refuses an empty
    or negative output); the oneDNN kernel TensorFlow runs on x86 does not always
    refuse an empty output itself, it may return uninitialised memory instead.
    """
    pads = [[0, 0], [padding, padding], [padding, padding], [0, 0]]
    conv = tf.function(lambda image: tf.nn.conv2d(image, w[:, :, None, None], strides=stride, padding=pads))
    try:
        conv.get_concrete_function(tf.TensorSpec((1, size, size, 1), tf.float32))
    except ValueError:  # "Negative dimension size caused by subtracting ..."
        return None
    return conv(x[None, :, :, None]).numpy()[0, :, :, 0]


def test_the_whole_grid_agrees_with_tensorflow():
    """Input 1..8, padding 0..3, kernel 1..6, stride 1..4: output size, validity and values."""
    rng = np.random.default_rng(0)
    checked = valid = 0
    for size, padding, kernel, stride in GRID:
        x = rng.standard_normal((size, size)).astype(np.float32)
        w = rng.standard_normal((kernel, kernel)).astype(np.float32)
        expected = tensorflow_output(size, padding, kernel, stride, x, w)
        check = check_hyperparameters(size, kernel, stride, padding)
        label = f"input {size}, padding {padding}, kernel {kernel}, stride {stride}"
        if expected is None:
            assert kernel > size + 2 * padding, label
            assert not check.valid and check.output_size is None and "does not fit" in check.reason, label
            with pytest.raises(HyperparameterError, match="does not fit"):
                conv_output_size(size, kernel, stride, padding)
            continue
        checked += 1
        assert conv_output_size(size, kernel, stride, padding) == expected.shape[0] == check.output_size, label
        assert check.valid == ((size + 2 * padding - kernel) % stride == 0), label
        assert (check.reason is None) == check.valid, label
        valid += check.valid

        positions = window_positions(size, kernel, stride, padding)
        assert len(positions) == expected.size
        last = positions[-1]
        assert last.top + kernel + check.left_out == size + 2 * padding, label  # left-over rows really are left over
        # The windows, read off the padded input, give TensorFlow's numbers.
        padded = np.pad(x, padding)
        ours = np.array([(padded[p.top : p.top + kernel, p.left : p.left + kernel] * w).sum() for p in positions])
        np.testing.assert_allclose(ours.reshape(expected.shape), expected, atol=1e-4, err_msg=label)
        # ...and so does the reference convolution.
        got = ops.conv2d(x[:, :, None], w[:, :, None, None], np.zeros(1, np.float32), (stride, stride),
                         ((padding, padding), (padding, padding)))[:, :, 0]  # fmt: skip
        np.testing.assert_allclose(got, expected, atol=1e-5, err_msg=label)
    assert checked > 400 and valid > 200  # the grid really exercised both verdicts


def test_window_positions_slide_row_by_row():
    positions = window_positions(5, 3, stride=2, padding=1)
    assert positions[:4] == (
        WindowPosition(0, 0, 0, 0),
        WindowPosition(0, 1, 0, 2),
        WindowPosition(0, 2, 0, 4),
        WindowPosition(1, 0, 2, 0),
    )
    assert len(positions) == 9


def test_the_paper_numbers():
    assert check_hyperparameters(64, 3) == HyperparameterCheck(True, 62, 0, None)  # conv_1_1 of Tiny VGG
    assert conv_output_size(26, 2, stride=2) == 13  # max_pool_2: 13 × 13 × 10 (Sect. 7.1)
    assert check_hyperparameters(5, 2).output_size == 4  # the widget's opening state


def test_reasons_are_sentences_a_student_can_read():
    assert check_hyperparameters(4, 5).reason == "The 5×5 kernel does not fit inside the 4×4 input."
    assert check_hyperparameters(2, 5, padding=1).reason == (
        "The 5×5 kernel does not fit inside the 4×4 padded input (2×2 plus 1 on each side)."
    )
    check = check_hyperparameters(8, 3, stride=2)
    assert not check.valid and check.output_size == 3 and check.left_out == 1
    assert check.reason == (
        "With stride 2 the 3×3 kernel cannot reach the edge: 8 + 2·0 − 3 = 5 is not a multiple of 2, "
        "so the last column and row of the input are never visited."
    )
    check = check_hyperparameters(7, 2, stride=3, padding=1)
    assert check.left_out == 1 and "of the padded input" in check.reason
    assert "last 2 columns and rows" in check_hyperparameters(6, 1, stride=3).reason
    assert check_hyperparameters(5, 3, stride=0).reason.startswith("The stride must be at least 1")
    assert check_hyperparameters(5, 3, padding=-1).reason == "Padding cannot be negative."
    assert check_hyperparameters(0, 3).reason == "The input must be at least 1×1."
    assert check_hyperparameters(5, 0).reason == "The kernel must be at least 1×1."


@pytest.mark.parametrize("bad", [2.0, "3", True, None])
def test_non_integers_are_refused(bad):
    with pytest.raises(HyperparameterError, match="whole number"):
        check_hyperparameters(bad, 3)
    with pytest.raises(HyperparameterError, match="whole number"):
        window_positions(5, bad)


def test_numpy_integers_are_fine():
    assert conv_output_size(np.int64(7), np.int32(3), np.int8(2), np.uint8(0)) == 3


def test_padding_amounts():
    assert padding_amounts(64, 3, 1, "valid") == (0, 0)
    assert padding_amounts(64, 3, 1, "same") == (1, 1)
    assert padding_amounts(10, 4, 1, "same") == (1, 2)  # the odd one goes after, as in TensorFlow
    assert padding_amounts(37, 5, 2, "SAME") == (2, 2)
    assert padding_amounts(5, 3, 2, 1) == (1, 1)
    with pytest.raises(HyperparameterError, match="'valid', 'same'"):
        padding_amounts(5, 3, 1, "full")
    with pytest.raises(HyperparameterError, match="negative"):
        padding_amounts(5, 3, 1, -2)
