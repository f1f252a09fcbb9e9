"""Exercises of "Activation functions" (book/06_activation_functions.md)."""

from __future__ import annotations

import math

from . import Exercise


def _trace():
    from ..page.examples import default_trace

    return default_trace()


def _negative_share_last_relu() -> float:
    trace = _trace()
    last = [step.name for step in trace.network.layers if step.kind == "relu"][-1]
    return float((trace.input_of(last) < 0).mean())


def _winning_probability() -> float:
    logits = [float(z) for z in _trace().logits]
    top = max(logits)
    return math.exp(top - top) / sum(math.exp(z - top) for z in logits)


def _not_a_percentage(given, right):
    if isinstance(given, (int, float)) and given > 1:
        return "Give a share between 0 and 1, not a percentage."


def _kept_share(given, right):
    if isinstance(given, (int, float)) and math.isclose(given, 1 - right, abs_tol=0.005):
        return "That is the share the ReLU lets through; the question asks for the share it sets to zero."


def _first_relu(given, right):
    trace = _trace()
    first = next(step.name for step in trace.network.layers if step.kind == "relu")
    share = float((trace.input_of(first) < 0).mean())
    if isinstance(given, (int, float)) and math.isclose(given, share, abs_tol=0.005):
        return "That is the share for the first ReLU, the one the chapter shows; look at the last one."


def _a_logit(given, right):
    if isinstance(given, (int, float)) and any(math.isclose(given, float(z), abs_tol=1e-3) for z in _trace().logits):
        return "That is a logit: the softmax still has to turn it into a probability."


def _not_divided(given, right):
    if isinstance(given, (int, float)) and given > 1:
        return "A probability is at most 1: did you divide by the sum of all the exponentials?"


EXERCISES = (
    Exercise(
        "06.1",
        "The share (between 0 and 1) of the numbers entering Tiny VGG's last ReLU that are negative, "
        "for the chapter's photo",
        _negative_share_last_relu,
        hints=(_not_a_percentage, _kept_share, _first_relu),
        tolerance=0.005,
    ),
    Exercise(
        "06.2",
        "The probability of the winning class, computed with the softmax formula from the chapter's logits",
        _winning_probability,
        hints=(_a_logit, _not_divided),
        tolerance=0.001,
    ),
)
