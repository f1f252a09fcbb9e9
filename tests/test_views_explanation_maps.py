"""The explanation maps room: the numbers it shows are the engine's, and bad input gets a clear error."""

from __future__ import annotations

import numpy as np
import pytest
from bokeh.models import ColumnDataSource, HoverTool, Legend
from scipy.stats import spearmanr

from explainer_core.compare import Curve, area_under_curve, deletion_curve, insertion_curve
from explainer_core.errors import ExplanationError
from explainer_core.explain import METHODS, explain
from explainer_core.views.explanation_maps import (
    METHOD_TITLES,
    curve_columns,
    explanation_maps,
    faithfulness_curves,
    map_cells,
    method_title,
    rank_correlation,
    sanity_check,
    where,
)
from explainer_core.views.kit import fmt  # noqa: E402
from explainer_core.views.kit.palettes import EXPLANATION  # noqa: E402


def named(layout, name):
    return next(iter(layout.select({"name": name})))


@pytest.fixture(scope="module")
def tiny_vgg():
    from explainer_core.models.zoo import ZOO

    return ZOO["tiny_vgg"].load().keras_model


@pytest.fixture(scope="module")
def picture():
    from explainer_core.page.examples import default_example

    return default_example().image.astype(np.float32)


@pytest.fixture(scope="module")
def engine_maps(tiny_vgg, picture):
    """Two methods' maps of the book's picture, straight from the engine."""
    return {m: explain(m, tiny_vgg, picture)[0] for m in ("gradcam", "scorecam")}


def test_the_grid_shows_the_engines_maps_exactly(picture, engine_maps):
    maps = np.stack([np.stack(list(engine_maps.values()))])
    layout = explanation_maps(picture, maps, row_names=["Tiny VGG"], column_names=["Grad-CAM", "Score-CAM"], key="t")
    source = named(layout, "t:cells")
    assert isinstance(source, ColumnDataSource)
    for k, engine in enumerate(engine_maps.values()):
        shown = source.data["image"][k]
        assert shown.dtype == np.float32
        # Bokeh draws the bottom row first: flipped back, the cell is the engine's map, bit for bit
        np.testing.assert_array_equal(shown[::-1], engine)
        assert source.data["peak"][k] == fmt(engine.max())
    hover = next(t for t in named(layout, "t:row0").tools if isinstance(t, HoverTool))
    assert ("map value", "@image{0.000}") in hover.tooltips


def test_uint8_maps_as_precompute_stores_them_are_divided_by_255():
    rng = np.random.default_rng(0)
    stored = rng.integers(0, 256, (2, 3, 8, 8), dtype=np.uint8)
    cells = map_cells(np.zeros((8, 8, 3), np.uint8), stored, ["a", "b"], ["x", "y", "z"])
    np.testing.assert_array_equal(cells["map"][5], (stored[1, 2] / 255.0).astype(np.float32))
    assert cells["row"] == ["a"] * 3 + ["b"] * 3 and cells["column"] == ["x", "y", "z"] * 2


def test_pictures_per_column_and_per_cell():
    maps = np.zeros((2, 3, 4, 4), np.float32)
    per_column = np.arange(3 * 4 * 4 * 3, dtype=np.uint8).reshape(3, 4, 4, 3)
    cells = map_cells(per_column, maps, ["a", "b"], ["x", "y", "z"])
    rgba = cells["picture"][4].view(np.uint8).reshape(4, 4, 4)  # row b, column y: the second picture
    np.testing.assert_array_equal(rgba[::-1, :, :3], per_column[1])
    assert (rgba[..., 3] == 255).all()
    per_cell = np.broadcast_to(per_column[None], (2, 3, 4, 4, 3))
    assert len(map_cells(per_cell, maps, ["a", "b"], ["x", "y", "z"])["picture"]) == 6


def test_text_alternative_says_where_each_map_is_strongest():
    spot = np.zeros((9, 9), np.float32)
    spot[0, 8] = 1.0
    assert where(spot) == "top right"
    spot = np.zeros((9, 9), np.float32)
    spot[4, 4] = 0.5
    assert where(spot) == "centre"
    layout = explanation_maps(np.zeros((9, 9, 3)), spot[None, None], row_names=["m"], column_names=["Grad-CAM"])
    label = named(layout, "explanation_maps:row0").html_attributes["aria-label"]
    assert (
        "m, Grad-CAM: strongest at the centre (0.500)" in label
        and "role" in named(layout, "explanation_maps:row0").html_attributes
    )


def test_method_titles_and_the_palette():
    assert [method_title(m) for m in METHODS] == list(METHOD_TITLES.values())
    assert method_title("mine") == "mine"
    assert len(EXPLANATION) == 256 and EXPLANATION[0].endswith("00") and EXPLANATION[-1].endswith("cc")


