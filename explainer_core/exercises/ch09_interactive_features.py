"""Exercises of "The interactive features" (book/09_interactive_features.md)."""

from __future__ import annotations

from . import Exercise

#: The photo of exercise 09.1: width and height in pixels.
PHOTO = (500, 375)


def _network():
    from ..page.examples import shipped_network

    return shipped_network()


def _resized_size() -> list[int]:
    from ..data.preprocess import resize_plan

    plan = resize_plan(*PHOTO, _network().input_shape[:2])
    return [plan.width, plan.height]


def _mirrored_prediction() -> str:
    import numpy as np

    from ..arithmetic.trace import trace
    from ..page.examples import default_example, example_from

    network = _network()
    mirrored = np.ascontiguousarray(default_example(network.input_shape[:2]).original[:, ::-1])
    return trace(network, example_from(mirrored).image).predicted_label


def _after_crop(given, right):
    if isinstance(given, (list, tuple)) and list(given) == list(_network().input_shape[:2]):
        return "That is the size after the middle is cut out; the question asks for the size before."


def _longer_side_fits(given, right):
    if isinstance(given, (list, tuple)) and len(given) == 2 and max(given) == max(_network().input_shape[:2]):
        return "The shorter side is the one that fits the input, so the other one is longer than it."


def _a_class_name(given, right):
    network = _network()
    names = [network.class_name(k).lower() for k in range(network.num_classes)]
    if given is not None and (not isinstance(given, str) or given.strip().lower() not in names):
        return "Answer with one of the ten class names, as trace(...).predicted_label gives them."


EXERCISES = (
    Exercise(
        "09.1",
        f"The size [width, height] a {PHOTO[0]}x{PHOTO[1]} photo is resized to before its middle is cut out",
        _resized_size,
        hints=(_after_crop, _longer_side_fits),
    ),
    Exercise(
        "09.2",
        "The class Tiny VGG predicts for the chapter's photo mirrored left to right",
        _mirrored_prediction,
        hints=(_a_class_name,),
    ),
)
