"""Colour intensity histograms of the salient region (VAC-CNN Sect. 4.3), for any threshold."""

from __future__ import annotations

import numpy as np
import pytest

from explainer_core.compare import remove_below, salient_histograms
from explainer_core.errors import ExplanationError


@pytest.fixture
def picture_and_map():
    rng = np.random.default_rng(5)
    return rng.integers(0, 256, size=(32, 24, 3), dtype=np.uint8), rng.random((32, 24))


@pytest.mark.parametrize("threshold", [0.0, 0.25, 0.5, 0.9])
def test_counts_are_the_kept_pixels_intensities_per_channel(picture_and_map, threshold):
    picture, attention = picture_and_map
    counts = salient_histograms(picture, attention, threshold)
    kept = attention >= threshold
    assert counts.shape == (3, 256) and counts.dtype == np.int64
    assert counts.sum() == 3 * kept.sum()
    for channel in range(3):
        np.testing.assert_array_equal(counts[channel], np.bincount(picture[kept][:, channel], minlength=256))


def test_removed_pixels_add_no_spike_at_zero():
    picture = np.full((4, 4, 3), 200, dtype=np.uint8)
    attention = np.zeros((4, 4))
    attention[:2] = 1.0  # the top half is salient
    counts = salient_histograms(picture, attention, 0.5)
    assert counts[:, 200].tolist() == [8, 8, 8]
    assert counts[:, 0].tolist() == [0, 0, 0]
    assert (remove_below(picture, attention, 0.5)[2:] == 0).all()  # whereas the displayed picture is black there


def test_nothing_salient_gives_empty_histograms():
    counts = salient_histograms(np.zeros((4, 4, 3), dtype=np.uint8), np.full((4, 4), 0.2), 0.5)
    assert counts.shape == (3, 256) and counts.sum() == 0


def test_bad_pictures_are_refused_in_plain_words():
    with pytest.raises(ExplanationError, match="8-bit RGB"):
        salient_histograms(np.zeros((4, 4, 3), dtype=np.float32), np.zeros((4, 4)), 0.5)
    with pytest.raises(ExplanationError, match="8-bit RGB"):
        salient_histograms(np.zeros((4, 4), dtype=np.uint8), np.zeros((4, 4)), 0.5)
    with pytest.raises(ExplanationError, match="map has 2x2 pixels but the picture 4x4"):
        salient_histograms(np.zeros((4, 4, 3), dtype=np.uint8), np.zeros((2, 2)), 0.5)
    with pytest.raises(ExplanationError, match="threshold"):
        salient_histograms(np.zeros((4, 4, 3), dtype=np.uint8), np.zeros((4, 4)), 1.0)
