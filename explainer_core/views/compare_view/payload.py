"""One picture's numbers for the comparison view, as one binary block (VAC-CNN, Sect. 5.2).

The book is static, and a page must not carry every map of every gallery photo
(13 members x 5 methods x 20 photos). Each picture's block holds what the view
needs once the reader picks that picture:

* the photo as the models read it: 64 x 64 x 3 bytes (RGB, row by row);
* every member's map by every method: members x methods x 64 x 64 bytes, map x 255 rounded
  (the precomputed maps of :mod:`explainer_core.precompute`);
* the distances between every two members' maps, per method and per similarity rule:
  methods x rules x members x members float32, by :func:`explainer_core.compare.distance_matrix`
  on the maps / 255. The view slices the selected members' rows and columns and rescales
  them as :func:`explainer_core.compare.similarity.to_similarity` does; a distance between
  two maps does not depend on which other maps are compared, so the slice is the engine's
  matrix of the subset.

In the book, the Sphinx job :mod:`explainer_core.page.sphinxext.comparison_data` writes one
block per gallery photo (``_static/comparison/picture-NN.bin``) and a manifest; the view
carries the first picture's block and fetches another when the reader picks it. Outside the
book, the view carries the blocks it was given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from ...compare import RULES, distance_matrix
from ...errors import ExplanationError

__all__ = ["FOLDER", "Block", "block_from_bytes", "block_name", "manifest", "picture_block"]

#: Where the blocks live under the book's ``_static``.
FOLDER = "comparison"


@dataclass(frozen=True)
class Block:
    """One picture's numbers: ``pixels`` (H, W, 3) uint8, ``maps`` (members, methods, H, W) uint8,
    ``distances`` (methods, rules, members, members) float32."""

    pixels: np.ndarray
    maps: np.ndarray
    distances: np.ndarray

    def to_bytes(self) -> bytes:
        return self.pixels.tobytes() + self.maps.tobytes() + self.distances.tobytes()

    def columns(self) -> dict[str, np.ndarray]:
        """The block as flat arrays, as the view's store source carries them."""
        return {
            "pixels": self.pixels.reshape(-1),
            "maps": self.maps.reshape(-1),
            "distances": self.distances.reshape(-1),
        }


def block_name(index: int) -> str:
    """The file of picture ``index`` under ``_static/comparison/``."""
    return f"picture-{index:02d}.bin"


def picture_block(pixels: np.ndarray, maps: np.ndarray) -> Block:
    """The block of one picture from its 8-bit RGB ``pixels`` (H, W, 3) and its ``maps``.

    ``maps`` is (members, methods, H, W): uint8 (map x 255, as precomputed) or floats in [0, 1]
    (rounded to uint8 here, so a map computed on the spot is drawn as the precomputed ones are).
    """
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ExplanationError(
            f"The picture must be 8-bit RGB of shape (height, width, 3), not {pixels.dtype} of shape {pixels.shape}; "
            "a float picture in [0, 1] becomes one with np.round(picture * 255).astype(np.uint8)."
        )
    values = np.asarray(maps)
    if values.ndim != 4 or 0 in values.shape:
        raise ExplanationError(
            f"The maps must be (members, methods, height, width), not an array of shape {values.shape}."
        )
    if values.shape[2:] != pixels.shape[:2]:
        raise ExplanationError(
            f"The maps have {values.shape[2]}x{values.shape[3]} pixels but the picture {pixels.shape[0]}x"
            f"{pixels.shape[1]}: explain the picture the models read."
        )
    if values.dtype != np.uint8:
        if values.dtype.kind not in "fiu" or not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
            raise ExplanationError("Maps that are not uint8 (map x 255) must be finite numbers in [0, 1].")
        values = np.round(values * 255).astype(np.uint8)
    unit = values.astype(np.float64) / 255.0
    members, methods = values.shape[:2]
    distances = np.zeros((methods, len(RULES), members, members), dtype=np.float32)
    if members > 1:
        for k in range(methods):
            for r, rule in enumerate(RULES):
                distances[k, r] = distance_matrix(unit[:, k], rule)
    return Block(np.ascontiguousarray(pixels), np.ascontiguousarray(values), distances)


