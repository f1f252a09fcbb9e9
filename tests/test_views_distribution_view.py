"""The distribution view (explainer_core/views/distribution_view) shows the engine's numbers and nothing else.

Every position on both maps, for every model, is checked against
``explainer_core.compare.class_distances``, ``project_classes`` and ``project_images``
run here on the same softmax outputs: the precomputed outputs of the zoo on the 250
validation pictures, and a small made-up set. Accuracies, nearest classes and
predictions are checked against plain numpy written here.
"""

from __future__ import annotations

import numpy as np
import pytest
from bokeh.models import CheckboxGroup, ColumnDataSource, Plot, Select

from explainer_core.compare import GROUPS, class_distances, project_classes, project_images
from explainer_core.errors import ExplanationError
from explainer_core.precompute import load
from explainer_core.views.distribution_view import (
    CLASS_COLOURS,
    MARKERS,
    MODES,
    OUTCOME_COLOURS,
    PLACES,
    distribution_columns,
    distribution_view,
    label_places,
    shown_columns,
)
from explainer_core.views.kit.palettes import GROUP

ORDER = [c for members in GROUPS.values() for c in members]


def made() -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Three models, four classes (two groups), eight pictures a class, softmax rows of a seeded generator."""
    rng = np.random.default_rng(7)
    classes = ["koala", "pizza", "red panda", "espresso"]
    labels = np.repeat(np.arange(4), 8)
    logits = rng.normal(size=(3, len(labels), 4)) + 3 * np.eye(4)[labels] * np.array([0.2, 1.0, 2.0])[:, None, None]
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)
    return probabilities, labels, ["m0", "m1", "m2"], classes


def zoo() -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    index, arrays = load()
    return arrays["val_probabilities"], arrays["val_labels"], index["members"], index["class_names"]


@pytest.fixture(scope="module", params=["zoo", "made"])
def case(request):
    """The inputs, the view's columns, and the engine's projections of every model (computed once)."""
    probabilities, labels, members, classes = zoo() if request.param == "zoo" else made()
    columns = distribution_columns(probabilities, labels, members, classes)
    engine = [
        (class_distances(probabilities[m], labels, len(classes)),
         project_classes(class_distances(probabilities[m], labels, len(classes))),
         project_images(probabilities[m]))
        for m in range(len(members))
    ]
    return probabilities, labels, members, classes, columns, engine


# -- every number against the engine ------------------------------------------------------
def test_every_models_two_maps_are_the_engines_projections(case):
    probabilities, labels, members, classes, columns, engine = case
    models = columns["models"]
    assert models["name"] == list(members)
    for m, (_, class_xy, image_xy) in enumerate(engine):
        np.testing.assert_array_equal(models["class_x"][m], class_xy[:, 0])
        np.testing.assert_array_equal(models["class_y"][m], class_xy[:, 1])
        np.testing.assert_array_equal(models["image_x"][m], image_xy[:, 0])
        np.testing.assert_array_equal(models["image_y"][m], image_xy[:, 1])
        assert len(models["class_x"][m]) == len(classes) and len(models["image_x"][m]) == len(labels)


def test_accuracies_nearest_classes_and_predictions_are_the_outputs(case):
    probabilities, labels, members, classes, columns, engine = case
    models = columns["models"]
    n = len(classes)
    for m, (distances, _, _) in enumerate(engine):
        predicted = probabilities[m].astype(np.float64).argmax(axis=1)
        right = predicted == labels
        assert models["top1"][m] == pytest.approx(right.mean(), abs=1e-15)
        assert models["top1_text"][m] == f"{100 * right.mean():.1f} %"
        assert models["predicted"][m] == [classes[k] for k in predicted]
        assert models["outcome"][m] == ["right" if r else "wrong" for r in right]
        assert models["outcome_colour"][m] == [OUTCOME_COLOURS["right" if r else "wrong"] for r in right]
        for p in range(len(labels)):
            assert models["confidence_text"][m][p] == f"{100 * probabilities[m][p, predicted[p]]:.1f} %"
        for c in range(n):
            mine = labels == c
            assert models["class_accuracy"][m][c] == pytest.approx(right[mine].mean(), abs=1e-15)
            assert models["class_accuracy_text"][m][c] == f"{100 * right[mine].mean():.1f} % of {mine.sum()}"
            others = [j for j in range(n) if j != c]
            nearest = min(others, key=lambda j: (distances[c, j], j))
            assert models["nearest"][m][c] == classes[nearest]
            assert models["nearest_text"][m][c] == f"{classes[nearest]} ({distances[c, nearest]:.3f})"
        pairs = [(distances[i, j], i, j) for i in range(n) for j in range(i + 1, n)]
        d, i, j = min(pairs)
        assert models["pair"][m] == [classes[i], classes[j]] and models["pair_distance"][m] == d
        status = models["status"][m]
        assert f"{members[m]}, {right.sum()} of {len(labels)} validation pictures right" in status
        assert f"{classes[i]} and {classes[j]} (distance {d:.3f})" in status
        # the text alternatives say every class's numbers
        for c in range(n):
            assert f"{classes[c]} ({next(g for g, v in GROUPS.items() if classes[c] in v)}): " \
                   f"{100 * right[labels == c].mean():.1f} %" in models["class_label"][m]
            assert f"{classes[c]}: {(right & (labels == c)).sum()} of {(labels == c).sum()} right" \
                in models["image_label"][m]


def test_classes_and_pictures_carry_their_group_and_class_colours(case):
    probabilities, labels, members, classes, columns, engine = case
    groups = list(GROUPS)
    group_of = {c: next(g for g, v in enumerate(GROUPS.values()) if c in v) for c in ORDER}
    got = columns["classes"]
    assert got["class_name"] == list(classes) and got["class_index"] == list(range(len(classes)))
    assert got["group"] == [groups[group_of[c]] for c in classes]
    assert got["colour"] == [GROUP[group_of[c]] for c in classes]
    assert got["marker"] == [MARKERS[group_of[c]] for c in classes]
    images = columns["images"]
    assert images["true_class"] == [classes[c] for c in labels]
    assert images["class_index"] == [int(c) for c in labels]
    assert images["group_colour"] == [GROUP[group_of[classes[c]]] for c in labels]
    assert images["class_colour"] == [CLASS_COLOURS[ORDER.index(classes[c])] for c in labels]
    assert images["marker"] == [MARKERS[group_of[classes[c]]] for c in labels]


def test_what_each_model_and_colouring_shows_is_that_models_row(case):
    probabilities, labels, members, classes, columns, engine = case
    models = columns["models"]
    for m in range(len(members)):
        for mode in MODES:
            shown = shown_columns(columns, m, mode)
            np.testing.assert_array_equal(shown["classes"]["x"], engine[m][1][:, 0])
            np.testing.assert_array_equal(shown["images"]["y"], engine[m][2][:, 1])
            assert shown["classes"]["nearest_text"] == models["nearest_text"][m]
            assert shown["images"]["predicted"] == models["predicted"][m]
            want = {"group": columns["images"]["group_colour"], "class": columns["images"]["class_colour"],
                    "outcome": models["outcome_colour"][m]}[mode]
            assert shown["images"]["colour"] == want
            assert shown["legend"] == columns["legends"][mode]
            assert shown["status"] == models["status"][m]
            # each name where label_places puts it for this model's points
            places = label_places(np.column_stack([shown["classes"]["x"], shown["classes"]["y"]]), classes)
            for i, column in enumerate(("label_place", "label_align", "label_baseline", "label_dx", "label_dy")):
                assert shown["classes"][column] == [PLACES[k][i] for k in places] == models[column][m]


# -- the view draws them --------------------------------------------------------------------
def test_the_view_draws_exactly_these_columns_and_links_the_maps():
    probabilities, labels, members, classes = made()
    layout = distribution_view(probabilities, labels, members, classes, model="m2", mode="outcome")
    columns = distribution_columns(probabilities, labels, members, classes, model="m2")
    assert columns["start"] == 2
    shown = shown_columns(columns, 2, "outcome")
    sources = {m.name: m for m in layout.references() if isinstance(m, ColumnDataSource)}
    assert set(sources) == {"distribution:models", "distribution:classes", "distribution:images"}
    for name, want in (("classes", shown["classes"]), ("images", shown["images"])):
        got = sources[f"distribution:{name}"].data
        assert set(got) == set(want), name
        for key, values in want.items():
            np.testing.assert_array_equal(np.asarray(got[key]), np.asarray(values), err_msg=f"{name}.{key}")
    named = {m.name: m for m in layout.references() if getattr(m, "name", None)}
    assert named["distribution:status"].text == shown["status"]
    assert named["distribution:image_legend"].text == shown["legend"]
    assert named["distribution:class_map"].title.text == shown["class_title"] == "Classes as m2 sees them"
    assert named["distribution:image_map"].title.text == shown["image_title"] == "Pictures by m2's answers"
    menu, colours = named["distribution:model_menu"], named["distribution:colour_menu"]
    assert isinstance(menu, Select) and menu.value == "2" and menu.title == "Model"
    assert [label for _, label in menu.options] == [
        f"{n} ({t} right)" for n, t in zip(members, columns["models"]["top1_text"], strict=True)]
    assert colours.value == "outcome" and colours.options == list(MODES.items())
    class_map, image_map = named["distribution:class_map"], named["distribution:image_map"]
    assert [r.data_source.name for r in class_map.renderers] == ["distribution:classes"] * 2
    assert [r.data_source.name for r in image_map.renderers] == ["distribution:images"]
    # a selection of classes (or a box ticked) runs brush.js, which selects their pictures
    classes_source, images_source = sources["distribution:classes"], sources["distribution:images"]
    (brush,) = classes_source.selected.js_property_callbacks["change:indices"]
    boxes = named["distribution:class_boxes"]
    assert isinstance(boxes, CheckboxGroup) and boxes.labels == classes and boxes.active == []
    assert boxes.js_property_callbacks["change:active"] == [brush]
    assert brush.args["images"] is images_source and brush.args["classes"] is classes_source
    (show,) = menu.js_property_callbacks["change:value"]
    assert colours.js_property_callbacks["change:value"] == [show]
    assert show.args["legends"] == columns["legends"]
    assert show.args["class_title"] is class_map.title and show.args["image_title"] is image_map.title


def test_every_map_is_an_image_that_says_its_numbers():
    probabilities, labels, members, classes = made()
    layout = distribution_view(probabilities, labels, members, classes)
    columns = distribution_columns(probabilities, labels, members, classes)
    plots = {p.name: p for p in layout.references() if isinstance(p, Plot)}
    assert set(plots) == {"distribution:class_map", "distribution:image_map"}
    assert plots["distribution:class_map"].html_attributes["aria-label"] == columns["models"]["class_label"][0]
    assert plots["distribution:image_map"].html_attributes["aria-label"] == columns["models"]["image_label"][0]
    assert all(p.html_attributes["role"] == "img" for p in plots.values())
    (describe,) = layout.tags
    assert describe.args["class_map"] is plots["distribution:class_map"]


def test_the_palettes_tell_groups_and_classes_apart():
    assert len(set(GROUP)) == len(GROUP) == len(GROUPS) == len(MARKERS)
    assert len(set(CLASS_COLOURS)) == len(CLASS_COLOURS) == len(ORDER)
    assert "#F0E442" not in GROUP + CLASS_COLOURS  # Okabe-Ito's yellow vanishes on white

    def luminance(colour: str) -> float:
        rgb = np.array([int(colour[k:k + 2], 16) / 255 for k in (1, 3, 5)])
        linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        return float(linear @ [0.2126, 0.7152, 0.0722])

    assert all(1.05 / (luminance(c) + 0.05) >= 3 for c in GROUP), "a group colour below 3:1 on white"


def test_names_go_where_they_cover_no_point_and_stay_on_the_map():
    # a point just right of another: the first name goes elsewhere than onto it
    assert label_places(np.array([[0, 0], [0.05, 0], [1, 1.0]]), ["pizza", "orange", "koala"])[0] != 0
    # a long name at the right edge goes to the left of its point (a phone has little room there)
    assert PLACES[label_places(np.array([[0, 0], [1, 0.0]]), ["a", "a long class name"])[1]][0] == "left"
    # two points in one place: the second name does not cover the first
    assert label_places(np.array([[0, 0], [0, 0.0]]), ["x", "y"]) == [0, 1]


# -- bad requests -----------------------------------------------------------------------------
def test_bad_requests_are_refused_in_plain_words():
    probabilities, labels, members, classes = made()
    with pytest.raises(ExplanationError, match=r"one confidence matrix per model.*not of shape \(32, 4\)"):
        distribution_columns(probabilities[0], labels, members, classes)
    with pytest.raises(ExplanationError, match="3 confidence matrices but 2 model names"):
        distribution_columns(probabilities, labels, members[:2], classes)
    with pytest.raises(ExplanationError, match="Two models have the same name"):
        distribution_columns(probabilities, labels, ["a", "a", "b"], classes)
    with pytest.raises(ExplanationError, match="4 classes but 3 class names"):
        distribution_columns(probabilities, labels, members, classes[:3])
    with pytest.raises(ExplanationError, match="among ladybug, koala.*not teapot"):
        distribution_columns(probabilities, labels, members, ["koala", "pizza", "teapot", "espresso"])
    with pytest.raises(ExplanationError, match="distinct"):
        distribution_columns(probabilities, labels, members, ["koala", "pizza", "koala", "espresso"])
    with pytest.raises(ExplanationError, match=r"labels must be 32 class indices.*shape \(31,\)"):
        distribution_columns(probabilities, labels[:31], members, classes)
    with pytest.raises(ExplanationError, match="No model called 'resnet'; the models are m0, m1, m2"):
        distribution_view(probabilities, labels, members, classes, model="resnet")
    with pytest.raises(ExplanationError, match="coloured by group, class, outcome, not by 'size'"):
        distribution_view(probabilities, labels, members, classes, mode="size")
    # the engine's own checks come through unchanged
    with pytest.raises(ExplanationError, match="class\\(es\\) 3 have none"):
        distribution_columns(probabilities, np.where(labels == 3, 0, labels), members, classes)
    with pytest.raises(ExplanationError, match=r"probabilities in \[0, 1\]"):
        distribution_columns(probabilities * 2, labels, members, classes)
