"""Exercises of "Pooling layers" (book/07_pooling_layers.md)."""

from __future__ import annotations

import math

import numpy as np

from . import Exercise


def _trace():
    from ..page.examples import default_trace

    return default_trace()


def _dropped_by_first_pool() -> int:
    trace = _trace()
    return int(trace.input_of("max_pool_1").size - trace.outputs["max_pool_1"].size)


def _zero_share_after_pool() -> float:
    return float((_trace().outputs["max_pool_1"] == 0).mean())


def _strongest_channel_of_last_pool() -> int:
    maps = _trace().outputs["max_pool_2"]
    return int(np.unravel_index(np.argmax(maps), maps.shape)[2])


def _one_map(given, right):
    channels = _trace().outputs["max_pool_1"].shape[2]
    if given == right // channels:
        return "That is for one map: every channel is pooled, count them all."


def _kept(given, right):
    if given == _trace().outputs["max_pool_1"].size:
        return "That is how many numbers the pooling keeps; the question asks how many it drops."


def _before_pooling(given, right):
    before = float((_trace().input_of("max_pool_1") == 0).mean())
    if isinstance(given, (int, float)) and math.isclose(given, before, abs_tol=0.005):
        return "That is the share of zeros going into the pooling; measure its output."


def _not_a_percentage(given, right):
    if isinstance(given, (int, float)) and given > 1:
        return "Give a share between 0 and 1, not a percentage."


def _counted_from_one(given, right):
    if given == right + 1:
        return "Channels are counted from 0, as in trace.outputs[...][:, :, channel]."


EXERCISES = (
    Exercise(
        "07.1",
        "How many numbers max_pool_1 drops, over all its maps, from what relu_1_2 gives it",
        _dropped_by_first_pool,
        hints=(_one_map, _kept),
    ),
    Exercise(
        "07.2",
        "The share (between 0 and 1) of exactly zero numbers in the output of max_pool_1 for the chapter's photo",
        _zero_share_after_pool,
        hints=(_not_a_percentage, _before_pooling),
        tolerance=0.005,
    ),
    Exercise(
        "07.3",
        "The channel of max_pool_2 that holds the single largest number for the chapter's photo",
        _strongest_channel_of_last_pool,
        hints=(_counted_from_one,),
    ),
)
