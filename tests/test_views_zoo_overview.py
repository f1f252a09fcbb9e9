"""The zoo overview (explainer_core/views/zoo_overview) shows the engine's numbers and nothing else.

Every accuracy, cost, rank and text in every source of the view is checked against
``explainer_core.compare.accuracy_overview`` and ``disagreement`` on the same cards: the
shipped cards (the book's Tiny VGG and every zoo member trained so far) and made-up cards
with ties and families enough to exercise the ranking and the styles.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from bokeh.models import ColumnDataSource, Plot, Select

from explainer_core.compare import GROUPS, accuracy_overview, disagreement
from explainer_core.data.tiny_imagenet import PAPER_CLASS_NAMES
from explainer_core.errors import ExplanationError
from explainer_core.views.kit import FAMILY
from explainer_core.views.zoo_overview import (
    DASHES,
    FADED,
    MARKERS,
    overview_columns,
    radar_floor,
    shown_columns,
    zoo_overview,
)

MODEL_DIR = Path(__file__).parents[1] / "model"
NAMES = list(PAPER_CLASS_NAMES)
SOURCES = {
    "models": "models", "groups": "groups", "pin": "pin", "marks": "marks", "class_bars": "class_bars",
    "group_bars": "group_bars", "disagree_bars": "disagree", "agree_bars": "agree",
}


def shipped_cards() -> list[dict]:
    """The book's Tiny VGG card, then every zoo card on disk."""
    paths = [MODEL_DIR / "tiny_vgg.card.json", *sorted((MODEL_DIR / "zoo").glob("*.card.json"))]
    return [json.loads(path.read_text()) for path in paths]


def made_card(name: str, family: str, correct: list[int], macs: int) -> dict:
    """A card as train.py writes it: 25 pictures per class, ``correct[i]`` right, the rest taken for the next class."""
    confusion = np.zeros((10, 10), dtype=int)
    for i, right in enumerate(correct):
        confusion[i, i] = right
        confusion[i, (i + 1) % 10] = 25 - right
    return {"name": name, "family": family, "parameters": macs // 100, "multiply_adds": macs, "class_names": NAMES,
            "validation": {"confusion": confusion.tolist()}}


#: Nine families (one more than the palette) are refused; these eight, with ties within and across models, are not.
MADE = [
    made_card("a", "A", [20, 20, 20, 20, 20, 20, 20, 20, 20, 20], 1_000_000),
    made_card("b", "B", [25, 10, 15, 20, 25, 5, 25, 20, 18, 22], 3_000_000),
    made_card("c", "A", [5, 10, 15, 20, 25, 5, 10, 15, 20, 25], 2_000_000),
    made_card("d", "C", [24, 24, 24, 24, 24, 24, 24, 24, 24, 24], 90_000_000),
    made_card("e", "D", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 500_000),
    made_card("f", "E", [25, 25, 25, 25, 25, 25, 25, 25, 25, 0], 4_000_000),
    made_card("g", "F", [12, 13, 12, 13, 12, 13, 12, 13, 12, 13], 5_000_000),
    made_card("h", "G", [0, 25, 0, 25, 0, 25, 0, 25, 0, 25], 6_000_000),
    made_card("i", "H", [9, 9, 9, 9, 9, 9, 9, 9, 9, 9], 7_000_000),
    made_card("j", "A", [19, 21, 19, 21, 19, 21, 19, 21, 19, 21], 8_000_000),
]


@pytest.fixture(params=["shipped", "made"])
def cards(request) -> list[dict]:
    return shipped_cards() if request.param == "shipped" else MADE


def percent_of(text: str) -> float:
    """The accuracy a text like "85.6 %" says, as a fraction."""
    match = re.fullmatch(r"(\d+\.\d) %", text)
    assert match, text
    return float(match.group(1)) / 100


def assert_written(text: str, value: float) -> None:
    """``text`` writes ``value`` as a percentage to one decimal."""
    assert abs(percent_of(text) - value) <= 0.0005 + 1e-12, (text, value)