def block_from_bytes(data: bytes, members: int, methods: int, size: int = 64) -> Block:
    """A block read back from its bytes (what the browser reads)."""
    pixels_end = size * size * 3
    maps_end = pixels_end + members * methods * size * size
    expected = maps_end + 4 * methods * len(RULES) * members * members
    if len(data) != expected:
        raise ExplanationError(
            f"A block of {members} members and {methods} methods has {expected} bytes, not {len(data)}."
        )
    return Block(
        np.frombuffer(data[:pixels_end], np.uint8).reshape(size, size, 3),
        np.frombuffer(data[pixels_end:maps_end], np.uint8).reshape(members, methods, size, size),
        np.frombuffer(data[maps_end:], np.float32).reshape(methods, len(RULES), members, members),
    )


def manifest(members: list[str], methods: list[str], photos: list[dict], size: int = 64) -> str:
    """The JSON that says what the blocks hold, for a reader of ``_static/comparison/``."""
    return (
        json.dumps(
            {
                "members": members,
                "methods": methods,
                "rules": list(RULES),
                "size": size,
                "photos": [{"label": p["label"], "file": block_name(i)} for i, p in enumerate(photos)],
                "layout": "pixels (size, size, 3) uint8; maps (members, methods, size, size) uint8 = round(map * 255); "
                "distances (methods, rules, members, members) float32 little-endian",
            },
            indent=1,
        )
        + "\n"
    )


def gallery_pixels(photos: list[dict], data_path: str | None = None) -> np.ndarray:
    """The gallery photos of the precomputed index (``photos``), 8-bit as the models read them: (P, 64, 64, 3).

    Reads the data set (``$CNN_EXPLAINER_DATA`` unless ``data_path``) and checks every photo's
    sha256 against the index, so the maps are never drawn over another photo. Raises
    :class:`~explainer_core.errors.DatasetError` when the data set is missing.
    """
    import hashlib

    from ...data.preprocess import fit_rgb
    from ...data.tiny_imagenet import TinyImageNet
    from ...errors import DatasetError

    data = TinyImageNet(data_path)
    pixels = []
    for photo in photos:
        raw = data.read_bytes(photo["file"])
        if hashlib.sha256(raw).hexdigest() != photo["sha256"]:
            raise DatasetError(
                f"{photo['file']} in {data.path} is not the photo the maps were computed for; "
                "run python -m explainer_core.precompute --overwrite."
            )
        pixels.append(np.asarray(fit_rgb(raw), dtype=np.uint8))
    return np.stack(pixels)


def predictions(pixels: np.ndarray, members: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each zoo member's predicted class and its softmax output on 8-bit ``pixels`` (P, H, W, 3): (P, members) each.

    The models read pixels / 255, exactly the book's preprocessing (``prepare_image``).
    """
    from ...models.zoo import ZOO

    inputs = pixels.astype(np.float32) / np.float32(255.0)
    predicted, confidence = [], []
    for name in members:
        # a direct call rather than predict(): one graph per model, and no retracing warnings in the book's cells
        outputs = np.asarray(ZOO[name].load().keras_model(inputs, training=False), dtype=np.float64)
        predicted.append(outputs.argmax(axis=1))
        confidence.append(outputs.max(axis=1))
    return np.stack(predicted, axis=1), np.stack(confidence, axis=1)


def gallery_comparison(first: int = 0, data_path: str | None = None, folder: str | None = FOLDER):
    """The gallery's comparison as the book shows it: the zoo's cards, the precomputed maps, the photos
    (read from the data set) and the members' predictions on them; the view carries picture ``first``
    (every picture when ``folder`` is None). Raises DatasetError when the data set is missing."""
    from ...models.loading import card_path
    from ...models.zoo import ZOO
    from ...precompute import load
    from . import Comparison

    index, arrays = load()
    pixels = gallery_pixels(index["photos"], data_path)
    members = list(index["members"])
    cards = [json.loads(card_path(ZOO[name].path).read_text()) for name in members]
    predicted, confidence = predictions(pixels, members)
    carried = [first] if folder is not None else range(len(index["photos"]))
    blocks = {p: picture_block(pixels[p], arrays["maps"][:, :, p]) for p in carried}
    return Comparison(
        cards=cards,
        methods=list(index["methods"]),
        photos=index["photos"],
        predicted=predicted,
        confidence=confidence,
        blocks=blocks,
        folder=folder,
    )
