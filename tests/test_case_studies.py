"""The case studies' measures (explainer_core/compare/cases.py) and figures (views/case_figures).

Two kinds of test: the measures on small hand-made inputs whose answer is known,
and the measures on the zoo's real cards and precomputed arrays, checked against
each other (a card's confusion matrix and the softmax outputs must tell the same
story) and against what book/16_case_studies.md says.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from explainer_core.compare import (
    accuracy_overview,
    class_report,
    disagreement,
    method_ranking,
    photo_misses,
    salient_colours,
    salient_histograms,
    similarity_matrix,
    split_similarity,
    zoo_misses,
)
from explainer_core.compare.cases import gallery_answers, gallery_positions, green_shares
from explainer_core.errors import ExplanationError
from explainer_core.views.case_figures import answer_rows, class_answers, colour_histograms, photo_misses_chart

NAMES = ["cat", "dog", "fox"]


def card(name: str, confusion) -> dict:
    return {"name": name, "class_names": NAMES, "validation": {"confusion": confusion}}


@pytest.fixture
def cards():
    return {
        "a": card("a", [[4, 1, 0], [0, 5, 0], [0, 0, 5]]),
        "b": card("b", [[3, 1, 1], [0, 5, 0], [1, 0, 4]]),
        "c": card("c", [[5, 0, 0], [0, 5, 0], [0, 0, 5]]),
    }


# -- the measures on known inputs ---------------------------------------------------------------
def test_class_report_reads_the_confusion_row(cards):
    report = class_report(cards, "cat")
    assert [row.member for row in report] == ["a", "b", "c"]
    assert [(row.correct, row.pictures) for row in report] == [(4, 5), (3, 5), (5, 5)]
    assert report[1].misses == (("dog", 1), ("fox", 1))  # ties by name
    assert report[2].misses == () and report[2].accuracy == 1.0
    assert zoo_misses(report) == (("dog", 2), ("fox", 1))
    with pytest.raises(ExplanationError, match="no class 'owl'"):
        class_report(cards, "owl")


def test_photo_misses_names_who_misses_what():
    # 2 members, 4 photos (labels 0, 0, 1, 0), 3 classes
    probabilities = np.zeros((2, 4, 3))
    probabilities[0, [0, 1, 2, 3], [0, 1, 1, 0]] = 1  # member x: right, dog, right, right
    probabilities[1, [0, 1, 2, 3], [2, 1, 1, 0]] = 1  # member y: fox, dog, right, right
    misses = photo_misses(probabilities, np.array([0, 0, 1, 0]), ["x", "y"], NAMES, "cat")
    assert [p.position for p in misses] == [0, 1, 3]
    assert [p.missed_by for p in misses] == [{"y": "fox"}, {"x": "dog", "y": "dog"}, {}]
    with pytest.raises(ExplanationError, match="members, photos, classes"):
        photo_misses(probabilities[:1], np.array([0, 0, 1, 0]), ["x", "y"], NAMES, "cat")


def test_gallery_positions_are_the_first_of_each_class_in_class_order():
    labels = np.array([1, 0, 1, 2, 0, 1, 2, 0])
    assert gallery_positions(labels).tolist() == [1, 4, 0, 2, 3, 6]
    probabilities = np.array([[[0.1, 0.7, 0.2]] * 8, [[0.6, 0.3, 0.1]] * 8])
    assert gallery_answers(probabilities, 2, ["x", "y"], NAMES) == {"x": ("dog", 0.7), "y": ("cat", 0.6)}


def test_split_similarity_separates_the_groups():
    base = np.zeros((8, 8))
    left, right = base.copy(), base.copy()
    left[:, :4], right[:, 4:] = 1.0, 1.0
    maps = np.stack([left, left * 0.9, right])
    within, across = split_similarity(maps, [True, True, False])
    sim = similarity_matrix(maps)
    assert within == pytest.approx(sim[0, 1]) and across == pytest.approx((sim[0, 2] + sim[1, 2]) / 2)
    assert within > across
    assert np.isnan(split_similarity(maps, [True, True, True])[1])
    # uint8 maps as precompute stores them are the same maps
    assert split_similarity(np.round(maps * 255).astype(np.uint8), [True, True, False]) == \
        pytest.approx((within, across), abs=1e-2)
    with pytest.raises(ExplanationError, match="One flag per map"):
        split_similarity(maps, [True])


def test_salient_colours_counts_the_histograms_pixels():
    picture = np.zeros((4, 4, 3), dtype=np.uint8)
    picture[:2, :, 1] = 200  # top half green
    picture[2:, :, 0] = 200  # bottom half red
    attention = np.zeros((4, 4))
    attention[1:3] = 0.8  # rows 1 and 2: one green row, one red row
    colours = salient_colours(picture, attention, 0.5)
    assert colours.area == 0.5
    assert colours.dominant == {"red": 0.5, "green": 0.5, "blue": 0.0}
    assert salient_histograms(picture, attention, 0.5)[1, 200] == 4  # the same four green pixels
    assert np.isnan(salient_colours(picture, np.zeros((4, 4)), 0.5).dominant["green"])
    assert green_shares(picture[None]).tolist() == [0.5]
    with pytest.raises(ExplanationError, match="8-bit RGB"):
        salient_colours(picture.astype(float), attention)


def test_method_ranking_orders_by_each_measure():
    table = {"m": {"x": {"deletion": 0.3, "insertion": 0.6}, "y": {"deletion": 0.2, "insertion": 0.5},
                   "random pixels": {"deletion": 0.25, "insertion": 0.4}}}
    ranking = method_ranking(table, "m")
    assert ranking.deletion == (("y", 0.2), ("x", 0.3))
    assert ranking.insertion == (("x", 0.6), ("y", 0.5))
    assert ranking.baselines == {"random pixels": {"deletion": 0.25, "insertion": 0.4}}
    with pytest.raises(ExplanationError, match="no member"):
        method_ranking(table, "n")


# -- the figures ---------------------------------------------------------------------------------
def test_class_answers_bars_add_up_and_say_their_numbers(cards):
    report = class_report(cards, "cat")
    segments, columns = answer_rows(report, highlight=1)
    assert segments == ["right", "dog", "other"]
    assert columns["member"] == ["c", "a", "b"]  # best first
    totals = np.sum([columns[s] for s in segments], axis=0)
    np.testing.assert_allclose(totals, 1.0)
    assert columns["other"] == [0.0, 0.0, 0.2]
    label = class_answers(report, "cat").html_attributes["aria-label"]
    assert "c: 5 of 5 right; wrong answers: none" in label and "b: 3 of 5 right" in label


def test_photo_misses_chart_ranks_the_photos(cards):
    probabilities = np.zeros((2, 4, 3))
    probabilities[0, [0, 1, 2, 3], [0, 1, 1, 0]] = 1
    probabilities[1, [0, 1, 2, 3], [2, 1, 1, 0]] = 1
    misses = photo_misses(probabilities, np.array([0, 0, 1, 0]), ["x", "y"], NAMES, "cat")
    plot = photo_misses_chart(misses, 2, "cat")
    data = plot.select_one({"name": "photo_misses:source"}).data
    assert data["count"] == [2, 1, 0] and data["position"] == [1, 0, 3]
    label = plot.html_attributes["aria-label"]
    assert "1 photo missed by more than half" in label and "1 photo by exactly one" in label


def test_colour_histograms_draw_shares_and_refuse_bad_counts():
    counts = np.zeros((3, 256))
    counts[:, 10] = 3
    counts[:, 250] = 1
    layout = colour_histograms({"region": counts})
    panel = layout.children[0]
    assert "4 pixels kept" in panel.html_attributes["aria-label"]
    line = panel.renderers[0].data_source.data["y"]
    assert sum(line) == pytest.approx(1.0)
    with pytest.raises(ExplanationError, match=r"\(3, 256\)"):
        colour_histograms({"bad": np.zeros((3, 10))})


# -- the zoo: cards, arrays and the chapter's claims ---------------------------------------------
@pytest.fixture(scope="module")
def zoo():
    from explainer_core.models.loading import card_path
    from explainer_core.models.zoo import ZOO
    from explainer_core.precompute import load

    index, arrays = load()  # committed with the book: a missing file fails with how to make it
    cards = {name: json.loads(card_path(ZOO[name].path).read_text()) for name in index["members"]}
    return index, arrays, cards


def test_the_cards_and_the_softmax_outputs_tell_the_same_misses(zoo):
    index, arrays, cards = zoo
    for name in index["class_names"]:
        report = class_report(cards, name)
        misses = photo_misses(arrays["val_probabilities"], arrays["val_labels"], index["members"],
                              index["class_names"], name)
        for row in report:
            answers = [p.missed_by[row.member] for p in misses if row.member in p.missed_by]
            assert row.pictures == len(misses)
            assert row.pictures - row.correct == len(answers), (name, row.member)
            assert dict(row.misses) == {a: answers.count(a) for a in set(answers)}


def test_the_gallery_positions_are_the_gallery_photos(zoo):
    index, arrays, _ = zoo
    positions = gallery_positions(arrays["val_labels"])
    assert len(positions) == len(index["photos"])
    labels = [index["class_names"][arrays["val_labels"][p]] for p in positions]
    assert labels == [photo["label"] for photo in index["photos"]]


def test_case_one_claims(zoo):
    """What the chapter's first case says of the zoo's widest class, recomputed."""
    index, arrays, cards = zoo
    members = index["members"]
    overview = accuracy_overview(list(cards.values()))
    case = disagreement(overview).disagree[0]
    report = class_report(cards, case.class_name)
    by_member = {row.member: row for row in report}
    # the class report agrees with the overview the previous chapter uses
    for row, name in zip(overview, members, strict=True):
        assert by_member[name].accuracy == pytest.approx(row.per_class[case.class_name])
    assert max(r.accuracy for r in report) - min(r.accuracy for r in report) == pytest.approx(case.spread)
    misses = photo_misses(arrays["val_probabilities"], arrays["val_labels"], members, index["class_names"],
                          case.class_name)
    total = sum(n for _, n in zoo_misses(report))
    assert total == sum(len(p.missed_by) for p in misses) == sum(r.pictures - r.correct for r in report)


def test_split_similarity_matches_the_gallery_maps(zoo):
    index, arrays, _ = zoo
    maps = arrays["maps"]
    k = 0
    positions = gallery_positions(arrays["val_labels"])
    answers = gallery_answers(arrays["val_probabilities"].astype(np.float64), int(positions[k]), index["members"],
                              index["class_names"])
    right = [answers[m][0] == index["photos"][k]["label"] for m in index["members"]]
    within, across = split_similarity(maps[:, 0, k], right)
    sim = similarity_matrix(maps[:, 0, k] / 255.0)
    good = [i for i, r in enumerate(right) if r]
    assert within == pytest.approx(np.mean([sim[i, j] for i in good for j in good if i < j]))
    assert np.isnan(across) == all(right)


def test_method_ranking_reads_the_faithfulness_table(zoo):
    index, _, _ = zoo
    table = index["faithfulness"]["table"]
    for member in index["members"]:
        ranking = method_ranking(table, member)
        assert {m for m, _ in ranking.deletion} == set(index["methods"])
        assert [v for _, v in ranking.deletion] == sorted(table[member][m]["deletion"] for m in index["methods"])
        assert set(ranking.baselines) == {"random pixels", "random cells"}


def test_salient_colours_on_a_gallery_photo_agree_with_its_histograms(zoo):
    """The chapter's colour numbers on a real photo and map: the histograms' pixels, counted by strongest channel."""
    from explainer_core.data.preprocess import prepare_image
    from explainer_core.data.tiny_imagenet import TinyImageNet
    from explainer_core.errors import DatasetError
    from explainer_core.precompute import sha256

    index, arrays, _ = zoo
    try:
        raw = TinyImageNet().read_bytes(index["photos"][0]["file"])
    except DatasetError:
        pytest.skip("the Tiny ImageNet data set is not here (set CNN_EXPLAINER_DATA)")
    assert sha256(raw) == index["photos"][0]["sha256"]
    photo = np.round(prepare_image(raw) * 255).astype(np.uint8)
    explanation = arrays["maps"][0, 0, 0] / 255.0
    colours = salient_colours(photo, explanation, 0.5)
    counts = salient_histograms(photo, explanation, 0.5)
    kept = photo[explanation >= 0.5]
    assert colours.area * explanation.size == counts[0].sum() == len(kept)
    assert colours.dominant["green"] == pytest.approx(np.mean(kept.argmax(axis=1) == 1))
    assert sum(colours.dominant.values()) == pytest.approx(1.0)