def ranked(pairs: dict[str, float]) -> list[str]:
    """Highest first, ties by name: the engine's rule for the disagreement ranking."""
    return sorted(pairs, key=lambda name: (-pairs[name], name))


# -- every number against the engine ------------------------------------------------------
def test_every_models_numbers_are_the_engines(cards):
    rows = accuracy_overview(cards)
    spread = disagreement(rows)
    models = overview_columns(cards)["models"]
    assert models["name"] == [row.name for row in rows]
    for i, row in enumerate(rows):
        assert (models["family"][i], models["top1"][i], models["macs"][i], models["params"][i]) == (
            row.family, row.top1, row.multiply_adds, row.parameters)
        assert_written(models["top1_text"][i], row.top1)
        assert models["macs_text"][i] == f"{row.multiply_adds / 1e6:.1f} million"
        assert int(models["params_text"][i].replace(",", "")) == row.parameters
        order = models["class_order"][i]
        assert order == ranked(row.per_class) and sorted(order) == sorted(NAMES)
        assert models["class_values"][i] == [row.per_class[c] for c in order]
        for text, value in zip(models["class_texts"][i], models["class_values"][i], strict=True):
            assert_written(text, value)
        assert models["class_groups"][i] == [next(g for g, m in GROUPS.items() if c in m) for c in order]
        assert [list(GROUPS)[k] for k in models["class_group_index"][i]] == models["class_groups"][i]
        assert models["disagree_marks"][i] == [row.per_class[s.class_name] for s in spread.disagree]
        assert models["agree_marks"][i] == [row.per_class[s.class_name] for s in spread.agree]
        said = dict(re.findall(r"([a-z ]+) (\d+\.\d %)", models["groups_text"][i].replace(", ", ",")))
        assert said.keys() == GROUPS.keys()
        for group, text in said.items():
            assert_written(text, row.per_group[group])


def test_the_radar_puts_each_group_accuracy_on_its_spoke(cards):
    rows = accuracy_overview(cards)
    columns = overview_columns(cards)
    floor = columns["floor"]
    assert floor == radar_floor(rows) <= 0.5
    assert floor <= min(v for row in rows for v in row.per_group.values())
    for i, row in enumerate(rows):
        xs, ys = columns["models"]["radar_x"][i], columns["models"]["radar_y"][i]
        assert (xs[0], ys[0]) == (xs[-1], ys[-1]) and len(xs) == len(GROUPS) + 1  # a closed line
        for k, group in enumerate(GROUPS):
            angle = math.atan2(xs[k], ys[k]) % (2 * math.pi) if (xs[k], ys[k]) != (0, 0) else 2 * math.pi * k / 4
            assert angle == pytest.approx(2 * math.pi * k / len(GROUPS), abs=1e-9)  # clockwise from the top
            radius = math.hypot(xs[k], ys[k])
            assert floor + radius * (1 - floor) == pytest.approx(row.per_group[group], abs=1e-12)
    spokes = columns["groups"]
    radii = [math.hypot(x, y) for x, y in zip(spokes["x"], spokes["y"], strict=True)]
    assert radii == pytest.approx([1.0] * len(GROUPS))


def test_every_groups_ranking_is_the_engines(cards):
    rows = accuracy_overview(cards)
    groups = overview_columns(cards)["groups"]
    assert groups["name"] == list(GROUPS)
    for g, (group, members) in enumerate(GROUPS.items()):
        assert groups["classes"][g] == ", ".join(members)
        accuracy = {row.name: row.per_group[group] for row in rows}
        assert groups["model_order"][g] == ranked(accuracy)
        assert [rows[i].name for i in groups["model_index"][g]] == groups["model_order"][g]
        assert groups["model_values"][g] == [accuracy[name] for name in groups["model_order"][g]]
        for text, value in zip(groups["model_texts"][g], groups["model_values"][g], strict=True):
            assert_written(text, value)
        for m, row in enumerate(rows):
            status = groups["status"][g][m]
            place = groups["model_order"][g].index(row.name) + 1
            numbers = re.findall(r"\d+\.\d %", status)
            assert len(numbers) == 2
            assert_written(numbers[0], row.top1)
            assert_written(numbers[1], row.per_group[group])
            assert f"{row.multiply_adds / 1e6:.1f} million" in status and f" of {len(rows)} models" in status
            assert re.search(rf"\b{place}(st|nd|rd|th) of", status)
            assert f"Group: {group} ({', '.join(members)})" in status


