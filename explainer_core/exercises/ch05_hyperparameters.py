"""Exercises of "Understanding hyperparameters" (book/05_hyperparameters.md)."""

from __future__ import annotations

from ..arithmetic.hyperparams import check_hyperparameters, conv_output_size
from . import Exercise


def _forgot_padding(given, right):
    if given == conv_output_size(64, 5, 2, 0):
        return "That is the size without padding: the padding is added on both sides."


def _forgot_plus_one(given, right):
    if given == right - 1:
        return "Close: count the kernel's first position too."


def _strides_that_cover():
    return [s for s in range(1, 9) if check_hyperparameters(64, 4, s, 0).valid]


def _with_stride_one(given, right):
    if isinstance(given, (list, tuple)) and 1 not in given:
        return "A stride of 1 visits every position, so it always covers the input."


EXERCISES = (
    Exercise(
        "05.1",
        "Output width of a 5x5 kernel, stride 2, padding 2, on a 64x64 input",
        lambda: conv_output_size(64, 5, 2, 2),
        hints=(_forgot_padding, _forgot_plus_one),
    ),
    Exercise(
        "05.2",
        "The strides from 1 to 8 whose windows cover a 64x64 input exactly with a 4x4 kernel and no padding",
        _strides_that_cover,
        hints=(_with_stride_one,),
    ),
)
