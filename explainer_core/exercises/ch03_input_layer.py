"""Exercises of "The input layer" (book/03_input_layer.md)."""

from __future__ import annotations

import numpy as np

from ..data.preprocess import prepare_image, resize_plan
from . import Exercise

CHANNELS = ("red", "green", "blue")


def _brightest_channel() -> str:
    from ..page.examples import default_trace

    return CHANNELS[int(np.argmax(default_trace().image.mean(axis=(0, 1))))]


def _not_a_name(given, right):
    if isinstance(given, (int, np.integer)):
        return "Answer with the channel's colour, one of 'red', 'green' or 'blue'."


def _input_numbers() -> int:
    from ..page.examples import default_trace

    return int(default_trace().image.size)


def _one_number_a_pixel(given, right):
    if isinstance(given, (int, float)) and given * 3 == right:
        return "That is the number of pixels: each pixel has a number for every colour channel."


def _cut_on_the_left() -> int:
    return resize_plan(640, 480, (64, 64)).left


def _not_resized(given, right):
    if isinstance(given, (int, float)) and given == (640 - 480) // 2:
        return "The photo is resized before it is cropped: crop the resized width, not the original."


def _both_sides(given, right):
    if isinstance(given, (int, float)) and given in (2 * right, 2 * right + 1):
        return "That is what is cut away altogether; it is shared between the two ends."


def _stripes() -> str:
    stripes = np.zeros((64, 192, 3), np.uint8)
    for i in range(3):
        stripes[:, 64 * i : 64 * (i + 1), i] = 255
    kept = prepare_image(stripes).mean(axis=(0, 1))
    return CHANNELS[int(np.argmax(kept))]


EXERCISES = (
    Exercise(
        "03.1",
        "Which channel has the largest mean value on the chapter's photo",
        _brightest_channel,
        hints=(_not_a_name,),
    ),
    Exercise(
        "03.2",
        "How many numbers the network receives for one photo",
        _input_numbers,
        hints=(_one_number_a_pixel,),
    ),
    Exercise(
        "03.3",
        "How many columns of the resized picture a 640x480 photo loses on the left",
        _cut_on_the_left,
        hints=(_not_resized, _both_sides),
    ),
    Exercise(
        "03.4",
        "The colour left after fitting a 192x64 picture of red, green and blue vertical stripes",
        _stripes,
    ),
)
