"""The measures behind the case studies (VAC-CNN, Sect. 6; book/16_case_studies.md).

VAC-CNN's two use cases are told with its views: one class on which many
models disagree, then one model across a group of classes. The chapter
that redoes them on the book's zoo makes claims in sentences ("most misses
go to ladybug", "the members that are right look alike"), and each such
claim is one of these functions, so that a test can check it against the
model cards and the precomputed arrays:

* :func:`class_report` and :func:`zoo_misses`: each member's answers on one
  class, from its card's confusion matrix (rows: true class);
* :func:`photo_misses`: which members miss each validation photo of the
  class, from the precomputed softmax outputs;
* :func:`gallery_positions` and :func:`gallery_answers`: where the gallery
  photos sit among the validation photos, and each member's answer on one;
* :func:`split_similarity`: how alike the maps of the members that are right
  are, and how alike to those of the members that are wrong (VAC-CNN's L1
  similarity, :func:`~explainer_core.compare.similarity_matrix`);
* :func:`salient_colours` and :func:`green_shares`: a one-number summary of a
  colour intensity histogram, the share of pixels whose strongest channel is
  red, green or blue;
* :func:`method_ranking`: one member's row of the faithfulness table, best
  method first, with the random baselines.

Plain arithmetic on arrays and cards: no Keras.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ExplanationError
from ._checks import check_map, check_same_size, check_threshold
from .similarity import similarity_matrix

__all__ = [
    "CHANNELS",
    "MemberOnClass",
    "MethodRanking",
    "PhotoMisses",
    "SalientColours",
    "class_report",
    "gallery_answers",
    "gallery_positions",
    "green_shares",
    "method_ranking",
    "photo_misses",
    "salient_colours",
    "split_similarity",
    "zoo_misses",
]

CHANNELS = ("red", "green", "blue")
#: The faithfulness table's baselines (``explainer_core.precompute.faithfulness``), not methods.
BASELINES = ("random pixels", "random cells")


@dataclass(frozen=True)
class MemberOnClass:
    """One member's answers on the validation photos of one class."""

    member: str
    correct: int
    pictures: int
    #: (class, count) of the wrong answers, most frequent first (ties by class name).
    misses: tuple[tuple[str, int], ...]

    @property
    def accuracy(self) -> float:
        return self.correct / self.pictures


@dataclass(frozen=True)
class PhotoMisses:
    """One validation photo of the class: its position among the validation photos and who misses it."""

    position: int
    #: member -> the class it answers, for the members that miss the photo (in the members' order).
    missed_by: dict[str, str]


@dataclass(frozen=True)
class SalientColours:
    """The pixels at or above the threshold: their share of the picture and of each strongest channel."""

    area: float
    #: channel name -> share of the kept pixels whose largest value is that channel (ties go to the first).
    dominant: dict[str, float]


@dataclass(frozen=True)
class MethodRanking:
    """One member's faithfulness: the methods ranked by deletion (lower first) and insertion (higher first)."""

    member: str
    deletion: tuple[tuple[str, float], ...]
    insertion: tuple[tuple[str, float], ...]
    #: baseline name -> {"deletion": area, "insertion": area}
    baselines: dict[str, dict[str, float]]


def _card_class(card: Mapping, class_name: str) -> int:
    names = list(card.get("class_names", ()))
    if class_name not in names:
        raise ExplanationError(f"The card of {card.get('name', '?')!r} has no class {class_name!r}.")
    return names.index(class_name)


def class_report(cards: Mapping[str, Mapping], class_name: str) -> tuple[MemberOnClass, ...]:
    """Each member's right answers and misses on ``class_name``, from its card (``{member: card}``, in order)."""
    if not cards:
        raise ExplanationError("The report needs at least one model card.")
    report = []
    for member, card in cards.items():
        row = np.asarray(card["validation"]["confusion"])[_card_class(card, class_name)]
        names = list(card["class_names"])
        true = names.index(class_name)
        misses = sorted(((names[j], int(n)) for j, n in enumerate(row) if j != true and n > 0),
                        key=lambda item: (-item[1], item[0]))
        report.append(MemberOnClass(member, int(row[true]), int(row.sum()), tuple(misses)))
    return tuple(report)


