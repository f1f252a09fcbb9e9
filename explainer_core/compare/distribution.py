"""Where a model puts the classes relative to each other: VAC-CNN's distribution graph (Sect. 4.1, Algorithm 1).

Algorithm 1 turns a model's softmax outputs on labelled pictures (its
"confidence matrix") into distances between classes: class c is close to class
j when the model, shown pictures of c, gives j a high probability. t-SNE
(scikit-learn, precomputed distances, a fixed seed) then places the classes on
a plane. The distance matrix is a few lines of numpy; no library offers it.

With VAC-CNN's 1,000 classes the class-level graph shows clusters; with our
10 it is ten points, so :func:`project_images` also places every picture by
its softmax vector, which shows how well each class is separated and which
pictures sit between classes.
"""

from __future__ import annotations

import numpy as np
from sklearn.manifold import TSNE
from threadpoolctl import threadpool_limits

from ..errors import ExplanationError

__all__ = ["class_distances", "project_classes", "project_images"]


def class_distances(probabilities: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Algorithm 1: D[c, j] = 1 - mean softmax output for j over the pictures of c; zero diagonal; (D + D.T) / 2.

    ``probabilities`` is the (M, N) confidence matrix (one softmax row per
    picture), ``labels`` the M true classes. Every class needs at least one
    picture (the original would divide by zero).
    """
    scores = _probability_rows(probabilities)
    truth = np.asarray(labels)
    if not isinstance(num_classes, int | np.integer) or num_classes < 2:
        raise ExplanationError(f"num_classes must be a whole number of at least 2, not {num_classes!r}.")
    if scores.shape[1] != num_classes:
        raise ExplanationError(
            f"The confidence matrix has {scores.shape[1]} columns but there are {num_classes} classes; "
            "give one softmax output per class."
        )
    if truth.shape != (len(scores),) or truth.dtype.kind not in "iu":
        raise ExplanationError(
            f"labels must be {len(scores)} whole class indices, one per row of the confidence matrix, "
            f"not an array of shape {truth.shape} and type {truth.dtype}."
        )
    if truth.min() < 0 or truth.max() >= num_classes:
        raise ExplanationError(
            f"labels must be class indices from 0 to {num_classes - 1}, found {truth.min()} to {truth.max()}."
        )
    counts = np.bincount(truth, minlength=num_classes)
    if (counts == 0).any():
        missing = ", ".join(str(c) for c in np.flatnonzero(counts == 0))
        raise ExplanationError(f"Every class needs at least one picture; class(es) {missing} have none.")
    sums = np.zeros((num_classes, num_classes))
    np.add.at(sums, truth, scores)
    distances = 1.0 - sums / counts[:, None]
    np.fill_diagonal(distances, 0.0)
    return (distances + distances.T) / 2


def project_classes(distances: np.ndarray, seed: int = 0, perplexity: float | None = None) -> np.ndarray:
    """The (N, 2) t-SNE positions of N classes from their (N, N) distances.

    t-SNE needs a perplexity below the number of points; the default N / 3
    (3.3 for our 10 classes) lets each class feel about three neighbours.
    """
    values = np.asarray(distances, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] != values.shape[1] or len(values) < 2:
        raise ExplanationError(
            f"The class distances must be a square (N, N) matrix with N >= 2, not of shape {values.shape}."
        )
    if not np.isfinite(values).all() or (values < 0).any() or not np.allclose(values, values.T):
        raise ExplanationError(
            "The class distances must be finite, non-negative and symmetric, as class_distances returns them."
        )
    values = values.copy()
    np.fill_diagonal(values, 0.0)
    chosen = _perplexity(perplexity, len(values), len(values) / 3)
    tsne = TSNE(n_components=2, metric="precomputed", init="random", perplexity=chosen, random_state=seed)
    return _one_thread(tsne, values)


def project_images(probabilities: np.ndarray, seed: int = 0, perplexity: float | None = None) -> np.ndarray:
    """The (M, 2) t-SNE positions of M pictures from their softmax vectors (Euclidean distances, PCA start).

    The default perplexity is scikit-learn's 30, lowered to M / 3 for fewer
    than 90 pictures so that it stays below their number.
    """
    scores = _probability_rows(probabilities)
    if len(scores) < 2:
        raise ExplanationError("A projection needs at least two pictures.")
    chosen = _perplexity(perplexity, len(scores), min(30.0, len(scores) / 3))
    tsne = TSNE(n_components=2, init="pca", perplexity=chosen, random_state=seed)
    return _one_thread(tsne, scores)


def _one_thread(tsne: TSNE, values: np.ndarray) -> np.ndarray:
    """Fit on one OpenMP thread: the same positions, but scikit-learn's threads busy-wait on a loaded
    2-core machine (13 picture maps took 355 s there against 9 s on one thread)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        return tsne.fit_transform(values)


def _probability_rows(probabilities: np.ndarray) -> np.ndarray:
    scores = np.asarray(probabilities)
    if scores.ndim != 2 or 0 in scores.shape or scores.dtype.kind not in "biuf":
        raise ExplanationError(
            f"The confidence matrix must be numbers of shape (pictures, classes), one softmax row per picture, "
            f"not an array of shape {scores.shape}."
        )
    scores = scores.astype(np.float64)
    if not np.isfinite(scores).all() or scores.min() < 0 or scores.max() > 1:
        raise ExplanationError("The confidence matrix must hold probabilities in [0, 1] (the model's softmax outputs).")
    return scores


def _perplexity(perplexity: float | None, points: int, default: float) -> float:
    chosen = default if perplexity is None else perplexity
    if not 0 < chosen < points:
        raise ExplanationError(
            f"t-SNE needs a perplexity above 0 and below the number of points ({points}), not {chosen!r}."
        )
    return float(chosen)
