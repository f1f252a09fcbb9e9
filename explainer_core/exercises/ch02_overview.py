"""Exercises of "The network at a glance" (book/02_overview.md)."""

from __future__ import annotations

from . import Exercise


def _trace():
    from ..page.examples import default_trace

    return default_trace()


def _hidden_maps() -> int:
    from ..views.overview import overview_layers

    trace = _trace()
    return sum(trace.outputs[name].shape[2] for name in overview_layers(trace))


def _counted_the_input(given, right):
    if isinstance(given, (int, float)) and given == right + 3:
        return "The input's red, green and blue channels are not hidden maps: leave them out."


def _convolutions_only(given, right):
    if isinstance(given, (int, float)) and given < right and given % 10 == 0:
        return "Count every column between the input and the output: ReLU and pooling layers have maps too."


def _zeros_in_relu() -> int:
    return int((_trace().outputs["relu_1_2"] == 0).sum())


def _counted_maps(given, right):
    maps = _trace().outputs["relu_1_2"]
    if isinstance(given, (int, float)) and given <= maps.shape[2]:
        return "Count single numbers, not maps: each map of this layer holds a number for every pixel."


def _counted_the_rest(given, right):
    if isinstance(given, (int, float)) and given == _trace().outputs["relu_1_2"].size - right:
        return "That is the number of numbers that are not zero."


def _pooled_widths() -> list[int]:
    trace = _trace()
    return [trace.outputs[name].shape[1] for name in ("max_pool_1", "max_pool_2")]


def _halved_the_input(given, right):
    if isinstance(given, (list, tuple)) and list(given)[:1] == [32]:
        return "A pooling layer halves the map it receives, and a convolution has trimmed that map first."


EXERCISES = (
    Exercise(
        "02.1",
        "The number of activation maps in the hidden layers of the overview (ReLU and pooling included)",
        _hidden_maps,
        hints=(_counted_the_input, _convolutions_only),
    ),
    Exercise(
        "02.2",
        "How many of the numbers in the maps of relu_1_2 are zero for the chapter's photo",
        _zeros_in_relu,
        hints=(_counted_maps, _counted_the_rest),
    ),
    Exercise(
        "02.3",
        "The widths of the maps of max_pool_1 and max_pool_2, in that order",
        _pooled_widths,
        hints=(_halved_the_input,),
    ),
)