def test_curves_show_the_engines_areas(tiny_vgg, picture, engine_maps):
    target = int(tiny_vgg.predict(picture[None], verbose=0).argmax())
    deletion = {m: deletion_curve(tiny_vgg, picture, engine_maps[m], target) for m in engine_maps}
    insertion = {m: insertion_curve(tiny_vgg, picture, engine_maps[m], target) for m in engine_maps}
    layout = faithfulness_curves(deletion, insertion, key="f")
    for kind, curves in (("deletion", deletion), ("insertion", insertion)):
        plot = named(layout, f"f:{kind}")
        labels = [item.label.value for item in plot.select_one(Legend).items]
        assert labels == [f"{method_title(m)} {fmt(area_under_curve(c))}" for m, c in curves.items()]
        source = named(layout, f"f:{kind}:gradcam")
        np.testing.assert_array_equal(source.data["y"], curves["gradcam"].scores)
        assert source.data["score"][0] == fmt(curves["gradcam"].scores[0])


def test_curves_of_several_pictures_are_drawn_as_their_mean():
    rng = np.random.default_rng(1)
    fractions = np.linspace(0, 1, 9)
    scores = rng.random((4, 9))
    (entry,) = curve_columns({"random pixels": Curve(fractions, scores)})
    np.testing.assert_allclose(entry["scores"], scores.mean(axis=0))
    assert entry["area"] == pytest.approx(float(np.mean(area_under_curve(Curve(fractions, scores)))))
    assert entry["count"] == 4


def test_sanity_check_shows_spearmans_correlation():
    rng = np.random.default_rng(2)
    trained = {"gradcam": rng.random((8, 8)), "bbmp": rng.random((8, 8))}
    randomised = {"gradcam": trained["gradcam"] ** 2, "bbmp": rng.random((1, 8, 8))}
    layout = sanity_check(np.zeros((8, 8, 3)), trained, randomised, key="s")
    source = named(layout, "s:correlation")
    assert source.data["value"][0] == pytest.approx(1.0)
    expected = spearmanr(trained["bbmp"].ravel(), randomised["bbmp"].ravel()).statistic
    assert source.data["value"][1] == pytest.approx(expected)
    assert source.data["text"][1] == fmt(expected)
    assert rank_correlation(np.zeros((4, 4)), rng.random((4, 4))) == 0.0
    cells = named(layout, "s:cells")
    assert cells.data["row"][:2] == ["trained weights"] * 2 and cells.data["column"][:2] == ["Grad-CAM", "BBMP"]


# -- bad input ------------------------------------------------------------------------------------
GOOD = np.zeros((1, 2, 4, 4), np.float32)


@pytest.mark.parametrize(
    ("pictures", "maps", "rows", "cols", "message"),
    [
        (np.zeros((4, 4, 3)), np.zeros((2, 4, 4)), ["a"], ["x", "y"], "rows, columns, height, width"),
        (np.zeros((4, 4, 3)), GOOD + 1.5, ["a"], ["x", "y"], "span"),
        (np.zeros((4, 4, 3)), np.full((1, 2, 4, 4), np.nan), ["a"], ["x", "y"], "NaN"),
        (np.zeros((4, 4, 3)), GOOD, ["a", "b"], ["x", "y"], "1 rows but 2 row names"),
        (np.zeros((4, 4, 3)), GOOD, ["a"], ["x"], "2 columns but 1 column names"),
        (np.zeros((5, 5, 3)), GOOD, ["a"], ["x", "y"], "maps' size"),
        (np.zeros((3, 4, 4, 3)), GOOD, ["a"], ["x", "y"], "one per column"),
        (np.full((4, 4, 3), 2.0), GOOD, ["a"], ["x", "y"], "uint8, or floats in [0, 1]"),
        (np.zeros((4, 4, 3)), np.zeros((1, 2, 4, 4), dtype=object), ["a"], ["x", "y"], "numbers"),
    ],
)
def test_bad_grids_get_a_clear_error(pictures, maps, rows, cols, message):
    with pytest.raises(ExplanationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        explanation_maps(pictures, maps, row_names=rows, column_names=cols)


def test_bad_curves_and_checks_get_a_clear_error():
    with pytest.raises(ExplanationError, match="deletion curves, insertion curves, or both"):
        faithfulness_curves()
    with pytest.raises(ExplanationError, match="at least one curve"):
        faithfulness_curves({})
    with pytest.raises(ExplanationError, match="one score per fraction"):
        faithfulness_curves({"gradcam": Curve(np.linspace(0, 1, 5), np.zeros(4))})
    with pytest.raises(ExplanationError, match="same methods"):
        sanity_check(np.zeros((4, 4, 3)), {"gradcam": np.zeros((4, 4))}, {"bbmp": np.zeros((4, 4))})
    with pytest.raises(ExplanationError, match="different sizes"):
        rank_correlation(np.zeros((4, 4)), np.zeros((5, 5)))
