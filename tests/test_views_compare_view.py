"""The comparison view (explainer_core/views/compare_view): what it carries equals the engine's.

The blocks' distances are explainer_core.compare.distance_matrix's, and the view's similarity
(a slice of them rescaled) is similarity_matrix's on the chosen maps; the accuracies are the
cards' (accuracy_overview); the predictions are Keras's on the gallery photos; the view
carries only its first picture in the book. Bad input raises ExplanationError. The browser's
drawing (contours, cut-outs, histograms, similarity) is checked in tests/test_browser_compare_view.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from bokeh.models import ColumnDataSource

from explainer_core.compare import RULES, accuracy_overview, distance_matrix, similarity_matrix
from explainer_core.compare.similarity import to_similarity
from explainer_core.errors import ExplanationError
from explainer_core.models.loading import card_path
from explainer_core.models.zoo import ZOO
from explainer_core.views.compare_view import Comparison, compare_view
from explainer_core.views.compare_view.payload import (
    block_from_bytes,
    block_name,
    gallery_comparison,
    manifest,
    picture_block,
)

MEMBERS = ["tiny_vgg", "vgg_mini", "resnet_mini"]
METHODS = ["gradcam", "scorecam"]


def _cards(names):
    return [json.loads(card_path(ZOO[name].path).read_text()) for name in names]


def _small(rng=None, **changes) -> Comparison:
    """Three members, two methods, two pictures of synthetic maps: quick to build."""
    rng = rng or np.random.default_rng(0)
    blocks = {
        p: picture_block(
            rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), rng.integers(0, 256, (3, 2, 64, 64), dtype=np.uint8)
        )
        for p in range(2)
    }
    values = dict(
        cards=_cards(MEMBERS),
        methods=METHODS,
        photos=[{"label": "koala"}, {"label": "pizza"}],
        predicted=np.array([[5, 5, 1], [2, 2, 2]]),
        confidence=np.full((2, 3), 0.5),
        blocks=blocks,
        folder=None,
    )
    return Comparison(**(values | changes))


def _source(layout, name) -> ColumnDataSource:
    return next(m for m in layout.references() if getattr(m, "name", None) == name)


# -- the blocks ---------------------------------------------------------------------------------
def test_block_distances_are_the_engines_and_survive_bytes():
    rng = np.random.default_rng(1)
    maps = rng.integers(0, 256, (4, 2, 64, 64), dtype=np.uint8)
    pixels = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    block = picture_block(pixels, maps)
    back = block_from_bytes(block.to_bytes(), members=4, methods=2)
    np.testing.assert_array_equal(back.pixels, pixels)
    np.testing.assert_array_equal(back.maps, maps)
    for k in range(2):
        for r, rule in enumerate(RULES):
            np.testing.assert_allclose(
                back.distances[k, r], distance_matrix(maps[:, k] / 255.0, rule), rtol=1e-6, atol=1e-7
            )


@pytest.mark.parametrize("rule", RULES)
def test_a_slice_of_the_distances_rescaled_is_the_engines_similarity_of_the_subset(rule):
    """What task.js computes: the chosen rows and columns of all members' distances, then 1 - 2 D / max(D)."""
    rng = np.random.default_rng(2)
    maps = rng.random((6, 64, 64))
    maps[2] = maps[1]  # two equal maps: distance 0
    full = distance_matrix(maps, rule)
    for chosen in ([0, 3, 5], [1, 2], [4], [0, 1, 2, 3, 4, 5]):
        np.testing.assert_allclose(
            to_similarity(full[np.ix_(chosen, chosen)]), similarity_matrix(maps[chosen], rule), atol=1e-12
        )


def test_float_maps_are_rounded_as_the_precomputed_ones():
    maps = np.random.default_rng(3).random((2, 1, 64, 64))
    block = picture_block(np.zeros((64, 64, 3), np.uint8), maps)
    np.testing.assert_array_equal(block.maps, np.round(maps * 255).astype(np.uint8))


def test_manifest_names_every_block():
    text = manifest(["a", "b"], ["gradcam"], [{"label": "koala"}, {"label": "pizza"}])
    data = json.loads(text)
    assert [p["file"] for p in data["photos"]] == [block_name(0), block_name(1)] == ["picture-00.bin", "picture-01.bin"]
    assert data["rules"] == list(RULES)


# -- the view's numbers ---------------------------------------------------------------------------
def test_rows_carry_the_cards_accuracies_and_the_given_predictions():
    c = _small()
    layout = compare_view(c, models=c.names[:2])
    rows = _source(layout, "compare:rows").data
    overview = accuracy_overview(c.cards)
    classes = c.cards[0]["class_names"]
    assert rows["name"] == [card["name"] for card in _cards(MEMBERS)] == c.names
    assert rows["top1"] == [r.top1 for r in overview]
    assert rows["per_class"] == [[r.per_class[n] for n in classes] for r in overview]
    assert rows["predicted_by_photo"] == [[5, 2], [5, 2], [1, 2]]
    assert rows["confidence_by_photo"] == [[0.5, 0.5]] * 3
    store = _source(layout, "compare:comparison-store").data
    assert store["index"] == [0, 1]  # outside the book (folder=None) every picture is carried
    np.testing.assert_array_equal(store["maps"][1], c.blocks[1].maps.reshape(-1))