def test_the_supplemental_bars_are_the_disagreement(cards):
    spread = disagreement(accuracy_overview(cards))
    columns = overview_columns(cards)
    for kind, classes in (("disagree", spread.disagree), ("agree", spread.agree)):
        bars = columns[kind]
        assert bars["class_name"] == [s.class_name for s in classes]
        assert bars["low"] == [s.lowest[1] for s in classes] and bars["high"] == [s.highest[1] for s in classes]
        assert bars["spread"] == [s.spread for s in classes] and bars["mean"] == [s.mean for s in classes]
        for k, s in enumerate(classes):
            assert bars["spread_text"][k] == f"{100 * s.spread:.1f} points"
            assert_written(bars["mean_text"][k], s.mean)
            name, text = bars["lowest"][k].rsplit(" ", 2)[0], " ".join(bars["lowest"][k].rsplit(" ", 2)[1:])
            assert name == s.lowest[0]
            assert_written(text, s.lowest[1])
            name, text = bars["highest"][k].rsplit(" ", 2)[0], " ".join(bars["highest"][k].rsplit(" ", 2)[1:])
            assert name == s.highest[0]
            assert_written(text, s.highest[1])
            assert list(GROUPS)[bars["group_index"][k]] == next(g for g, m in GROUPS.items() if s.class_name in m)


def test_what_shows_for_each_pin_is_the_pinned_rows(cards):
    rows = accuracy_overview(cards)
    columns = overview_columns(cards)
    models = columns["models"]
    for m, row in enumerate(rows):
        for g, group in enumerate(GROUPS):
            shown = shown_columns(columns, m, g)
            bars = shown["class_bars"]
            assert bars["class_name"] == ranked(row.per_class)
            assert bars["value"] == [row.per_class[c] for c in bars["class_name"]]
            assert bars["alpha"] == [1.0 if c in GROUPS[group] else FADED for c in bars["class_name"]]
            assert set(bars["colour"]) == {models["colour"][m]}
            model_bars = shown["group_bars"]
            assert model_bars["value"] == sorted((r.per_group[group] for r in rows), reverse=True)
            assert model_bars["outline"] == [float(name == row.name) for name in model_bars["model"]]
            assert (shown["marks"]["x"], shown["marks"]["y"]) == ([row.multiply_adds], [row.top1])
            assert shown["disagree"]["mark"] == [row.per_class[c] for c in columns["disagree"]["class_name"]]
            assert shown["agree"]["mark"] == [row.per_class[c] for c in columns["agree"]["class_name"]]
            assert shown["status"] == columns["groups"]["status"][g][m]
            assert row.name in shown["class_title"] and group in shown["group_title"]


# -- the view draws them --------------------------------------------------------------------
def test_the_view_draws_exactly_these_columns(cards):
    columns = overview_columns(cards, pinned=accuracy_overview(cards)[-1].name, group="food")
    layout = zoo_overview(cards, pinned=columns["models"]["name"][-1], group="food")
    sources = {m.name.split(":")[1]: m for m in layout.references() if isinstance(m, ColumnDataSource) and m.name}
    assert set(sources) == set(SOURCES)
    for name, column in SOURCES.items():
        assert sources[name].data == columns[column], name
    assert columns["pin"] == {"model": [len(cards) - 1], "group": [list(GROUPS).index("food")]}
    named = {m.name: m for m in layout.references() if getattr(m, "name", None)}
    assert named["zoo:status"].text == columns["status"]
    assert named["zoo:classes"].title.text == columns["class_title"]
    assert named["zoo:group"].title.text == columns["group_title"]
    assert list(named["zoo:classes"].y_range.factors) == columns["class_bars"]["class_name"][::-1]
    assert list(named["zoo:group"].y_range.factors) == columns["group_bars"]["model"][::-1]
    menus = [m for m in layout.references() if isinstance(m, Select)]
    assert sorted(m.title for m in menus) == ["Pinned group of classes", "Pinned model"]
    assert named["zoo:model_menu"].value == str(len(cards) - 1) and named["zoo:group_menu"].value == "2"
    assert [label for _, label in named["zoo:model_menu"].options] == [
        f"{n} ({f})" for n, f in zip(columns["models"]["name"], columns["models"]["family"], strict=True)]


