"""The similarity matrix of several maps (VAC-CNN Algorithm 2) on hand-made maps."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from explainer_core.compare import RULES, distance_matrix, similarity_matrix
from explainer_core.errors import ExplanationError


def blob(row: float, col: float, size: int = 64, width: float = 6.0) -> np.ndarray:
    rows, cols = np.mgrid[:size, :size]
    return np.exp(-((rows - row) ** 2 + (cols - col) ** 2) / (2 * width**2))


def halves() -> np.ndarray:
    """Left half on, right half on, top half on: left and right are opposites, top is halfway."""
    left, right, top = np.zeros((3, 64, 64))
    left[:, :32] = 1
    right[:, 32:] = 1
    top[:32] = 1
    return np.stack([left, right, top])


@pytest.mark.parametrize("rule", RULES)
def test_matrix_is_symmetric_with_ones_on_the_diagonal_and_minus_one_for_the_most_different_pair(rule):
    maps = np.stack([blob(20, 20), blob(22, 21), blob(48, 44), blob(30, 40, width=12)])
    similarity = similarity_matrix(maps, rule)
    distances = distance_matrix(maps, rule)
    assert similarity.shape == (4, 4)
    np.testing.assert_allclose(similarity, similarity.T)
    np.testing.assert_allclose(np.diag(similarity), 1.0)
    assert similarity.min() == pytest.approx(-1.0)
    assert np.argmin(similarity) == np.argmax(distances)
    assert (similarity >= -1 - 1e-12).all() and (similarity <= 1).all()


@pytest.mark.parametrize("rule", RULES)
def test_a_slightly_shifted_map_is_more_similar_than_an_unrelated_one(rule):
    similarity = similarity_matrix([blob(20, 20), blob(22, 21), blob(48, 44)], rule)
    assert similarity[0, 1] > similarity[0, 2]
    assert similarity[0, 1] > similarity[1, 2]


@pytest.mark.parametrize("rule", RULES)
def test_one_map_or_identical_maps_give_all_ones_and_no_nan(rule):
    one = similarity_matrix(blob(20, 20)[None], rule)
    np.testing.assert_array_equal(one, [[1.0]])
    same = similarity_matrix([blob(20, 20)] * 3, rule)
    np.testing.assert_array_equal(same, np.ones((3, 3)))
    flat = similarity_matrix(np.zeros((2, 16, 16)), rule)
    np.testing.assert_array_equal(flat, np.ones((2, 2)))


def test_l1_and_mse_by_hand():
    maps = np.stack([np.zeros((8, 8)), np.ones((8, 8)), np.full((8, 8), 0.5)])
    np.testing.assert_allclose(distance_matrix(maps, "l1"), [[0, 1, 0.5], [1, 0, 0.5], [0.5, 0.5, 0]])
    np.testing.assert_allclose(similarity_matrix(maps, "l1"), [[1, -1, 0], [-1, 1, 0], [0, 0, 1]])
    np.testing.assert_allclose(distance_matrix(maps, "mse"), [[0, 1, 0.25], [1, 0, 0.25], [0.25, 0.25, 0]])
    np.testing.assert_allclose(similarity_matrix(maps, "mse"), [[1, -1, 0.5], [-1, 1, 0.5], [0.5, 0.5, 1]])


def test_l1_is_the_default_rule_as_in_vac_cnn():
    maps = halves()
    np.testing.assert_array_equal(similarity_matrix(maps), similarity_matrix(maps, "l1"))


def test_hash_counts_differing_bits_of_the_8x8_average_hash():
    # left vs right: every one of the 64 cells flips; left or right vs top: half of them do
    np.testing.assert_array_equal(distance_matrix(halves(), "hash"), [[0, 64, 32], [64, 0, 32], [32, 32, 0]])
    np.testing.assert_allclose(similarity_matrix(halves(), "hash"), [[1, -1, 0], [-1, 1, 0], [0, 0, 1]])


def test_ssim_distance_is_one_minus_scikit_image_ssim_with_data_range_one():
    a, b = blob(20, 20), blob(26, 30, width=9)
    expected = 1 - structural_similarity(a, b, data_range=1.0)
    assert distance_matrix([a, b], "ssim")[0, 1] == pytest.approx(expected)
    assert distance_matrix([a, 1 - a], "ssim")[0, 1] > 1  # opposite structure: SSIM below zero


def test_bad_requests_are_refused_in_plain_words():
    with pytest.raises(ExplanationError, match="l1, mse, ssim, hash"):
        similarity_matrix(halves(), "cosine")
    with pytest.raises(ExplanationError, match="too small"):
        similarity_matrix(np.zeros((2, 5, 5)), "ssim")
    with pytest.raises(ExplanationError, match="same height and width"):
        similarity_matrix([np.zeros((4, 4)), np.zeros((5, 5))])
    with pytest.raises(ExplanationError, match=r"\[0, 1\]"):
        similarity_matrix(np.full((2, 8, 8), 255.0))
    with pytest.raises(ExplanationError, match="number of maps, height, width"):
        similarity_matrix(np.zeros((8, 8)))