def test_bad_input_is_refused_in_plain_words():
    c = _small()
    with pytest.raises(ExplanationError, match="Choose models"):
        compare_view(c, models=["no_such_net"])
    with pytest.raises(ExplanationError, match="Unknown method"):
        compare_view(c, method="lime")
    with pytest.raises(ExplanationError, match="similarity rule"):
        compare_view(c, rule="cosine")
    with pytest.raises(ExplanationError, match="threshold"):
        compare_view(c, threshold=1.0)
    with pytest.raises(ExplanationError, match="starts on a picture"):
        compare_view(c, picture=7)
    with pytest.raises(ExplanationError, match="shape"):
        compare_view(_small(predicted=np.zeros((3, 3), int)))
    with pytest.raises(ExplanationError, match="class indices"):
        compare_view(_small(predicted=np.full((2, 3), 10)))
    with pytest.raises(ExplanationError, match="probabilities"):
        compare_view(_small(confidence=np.full((2, 3), 1.5)))
    with pytest.raises(ExplanationError, match="label"):
        compare_view(_small(photos=[{"label": "unicorn"}, {"label": "pizza"}]))
    with pytest.raises(ExplanationError, match="every picture"):
        compare_view(_small(blocks={0: c.blocks[0]}))
    with pytest.raises(ExplanationError, match="methods"):
        compare_view(_small(methods=["gradcam"]))
    with pytest.raises(ExplanationError, match="8-bit RGB"):
        picture_block(np.zeros((64, 64, 3)), np.zeros((1, 1, 64, 64), np.uint8))
    with pytest.raises(ExplanationError, match="pixels but the picture"):
        picture_block(np.zeros((64, 64, 3), np.uint8), np.zeros((1, 1, 32, 32), np.uint8))
    with pytest.raises(ExplanationError, match=r"\[0, 1\]"):
        picture_block(np.zeros((64, 64, 3), np.uint8), np.full((1, 1, 64, 64), 2.0))
    with pytest.raises(ExplanationError, match="bytes"):
        block_from_bytes(b"123", members=1, methods=1)


# -- the gallery, as the book shows it -------------------------------------------------------------
@pytest.fixture(scope="module")
def gallery(real_tiny_imagenet_zip):
    return gallery_comparison(first=0, data_path=str(real_tiny_imagenet_zip))


def test_the_book_carries_only_the_first_picture_and_its_precomputed_maps(gallery):
    from explainer_core.precompute import load

    index, arrays = load()
    assert list(gallery.blocks) == [0]
    np.testing.assert_array_equal(gallery.blocks[0].maps, arrays["maps"][:, :, 0])
    layout = compare_view(gallery)
    store = _source(layout, "compare:comparison-store").data
    assert store["index"] == [0]
    assert gallery.names == [card["name"] for card in _cards(index["members"])]


def test_predictions_are_keras_on_the_gallery_photos(gallery, real_tiny_imagenet_zip):
    from explainer_core.data.preprocess import prepare_image
    from explainer_core.data.tiny_imagenet import TinyImageNet

    data = TinyImageNet(str(real_tiny_imagenet_zip))
    inputs = np.stack([prepare_image(data.read_bytes(p["file"])) for p in gallery.photos])
    np.testing.assert_array_equal(gallery.blocks[0].pixels, np.round(inputs[0] * 255).astype(np.uint8))
    from explainer_core.precompute import load

    for m, name in enumerate(load()[0]["members"]):
        outputs = ZOO[name].load().keras_model.predict(inputs, verbose=0)
        np.testing.assert_array_equal(gallery.predicted[:, m], outputs.argmax(axis=1))
        np.testing.assert_allclose(gallery.confidence[:, m], outputs.max(axis=1), rtol=1e-4, atol=1e-5)


def test_without_the_data_set_the_gallery_says_so(tmp_path):
    """The chapter catches this and builds without the view, saying why; the Sphinx job writes nothing."""
    from explainer_core.errors import DatasetError
    from explainer_core.page.sphinxext.comparison_data import write_blocks

    with pytest.raises(DatasetError):
        gallery_comparison(data_path=str(tmp_path / "no_such_data.zip"))
    with pytest.raises(DatasetError):
        write_blocks(tmp_path, data_path=str(tmp_path / "no_such_data.zip"))
    assert not (tmp_path / "_static").exists()
