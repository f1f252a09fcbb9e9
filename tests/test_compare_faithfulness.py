"""Deletion and insertion curves (RISE, Petsiuk et al. 2018) on models whose evidence is known."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from explainer_core.compare import Curve, area_under_curve, deletion_curve, insertion_curve
from explainer_core.errors import ExplanationError

SIZE = 16
REGION = (slice(2, 8), slice(3, 9))  # the only pixels the region model reads


def region_picture_and_maps() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A checkerboard picture; a map on the region (with a gentle slope to order the rest) and its reverse."""
    rows, cols = np.mgrid[:SIZE, :SIZE]
    picture = np.repeat(((rows + cols) % 2).astype(np.float32)[..., None], 3, axis=-1)
    on_region = 0.2 * (rows * SIZE + cols) / SIZE**2  # 0 .. 0.2 outside
    on_region[REGION] = 1.0
    return picture, on_region, 1.0 - on_region


def region_model() -> keras.Model:
    """Two classes; class 0's logit is high when the region holds the checkerboard, 0 for black or a blur.

    logit_0 = sum over the region of s (2 c - 1) x - s (n_1 - n_0) / 2, with c the checkerboard: every
    pixel of the region counts, pixels outside count for nothing.
    """
    picture, _, _ = region_picture_and_maps()
    sign = np.zeros((SIZE, SIZE, 3), dtype=np.float32)
    sign[REGION] = 2 * picture[REGION] - 1
    scale = 8.0 / (sign > 0).sum()
    kernel = np.zeros((SIZE * SIZE * 3, 2), dtype=np.float32)
    kernel[:, 0] = scale * sign.ravel()
    bias = np.array([-0.5 * scale * sign.sum(), 0.0], dtype=np.float32)
    inputs = keras.Input((SIZE, SIZE, 3))
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, outputs)
    model.layers[-1].set_weights([kernel, bias])
    return model


def brightness(batch: np.ndarray) -> np.ndarray:
    """A plain callable 'model' whose one score is the mean brightness of the picture."""
    return np.asarray(batch).mean(axis=(1, 2, 3))[:, None]


def test_deletion_by_hand_on_a_brightness_model():
    picture = np.ones((8, 8, 3), dtype=np.float32)
    attention = np.arange(64, dtype=float).reshape(8, 8) / 63
    curve = deletion_curve(brightness, picture, attention, target=0, steps=4)
    np.testing.assert_allclose(curve.fractions, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(curve.scores, [1, 0.75, 0.5, 0.25, 0])
    assert area_under_curve(curve) == pytest.approx(0.5)


def test_pixels_go_in_order_of_the_map_highest_first():
    picture = np.zeros((4, 4, 3), dtype=np.float32)
    picture[0, 0] = 1.0  # the only bright pixel
    high_there, low_there = np.full((4, 4), 0.5), np.full((4, 4), 0.5)
    high_there[0, 0], low_there[0, 0] = 1.0, 0.0
    first = deletion_curve(brightness, picture, high_there, 0, steps=16).scores
    last = deletion_curve(brightness, picture, low_there, 0, steps=16).scores
    assert first[0] > 0 and (first[1:] == 0).all()  # gone at the first step
    assert (last[:-1] == first[0]).all() and last[-1] == 0  # gone at the very last


def test_a_map_on_the_evidence_deletes_faster_and_inserts_faster_than_its_reverse():
    model = region_model()
    picture, on_region, reverse = region_picture_and_maps()
    assert model.predict_on_batch(picture[None])[0, 0] > 0.99
    good, bad = deletion_curve(model, picture, on_region, 0), deletion_curve(model, picture, reverse, 0)
    assert good.scores[0] == pytest.approx(bad.scores[0]) and good.scores[-1] == pytest.approx(0.5, abs=1e-6)
    assert area_under_curve(good) < area_under_curve(bad) - 0.3
    good, bad = insertion_curve(model, picture, on_region, 0), insertion_curve(model, picture, reverse, 0)
    assert good.scores[0] == pytest.approx(0.5, abs=0.1)  # the blurred checkerboard holds no evidence
    assert good.scores[-1] == pytest.approx(bad.scores[-1])
    assert area_under_curve(good) > area_under_curve(bad) + 0.3


def test_all_steps_of_one_picture_are_scored_in_one_model_call():
    calls = []

    def counted(batch):
        calls.append(len(batch))
        return brightness(batch)

    picture, on_region, _ = region_picture_and_maps()
    deletion_curve(counted, picture, on_region, 0, steps=32)
    insertion_curve(counted, picture, on_region, 0, steps=32)
    assert calls == [33, 33]


def test_a_batch_gives_one_curve_per_picture_equal_to_the_single_curves():
    model = region_model()
    picture, on_region, reverse = region_picture_and_maps()
    pictures, maps = np.stack([picture, picture, picture]), np.stack([on_region, reverse, on_region])
    for curve_of in (deletion_curve, insertion_curve):
        batch = curve_of(model, pictures, maps, target=[0, 0, 1], steps=8, batch_size=10)
        assert isinstance(batch, Curve) and batch.scores.shape == (3, 9)
        np.testing.assert_allclose(batch.scores[0], curve_of(model, picture, on_region, 0, steps=8).scores, atol=1e-6)
        np.testing.assert_allclose(batch.scores[1], curve_of(model, picture, reverse, 0, steps=8).scores, atol=1e-6)
        np.testing.assert_allclose(batch.scores[2], 1 - batch.scores[0], atol=1e-6)  # the other class of two
        assert area_under_curve(batch).shape == (3,)


def test_a_loaded_model_is_read_through_its_keras_model():
    class Loaded:
        keras_model = region_model()

    picture, on_region, _ = region_picture_and_maps()
    np.testing.assert_allclose(
        deletion_curve(Loaded(), picture, on_region, 0, steps=4).scores,
        deletion_curve(Loaded.keras_model, picture, on_region, 0, steps=4).scores,
    )


def test_bad_requests_are_refused_in_plain_words():
    model = region_model()
    picture, on_region, _ = region_picture_and_maps()
    with pytest.raises(ExplanationError, match="from 0 to 1, not 2"):
        deletion_curve(model, picture, on_region, target=2)
    with pytest.raises(ExplanationError, match="one class index per picture \\(1\\)"):
        deletion_curve(model, picture, on_region, target=[0, 1])
    with pytest.raises(ExplanationError, match="divide 8-bit"):
        deletion_curve(model, (picture * 255).astype(np.uint8), on_region, 0)
    with pytest.raises(ExplanationError, match="of 16x16 but maps of shape \\(1, 8, 8\\)"):
        deletion_curve(model, picture, on_region[:8, :8], 0)
    with pytest.raises(ExplanationError, match="steps must be"):
        insertion_curve(model, picture, on_region, 0, steps=0)
    with pytest.raises(ExplanationError, match="blur_sigma"):
        insertion_curve(model, picture, on_region, 0, blur_sigma=0)
    with pytest.raises(ExplanationError, match="keras.Model or a callable"):
        deletion_curve("tiny_vgg", picture, on_region, 0)
