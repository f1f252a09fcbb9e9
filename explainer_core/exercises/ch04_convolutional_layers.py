"""Exercises of "Convolutional layers" (book/04_convolutional_layers.md)."""

from __future__ import annotations

import numpy as np

from ..arithmetic.hyperparams import conv_output_size
from . import Exercise


def _trace():
    from ..page.examples import default_trace

    return default_trace()


def _most_active() -> int:
    return int(np.argmax(_trace().outputs["conv_1_1"].mean(axis=(0, 1))))


def _varies_most(given, right):
    shown = int(np.argmax(_trace().outputs["conv_1_1"].std(axis=(0, 1))))
    if given == shown != right:
        return "That neuron's map varies most (the one the chapter shows); the question asks for the largest average."


def _counted_from_one(given, right):
    if given == right + 1:
        return "The neurons are numbered from 0, as in the view's menu."


def _one_output() -> float:
    return float(_trace().outputs["conv_1_1"][10, 20, 0])


def _forgot_bias(given, right):
    bias = float(_trace().network.layer("conv_1_1").bias[0])
    try:
        if abs(float(given) + bias - right) < 1e-4:
            return "Close: the neuron adds its bias after the three intermediate results."
    except (TypeError, ValueError):
        return None


def _multiply_adds() -> int:
    spec = _trace().network.layer("conv_1_1")
    side = conv_output_size(spec.input_shape[0], spec.kernel.shape[0], 1, 0)
    return side * side * spec.kernel.size


def _used_the_input_size(given, right):
    if isinstance(given, (int, float)) and given == 64 * 64 * 270:
        return "The kernel fits in fewer positions than the input has pixels: use the output's size."


def _one_channel(given, right):
    if isinstance(given, (int, float)) and given * 3 == right:
        return "Each 3x3 window is read in all three colour channels."


EXERCISES = (
    Exercise(
        "04.1",
        "Which neuron of conv_1_1 has the largest average output on the chapter's photo (numbered from 0)",
        _most_active,
        hints=(_varies_most, _counted_from_one),
    ),
    Exercise(
        "04.2",
        "The output of neuron 0 of conv_1_1 at row 10, column 20, computed from the window, kernel and bias",
        _one_output,
        hints=(_forgot_bias,),
        tolerance=1e-4,
    ),
    Exercise(
        "04.3",
        "How many multiplications conv_1_1 does for one photo",
        _multiply_adds,
        hints=(_used_the_input_size, _one_channel),
    ),
)