def test_scatter_and_radar_share_one_source_so_selections_link(cards):
    layout = zoo_overview(cards)
    named = {m.name: m for m in layout.references() if getattr(m, "name", None)}
    points = [m for m in named["zoo:scatter"].renderers if m.name == "zoo:points"]
    families = list(dict.fromkeys(row.family for row in accuracy_overview(cards)))
    assert [list(p.view.filter.indices) for p in points] == [
        [i for i, row in enumerate(accuracy_overview(cards)) if row.family == f] for f in families]
    legend = named["zoo:legend"]
    lines = [item.renderers[0] for item in legend.items]
    assert len(lines) == len(cards) and all(line.name == "zoo:line" for line in lines)
    assert all(r.data_source is named["zoo:models"] for r in [*points, *lines])
    assert [list(line.view.filter.indices) for line in lines] == [[i] for i in range(len(cards))]
    assert legend.click_policy == "hide"
    assert [item.label.value for item in legend.items] == [row.name for row in accuracy_overview(cards)]
    assert all(len(item.renderers) == 1 for item in legend.items)
    (describe,) = [t for t in layout.tags if "lines" in t.args]
    assert describe.args["lines"] == lines  # the text alternatives read line i as model i
    boxes = named["zoo:lines"]  # the keyboard's legend: one checkbox per line, all ticked
    assert boxes.labels == [row.name for row in accuracy_overview(cards)]
    assert boxes.active == list(range(len(cards)))
    (sync,) = boxes.js_property_callbacks["change:active"]
    assert sync.args["lines"] == lines and all(sync in line.js_property_callbacks["change:visible"] for line in lines)


def test_every_figure_is_an_image_with_a_name_and_every_family_its_colour_and_shape(cards):
    layout = zoo_overview(cards)
    plots = [m for m in layout.references() if isinstance(m, Plot)]
    assert sorted(p.name for p in plots) == sorted(f"zoo:{n}" for n in ("scatter", "radar", "classes", "group",
                                                                          "disagree", "agree"))
    assert all(p.html_attributes["role"] == "img" and p.html_attributes["aria-label"] for p in plots)
    models = overview_columns(cards)["models"]
    families = list(dict.fromkeys(models["family"]))
    for i, family in enumerate(models["family"]):
        assert models["colour"][i] == FAMILY[families.index(family)]
        assert models["marker"][i] == MARKERS[families.index(family)]
    dashes = overview_columns(cards)["dashes"]
    for family in families:
        members = [dashes[i] for i, f in enumerate(models["family"]) if f == family]
        assert members == list(DASHES[: len(members)])  # members of a family differ by dash


def test_the_palette_is_colour_blind_safe_and_visible_on_white():
    from bokeh.palettes import Colorblind8

    assert len(set(FAMILY)) == len(FAMILY) == len(MARKERS) == 8
    assert set(FAMILY) - set(Colorblind8) == {"#808080"} and "#F0E442" not in FAMILY  # Okabe-Ito less its yellow


def test_bad_requests_are_refused_in_plain_words():
    with pytest.raises(ExplanationError, match="No card of a model called 'nope'"):
        overview_columns(MADE, pinned="nope")
    with pytest.raises(ExplanationError, match="No group of classes called 'toys'"):
        overview_columns(MADE, group="toys")
    with pytest.raises(ExplanationError, match="same model name"):
        overview_columns([MADE[0], MADE[0]])
    ninth = made_card("k", "I", [20] * 10, 9_000_000)
    with pytest.raises(ExplanationError, match="at most 8 families .* the cards have 9: A, B, C"):
        overview_columns([*MADE, ninth])
    with pytest.raises(ExplanationError, match="at least one model card"):
        zoo_overview([])
