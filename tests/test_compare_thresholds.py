"""Contour levels and lines of a map, and the picture with low attention removed (VAC-CNN Sect. 4.2)."""

from __future__ import annotations

import numpy as np
import pytest

from explainer_core.compare import contour_levels, contours, remove_below
from explainer_core.errors import ExplanationError

CENTRE = 31.5


def cone(radius: float = 20.0, size: int = 64) -> np.ndarray:
    """1 at the centre, falling linearly to 0 at ``radius``: level L is the circle of radius radius * (1 - L)."""
    rows, cols = np.mgrid[:size, :size]
    return np.clip(1 - np.hypot(rows - CENTRE, cols - CENTRE) / radius, 0, 1)


def test_levels_split_the_rest_of_the_range_into_four_bands():
    assert contour_levels(0) == pytest.approx((0.0, 0.25, 0.5, 0.75))
    assert contour_levels(0.4) == pytest.approx((0.4, 0.55, 0.7, 0.85))


def test_each_level_of_a_cone_is_one_closed_circle_of_the_expected_radius():
    lines = contours(cone(20.0), 0.4)
    assert list(lines) == pytest.approx([0.4, 0.55, 0.7, 0.85])
    for level, paths in lines.items():
        assert len(paths) == 1
        path = paths[0]
        assert path.shape[1] == 2
        np.testing.assert_allclose(path[0], path[-1])  # closed
        radii = np.hypot(path[:, 0] - CENTRE, path[:, 1] - CENTRE)
        np.testing.assert_allclose(radii, 20.0 * (1 - level), atol=0.05)


def test_a_region_touching_the_edge_gets_a_closed_path_inside_the_picture():
    left_half = np.zeros((16, 16))
    left_half[:, :8] = 1.0
    (path,) = contours(left_half, 0.5)[0.5]
    np.testing.assert_allclose(path[0], path[-1])
    assert path.min() >= 0 and path[:, 0].max() <= 15 and path[:, 1].max() <= 15
    assert path[:, 1].max() == pytest.approx(7.5)  # the boundary between columns 7 and 8
    assert {0.0, 15.0} <= set(np.round(path[:, 0], 6))  # runs along the top and bottom edges


def test_a_map_below_every_level_has_no_contours():
    assert all(paths == [] for paths in contours(np.full((8, 8), 0.1), 0.5).values())


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.99])
def test_remove_below_keeps_exactly_the_pixels_at_or_above_the_threshold(threshold):
    rng = np.random.default_rng(1)
    attention = rng.random((12, 10))
    attention[0, 0] = threshold  # exactly at the threshold: kept
    picture = rng.integers(1, 256, size=(12, 10, 3), dtype=np.uint8)
    kept = remove_below(picture, attention, threshold)
    assert kept.dtype == np.uint8 and kept.shape == picture.shape
    keep = attention >= threshold
    np.testing.assert_array_equal(kept[keep], picture[keep])
    assert (kept[~keep] == 0).all()
    assert (picture != 0).all()  # the input is not changed in place


def test_remove_below_works_on_float_and_grey_pictures():
    attention = np.array([[0.2, 0.8], [0.5, 0.4]])
    rgb = np.full((2, 2, 3), 0.75, dtype=np.float32)
    kept = remove_below(rgb, attention, 0.5)
    assert kept.dtype == np.float32
    np.testing.assert_array_equal(kept[..., 0], [[0, 0.75], [0.75, 0]])
    np.testing.assert_array_equal(remove_below(np.ones((2, 2)), attention, 0.5), [[0, 1], [1, 0]])


@pytest.mark.parametrize("threshold", [-0.1, 1.0, 1.5, float("nan"), "half", None])
def test_a_threshold_outside_zero_to_one_is_refused(threshold):
    with pytest.raises(ExplanationError, match="threshold"):
        contour_levels(threshold)


def test_bad_maps_and_pictures_are_refused_in_plain_words():
    picture = np.zeros((8, 8, 3), dtype=np.uint8)
    with pytest.raises(ExplanationError, match="map has 4x4 pixels but the picture 8x8"):
        remove_below(picture, np.zeros((4, 4)), 0.5)
    with pytest.raises(ExplanationError, match=r"\[0, 1\]"):
        remove_below(picture, np.full((8, 8), 2.0), 0.5)
    with pytest.raises(ExplanationError, match="one \\(height, width\\) array"):
        contours(np.zeros((1, 8, 8)), 0.5)
    with pytest.raises(ExplanationError, match="NaN"):
        contours(np.full((8, 8), np.nan), 0.5)
    with pytest.raises(ExplanationError, match="picture must be"):
        remove_below(np.zeros(8), np.zeros((8, 8)), 0.5)
