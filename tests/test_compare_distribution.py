"""VAC-CNN's Algorithm 1 (class distances from a confidence matrix) and the t-SNE projections."""

from __future__ import annotations

import numpy as np
import pytest

from explainer_core.compare import class_distances, project_classes, project_images
from explainer_core.errors import ExplanationError

#: Five pictures of three classes; each row is a softmax output.
PROBABILITIES = np.array(
    [
        [0.8, 0.1, 0.1],  # class 0
        [0.6, 0.3, 0.1],  # class 0   -> class 0's mean output: 0.7, 0.2, 0.1
        [0.2, 0.7, 0.1],  # class 1   -> class 1's mean output: 0.2, 0.7, 0.1
        [0.1, 0.2, 0.7],  # class 2
        [0.3, 0.0, 0.7],  # class 2   -> class 2's mean output: 0.2, 0.1, 0.7
    ]
)
LABELS = np.array([0, 0, 1, 2, 2])


def two_clusters(points: int = 6) -> np.ndarray:
    """Class distances with classes 0..2 close together, 3..5 close together, the two groups far apart."""
    groups = np.arange(points) >= points // 2
    distances = np.where(groups[:, None] == groups[None, :], 0.1, 0.9)
    np.fill_diagonal(distances, 0.0)
    return distances


def test_algorithm_1_by_hand():
    # before symmetry: row c is 1 - class c's mean output, with a zero diagonal
    #   [[0, .8, .9], [.8, 0, .9], [.8, .9, 0]]; then (D + D.T) / 2
    expected = [[0, 0.8, 0.85], [0.8, 0, 0.9], [0.85, 0.9, 0]]
    np.testing.assert_allclose(class_distances(PROBABILITIES, LABELS, 3), expected)


def test_class_distances_are_symmetric_with_a_zero_diagonal_for_any_model():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(40, 10))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    distances = class_distances(probabilities, np.arange(40) % 10, 10)
    np.testing.assert_allclose(distances, distances.T)
    np.testing.assert_array_equal(np.diag(distances), 0)
    assert ((distances >= 0) & (distances <= 1)).all()


def test_class_projection_is_deterministic_with_a_seed_and_keeps_clusters_apart():
    distances = two_clusters()
    first = project_classes(distances, seed=3)
    assert first.shape == (6, 2)
    np.testing.assert_array_equal(first, project_classes(distances, seed=3))
    gaps = np.linalg.norm(first[:, None] - first[None], axis=-1)
    within = [gaps[i, j] for i in range(6) for j in range(6) if i != j and (i < 3) == (j < 3)]
    between = [gaps[i, j] for i in range(3) for j in range(3, 6)]
    assert max(within) < min(between)


def test_class_projection_of_ten_classes_uses_a_perplexity_below_ten():
    rng = np.random.default_rng(2)
    probabilities = rng.dirichlet(np.ones(10), size=50)
    positions = project_classes(class_distances(probabilities, np.arange(50) % 10, 10), seed=0)
    assert positions.shape == (10, 2) and np.isfinite(positions).all()
    with pytest.raises(ExplanationError, match="below the number of points \\(10\\)"):
        project_classes(two_clusters(10), perplexity=10)


def test_image_projection_is_deterministic_and_separates_confident_classes():
    rng = np.random.default_rng(4)
    labels = np.repeat([0, 1, 2], 12)
    probabilities = np.full((36, 3), 0.05)
    probabilities[np.arange(36), labels] = 0.9
    probabilities += rng.uniform(0, 0.01, size=probabilities.shape)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    positions = project_images(probabilities, seed=1)
    assert positions.shape == (36, 2)
    np.testing.assert_array_equal(positions, project_images(probabilities, seed=1))
    centres = np.stack([positions[labels == c].mean(axis=0) for c in range(3)])
    nearest = np.argmin(np.linalg.norm(positions[:, None] - centres[None], axis=-1), axis=1)
    np.testing.assert_array_equal(nearest, labels)


def test_bad_input_is_refused_in_plain_words():
    with pytest.raises(ExplanationError, match="class\\(es\\) 1 have none"):
        class_distances(PROBABILITIES[[0, 1, 3]], np.array([0, 0, 2]), 3)
    with pytest.raises(ExplanationError, match="3 columns but there are 4 classes"):
        class_distances(PROBABILITIES, LABELS, 4)
    with pytest.raises(ExplanationError, match="from 0 to 2"):
        class_distances(PROBABILITIES, np.array([0, 0, 1, 2, 3]), 3)
    with pytest.raises(ExplanationError, match="5 whole class indices"):
        class_distances(PROBABILITIES, LABELS[:4], 3)
    with pytest.raises(ExplanationError, match="probabilities in \\[0, 1\\]"):
        class_distances(PROBABILITIES * 10, LABELS, 3)
    with pytest.raises(ExplanationError, match="symmetric"):
        project_classes(np.array([[0, 1.0], [2.0, 0]]))
    with pytest.raises(ExplanationError, match="square"):
        project_classes(np.zeros((3, 2)))
    with pytest.raises(ExplanationError, match="at least two pictures"):
        project_images(PROBABILITIES[:1])


def test_one_thread_gives_the_positions_of_scikit_learns_own_threads():
    """The projections run on one OpenMP thread (fast on a busy machine): the same numbers as a plain TSNE."""
    from sklearn.manifold import TSNE

    rng = np.random.default_rng(3)
    scores = rng.dirichlet(np.ones(10) * 0.3, size=120)
    plain = TSNE(n_components=2, init="pca", perplexity=30.0, random_state=0).fit_transform(scores)
    np.testing.assert_allclose(project_images(scores), plain, rtol=0, atol=1e-9)
