"""The accuracy overview of several models, from their model cards (VAC-CNN, Sect. 5.1, Fig. 1A).

VAC-CNN opens with a table of every model's accuracy, size and cost, and
groups ImageNet's classes under WordNet roots so that a reader sees which kind
of picture a model handles. Our ten classes fall into four groups (``GROUPS``).
Everything is read from the cards ``explainer_core.models.train`` writes; the
confusion matrix (rows: true class) is the one source of every accuracy here,
so a group's accuracy is over its pictures, not a mean of its classes'.
Plain arithmetic on a small table: no library needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..errors import ExplanationError

__all__ = ["GROUPS", "Agreement", "ClassSpread", "ModelAccuracy", "accuracy_overview", "disagreement"]

#: The ten Tiny ImageNet classes by kind, with the class names the cards use.
GROUPS: dict[str, tuple[str, ...]] = {
    "animals": ("ladybug", "koala", "red panda"),
    "vehicles": ("lifeboat", "school bus", "sport car"),
    "food": ("pizza", "espresso"),
    "fruit and vegetables": ("bell pepper", "orange"),
}

CARD_KEYS = ("name", "family", "parameters", "multiply_adds", "class_names", "validation")


@dataclass(frozen=True)
class ModelAccuracy:
    """One row of the overview: a model's validation accuracy overall, per class and per group, and its size."""

    name: str
    family: str
    top1: float
    parameters: int
    multiply_adds: int
    per_class: dict[str, float]
    per_group: dict[str, float]


@dataclass(frozen=True)
class ClassSpread:
    """How the models' accuracies on one class spread: mean, range, and who is lowest and highest."""

    class_name: str
    mean: float
    spread: float
    lowest: tuple[str, float]
    highest: tuple[str, float]


class Agreement(NamedTuple):
    """The classes ranked twice: largest range of accuracy first, and highest mean accuracy first."""

    disagree: tuple[ClassSpread, ...]
    agree: tuple[ClassSpread, ...]


def accuracy_overview(cards: Sequence[Mapping]) -> tuple[ModelAccuracy, ...]:
    """One :class:`ModelAccuracy` per model card, in the order given."""
    if not cards:
        raise ExplanationError("The overview needs at least one model card.")
    return tuple(_model_accuracy(card) for card in cards)


def disagreement(overview: Sequence[ModelAccuracy]) -> Agreement:
    """The classes on which the models disagree most (range of class accuracy) and agree most (mean).

    Ties are broken by class name so the ranking is the same on every run.
    """
    if not overview:
        raise ExplanationError("Disagreement needs the overview of at least one model.")
    classes = sorted(overview[0].per_class)
    if any(sorted(row.per_class) != classes for row in overview):
        raise ExplanationError("The models must answer the same classes to be compared class by class.")
    spreads = []
    for name in classes:
        scores = [(row.per_class[name], row.name) for row in overview]
        low, high = min(scores), max(scores)
        spreads.append(
            ClassSpread(
                class_name=name,
                mean=float(np.mean([score for score, _ in scores])),
                spread=high[0] - low[0],
                lowest=(low[1], low[0]),
                highest=(high[1], high[0]),
            )
        )
    return Agreement(
        disagree=tuple(sorted(spreads, key=lambda s: (-s.spread, s.class_name))),
        agree=tuple(sorted(spreads, key=lambda s: (-s.mean, s.class_name))),
    )


def _model_accuracy(card: Mapping) -> ModelAccuracy:
    if not isinstance(card, Mapping):
        raise ExplanationError(
            f"A model card must be a dict as read from a .card.json file, not {type(card).__name__}."
        )
    label = card.get("name", "?")
    missing = [key for key in CARD_KEYS if key not in card]
    if "validation" in card and "confusion" not in card["validation"]:
        missing.append("validation.confusion")
    if missing:
        raise ExplanationError(
            f"The card of {label!r} lacks {', '.join(missing)}; cards written by explainer_core.models.train "
            "have them (retrain the model to get a new card)."
        )
    names = list(card["class_names"])
    confusion = np.asarray(card["validation"]["confusion"])
    if confusion.shape != (len(names), len(names)) or confusion.dtype.kind not in "iu" or (confusion < 0).any():
        raise ExplanationError(
            f"The confusion matrix of {label!r} must be {len(names)}x{len(names)} non-negative counts (one row and "
            f"one column per class), not of shape {confusion.shape}."
        )
    pictures = confusion.sum(axis=1)
    if (pictures == 0).any():
        empty = ", ".join(names[i] for i in np.flatnonzero(pictures == 0))
        raise ExplanationError(f"The card of {label!r} has no validation pictures of {empty}.")
    absent = [name for group in GROUPS.values() for name in group if name not in names]
    if absent:
        raise ExplanationError(
            f"The card of {label!r} has no class {', '.join(absent)}; the groups of classes need "
            f"{', '.join(name for group in GROUPS.values() for name in group)}."
        )
    correct = confusion.diagonal()
    per_group = {}
    for group, members in GROUPS.items():
        rows = [names.index(name) for name in members]
        per_group[group] = float(correct[rows].sum() / pictures[rows].sum())
    return ModelAccuracy(
        name=str(card["name"]),
        family=str(card["family"]),
        top1=float(correct.sum() / pictures.sum()),
        parameters=int(card["parameters"]),
        multiply_adds=int(card["multiply_adds"]),
        per_class={name: float(correct[i] / pictures[i]) for i, name in enumerate(names)},
        per_group=per_group,
    )
