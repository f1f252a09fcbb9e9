"""Exercises of "The flatten layer and the output" (book/08_flatten_and_output.md)."""

from __future__ import annotations

import numpy as np

from . import Exercise

#: The pixel of the last pooling layer's maps that exercise 08.1 asks about.
ROW, COLUMN, CHANNEL = 2, 5, 7


def _trace():
    from ..page.examples import default_trace

    return default_trace()


def _unit_of_pixel() -> int:
    from ..arithmetic.formulas import explain_flatten

    trace = _trace()
    for unit in range(trace.flattened.size):
        found = explain_flatten(trace, unit)
        if (found.row, found.col, found.channel) == (ROW, COLUMN, CHANNEL):
            return unit
    raise ValueError(f"No flatten unit copies row {ROW}, column {COLUMN}, channel {CHANNEL}.")


def _positive_products() -> int:
    from ..arithmetic.formulas import explain_dense

    trace = _trace()
    return int((explain_dense(trace, trace.predicted_class).terms > 0).sum())


def _runner_up() -> str:
    trace = _trace()
    return trace.network.class_name(int(np.argsort(-trace.logits, kind="stable")[1]))


def _channels_first(given, right):
    height, width, _ = _trace().outputs["max_pool_2"].shape
    if given == (CHANNEL * height + ROW) * width + COLUMN:
        return "That is the order with the channel outermost; in Keras the channel is the innermost index."


def _nonzero_products(given, right):
    from ..arithmetic.formulas import explain_dense

    trace = _trace()
    if given == int((explain_dense(trace, trace.predicted_class).terms != 0).sum()):
        return "That counts every product that is not zero; some of them are negative (a brown edge)."


def _all_units(given, right):
    if given == _trace().flattened.size:
        return "A unit that is zero gives a product of zero, which is not positive."


def _the_winner(given, right):
    if isinstance(given, str) and given.strip().lower() == _trace().predicted_label.lower():
        return "That is the winner; the question asks for the class in second place."


def _a_class_name(given, right):
    if given is None:
        return None
    network = _trace().network
    names = [network.class_name(k).lower() for k in range(network.num_classes)]
    if not isinstance(given, str) or given.strip().lower() not in names:
        return "Answer with one of the ten class names, spelled as trace.network.class_name gives them."


EXERCISES = (
    Exercise(
        "08.1",
        f"The flatten unit that copies row {ROW}, column {COLUMN}, channel {CHANNEL} of the last pooling layer",
        _unit_of_pixel,
        hints=(_channels_first,),
    ),
    Exercise(
        "08.2",
        "How many of the products x_i w_ik of the predicted class's logit are positive, for the chapter's photo",
        _positive_products,
        hints=(_nonzero_products, _all_units),
    ),
    Exercise(
        "08.3",
        "The class with the second largest probability for the chapter's photo",
        _runner_up,
        hints=(_the_winner, _a_class_name),
    ),
)
