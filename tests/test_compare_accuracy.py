"""The accuracy overview from model cards, per class and per group, and where the models disagree."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from explainer_core.compare import GROUPS, accuracy_overview, disagreement
from explainer_core.data.tiny_imagenet import PAPER_CLASS_NAMES
from explainer_core.errors import ExplanationError

SHIPPED_CARD = Path(__file__).parents[1] / "model" / "tiny_vgg.card.json"
NAMES = list(PAPER_CLASS_NAMES)  # lifeboat, ladybug, pizza, bell pepper, school bus, koala, espresso, red panda, ...


def fake_card(name: str, correct: list[int], totals: list[int]) -> dict:
    """A card as train.py writes it: class i has ``totals[i]`` pictures, ``correct[i]`` of them right, the rest
    taken for the next class."""
    confusion = np.zeros((10, 10), dtype=int)
    for i, (right, total) in enumerate(zip(correct, totals, strict=True)):
        confusion[i, i] = right
        confusion[i, (i + 1) % 10] = total - right
    return {
        "name": name,
        "family": "test",
        "parameters": 1000,
        "multiply_adds": 5000,
        "class_names": NAMES,
        "validation": {"top1": None, "per_class": None, "confusion": confusion.tolist()},
    }


#            lifeboat ladybug pizza pepper bus koala espresso panda orange car
A_CORRECT = [20, 25, 10, 14, 24, 5, 25, 20, 18, 22]
A_TOTALS = [25, 25, 25, 25, 25, 10, 25, 25, 25, 25]  # only 10 koalas: a group is not a mean of its classes
B_CORRECT = [25, 25, 0, 25, 25, 25, 25, 25, 25, 25]
CARDS = [fake_card("A", A_CORRECT, A_TOTALS), fake_card("B", B_CORRECT, [25] * 10)]


def test_groups_cover_each_class_of_the_book_once():
    members = [name for group in GROUPS.values() for name in group]
    assert sorted(members) == sorted(PAPER_CLASS_NAMES)
    assert list(GROUPS) == ["animals", "vehicles", "food", "fruit and vegetables"]
    assert set(json.loads(SHIPPED_CARD.read_text())["class_names"]) == set(members)


def test_overview_by_hand_from_the_confusion_matrix():
    a, b = accuracy_overview(CARDS)
    assert (a.name, a.family, a.parameters, a.multiply_adds) == ("A", "test", 1000, 5000)
    assert a.top1 == pytest.approx(183 / 235)
    assert a.per_class["koala"] == pytest.approx(0.5)
    assert a.per_class["pizza"] == pytest.approx(0.4)
    assert a.per_group == pytest.approx(
        {
            "animals": (25 + 5 + 20) / (25 + 10 + 25),  # 0.833, while the mean of 1.0, 0.5, 0.8 would be 0.767
            "vehicles": (20 + 24 + 22) / 75,
            "food": (10 + 25) / 50,
            "fruit and vegetables": (14 + 18) / 50,
        }
    )
    assert b.top1 == pytest.approx(225 / 250)
    assert b.per_group["food"] == pytest.approx(0.5)


def test_class_order_of_the_card_does_not_matter():
    shuffled = copy.deepcopy(CARDS[0])
    order = np.random.default_rng(0).permutation(10)
    shuffled["class_names"] = [NAMES[i] for i in order]
    shuffled["validation"]["confusion"] = np.asarray(CARDS[0]["validation"]["confusion"])[np.ix_(order, order)].tolist()
    (original,) = accuracy_overview(CARDS[:1])
    (reordered,) = accuracy_overview([shuffled])
    assert reordered.per_class == pytest.approx(original.per_class)
    assert reordered.per_group == pytest.approx(original.per_group)


def test_disagreement_ranks_by_range_and_agreement_by_mean():
    ranked = disagreement(accuracy_overview(CARDS))
    # ranges: koala .5, bell pepper .44, pizza .4, orange .28, lifeboat = red panda .2 (by name), ...
    assert [s.class_name for s in ranked.disagree[:6]] == [
        "koala",
        "bell pepper",
        "pizza",
        "orange",
        "lifeboat",
        "red panda",
    ]
    koala = ranked.disagree[0]
    assert koala.spread == pytest.approx(0.5)
    assert koala.mean == pytest.approx(0.75)
    assert koala.lowest == ("A", pytest.approx(0.5)) and koala.highest == ("B", pytest.approx(1.0))
    # means: espresso = ladybug 1.0 (by name), school bus .98, sport car .94; pizza .2 last
    assert [s.class_name for s in ranked.agree[:4]] == ["espresso", "ladybug", "school bus", "sport car"]
    assert ranked.agree[-1].class_name == "pizza"


def test_one_model_has_no_disagreement():
    ranked = disagreement(accuracy_overview(CARDS[:1]))
    assert all(s.spread == 0 for s in ranked.disagree)


def test_bad_cards_are_refused_in_plain_words():
    old = {key: value for key, value in CARDS[0].items() if key not in ("family", "multiply_adds")}
    with pytest.raises(ExplanationError, match="lacks family, multiply_adds"):
        accuracy_overview([old])
    renamed = copy.deepcopy(CARDS[0])
    renamed["class_names"] = [n.replace("sport car", "sports car") for n in NAMES]
    with pytest.raises(ExplanationError, match="no class sport car"):
        accuracy_overview([renamed])
    empty = fake_card("C", A_CORRECT[:5] + [0] + A_CORRECT[6:], A_TOTALS[:5] + [0] + A_TOTALS[6:])
    with pytest.raises(ExplanationError, match="no validation pictures of koala"):
        accuracy_overview([empty])
    wrong_shape = copy.deepcopy(CARDS[0])
    wrong_shape["validation"]["confusion"] = [[1, 2], [3, 4]]
    with pytest.raises(ExplanationError, match="10x10"):
        accuracy_overview([wrong_shape])
    with pytest.raises(ExplanationError, match="at least one model card"):
        accuracy_overview([])
    with pytest.raises(ExplanationError, match="not str"):
        accuracy_overview(["model/zoo/tiny_vgg.card.json"])


def test_accuracies_from_the_confusion_matrix_agree_with_the_shipped_cards_own():
    card = json.loads(SHIPPED_CARD.read_text())
    card = {"family": "Tiny VGG", "parameters": 19920, "multiply_adds": 0} | card  # older cards lack these
    (row,) = accuracy_overview([card])
    assert row.top1 == pytest.approx(card["validation"]["top1"])
    assert list(row.per_class.values()) == pytest.approx(card["validation"]["per_class"])


def test_models_with_different_classes_cannot_be_compared_class_by_class():
    (row,) = accuracy_overview(CARDS[:1])
    other = dataclasses.replace(row, name="lemon model", per_class={"lemon": 1.0})
    with pytest.raises(ExplanationError, match="same classes"):
        disagreement([row, other])