def zoo_misses(report: Sequence[MemberOnClass]) -> tuple[tuple[str, int], ...]:
    """All members' misses on the class added up by wrong answer, most frequent first (ties by name)."""
    totals: dict[str, int] = {}
    for row in report:
        for name, count in row.misses:
            totals[name] = totals.get(name, 0) + count
    return tuple(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def photo_misses(
    probabilities: np.ndarray, labels: np.ndarray, members: Sequence[str], class_names: Sequence[str],
    class_name: str,
) -> tuple[PhotoMisses, ...]:
    """Per validation photo of ``class_name`` (in validation order), the members whose top answer is another class.

    ``probabilities``: (members, photos, classes) softmax outputs; ``labels``: (photos,) class indices.
    """
    values = np.asarray(probabilities)
    labels = np.asarray(labels)
    if values.ndim != 3 or values.shape[0] != len(members) or values.shape[1] != len(labels) \
            or values.shape[2] != len(class_names):
        raise ExplanationError(
            f"probabilities must be (members, photos, classes) = ({len(members)}, {len(labels)}, "
            f"{len(class_names)}), not {values.shape}."
        )
    if class_name not in class_names:
        raise ExplanationError(f"No class {class_name!r}; the classes are {', '.join(class_names)}.")
    target = list(class_names).index(class_name)
    answers = values.argmax(axis=2)
    return tuple(
        PhotoMisses(int(i), {m: class_names[answers[k, i]] for k, m in enumerate(members) if answers[k, i] != target})
        for i in np.flatnonzero(labels == target)
    )


def gallery_positions(labels: np.ndarray, per_class: int = 2) -> np.ndarray:
    """Positions among the validation photos of the gallery (the first ``per_class`` of each class, by class).

    The same rule as ``TinyImageNet.gallery_files``, so the precomputed outputs on the validation photos
    are also the gallery's, without the photos themselves.
    """
    labels = np.asarray(labels)
    return np.concatenate([np.flatnonzero(labels == label)[:per_class] for label in np.unique(labels)])


def gallery_answers(
    probabilities: np.ndarray, position: int, members: Sequence[str], class_names: Sequence[str],
) -> dict[str, tuple[str, float]]:
    """member -> (its top class, that class's probability) on the validation photo at ``position``."""
    values = np.asarray(probabilities, dtype=np.float64)[:, position]
    return {m: (class_names[int(p.argmax())], float(p.max())) for m, p in zip(members, values, strict=True)}


def split_similarity(maps: np.ndarray, right: Sequence[bool], rule: str = "l1") -> tuple[float, float]:
    """Mean similarity of the maps of the right members among themselves, and between right and wrong ones.

    ``maps``: (members, H, W) in [0, 1] (or uint8, divided by 255); ``right``: one flag per member.
    Similarities are VAC-CNN's, in [-1, 1] over all the members' pairs. NaN where a group has too few members.
    """
    values = np.asarray(maps)
    if values.dtype == np.uint8:
        values = values / 255.0
    flags = np.asarray(right, dtype=bool)
    if flags.shape != (len(values),):
        raise ExplanationError(f"One flag per map is needed: {len(values)} maps, {flags.shape} flags.")
    sim = similarity_matrix(values, rule)
    good, bad = np.flatnonzero(flags), np.flatnonzero(~flags)
    within = sim[np.ix_(good, good)][np.triu_indices(len(good), 1)]
    across = sim[np.ix_(good, bad)].ravel()
    return (float(within.mean()) if within.size else float("nan"),
            float(across.mean()) if across.size else float("nan"))


def _dominant(pixels: np.ndarray) -> dict[str, float]:
    counts = np.bincount(pixels.argmax(axis=-1).ravel(), minlength=3)
    total = counts.sum()
    return {name: float(counts[i] / total) if total else float("nan") for i, name in enumerate(CHANNELS)}


def salient_colours(picture: np.ndarray, explanation_map: np.ndarray, threshold: float = 0.5) -> SalientColours:
    """The share of the picture at or above ``threshold`` and, of those pixels, the share per strongest channel.

    The same pixels as :func:`~explainer_core.compare.salient_histograms` counts; the three shares say in
    one number each what its three histograms show (where the red, green or blue mass lies).
    """
    pixels = np.asarray(picture)
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ExplanationError(f"The picture must be 8-bit RGB (H, W, 3), not {pixels.dtype} {pixels.shape}.")
    values = check_map(explanation_map)
    check_same_size(pixels, values)
    kept = pixels[values >= check_threshold(threshold)]
    return SalientColours(float(len(kept) / values.size), _dominant(kept))


def green_shares(pictures: np.ndarray) -> np.ndarray:
    """Per picture ((N, H, W, 3) uint8), the share of its pixels whose strongest channel is green."""
    pixels = np.asarray(pictures)
    if pixels.ndim != 4 or pixels.shape[-1] != 3:
        raise ExplanationError(f"Pictures must be (N, H, W, 3), not {pixels.shape}.")
    return (pixels.argmax(axis=-1) == 1).mean(axis=(1, 2))


def method_ranking(table: Mapping[str, Mapping[str, Mapping[str, float]]], member: str) -> MethodRanking:
    """``member``'s row of the faithfulness table (``index["faithfulness"]["table"]``), best method first."""
    if member not in table:
        raise ExplanationError(f"The faithfulness table has no member {member!r}.")
    row = table[member]
    methods = [name for name in row if name not in BASELINES]
    return MethodRanking(
        member=member,
        deletion=tuple(sorted(((m, float(row[m]["deletion"])) for m in methods), key=lambda item: (item[1], item[0]))),
        insertion=tuple(sorted(((m, float(row[m]["insertion"])) for m in methods),
                               key=lambda item: (-item[1], item[0]))),
        baselines={b: {k: float(v) for k, v in row[b].items()} for b in BASELINES if b in row},
    )
