"""What the comparison chapters show, computed once and kept under version control.

    python -m explainer_core.precompute              # writes model/comparison/ (refuses to replace it)
    python -m explainer_core.precompute --overwrite  # after retraining a member: redoes only the changed ones
    python -m explainer_core.precompute --overwrite --all  # everything again

Explaining 13 networks five ways takes minutes (BBMP optimises a mask per
picture), so the book reads the results instead of recomputing them on every
build. ``model/comparison/`` holds:

* ``gallery_maps.npz``: every zoo member's map by every method for each
  gallery photo (two validation photos per class), as uint8 (map x 255), and
  every member's softmax outputs on the 250 validation photos (float16) with
  their labels, for the distribution graph, and on the gallery photos, so a
  chapter knows each member's answers where the photos are not (Binder);
* ``index.json``: what those arrays are (members, methods, photos by file
  name and sha256, never the photos themselves: the data's images are not ours
  to publish), the faithfulness table (deletion and insertion areas per member
  and method, with a random map as the baseline) and a fingerprint of the
  models' files and the photos, so a stale file is noticed.

Every array is written to a temporary name and moved into place, so an
interrupted run leaves the previous files whole.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np

from .errors import ExplainerError
from .models.loading import MODEL_DIR

OUT_DIR = MODEL_DIR / "comparison"
MAPS_FILE = OUT_DIR / "gallery_maps.npz"
INDEX_FILE = OUT_DIR / "index.json"
#: Validation photos per class for the faithfulness table (50 in all: BBMP costs 300 steps a photo).
FAITHFULNESS_PER_CLASS = 5
CURVE_STEPS = 32


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def gallery(data) -> tuple[list[dict], np.ndarray]:
    """The gallery photos' names, labels and hashes, and their pixels as the models read them."""
    from .data.preprocess import prepare_image

    photos, pixels = [], []
    for name, label in data.gallery_files():
        raw = data.read_bytes(name)
        photos.append({"file": name, "label": data.class_names[label], "sha256": sha256(raw)})
        pixels.append(prepare_image(raw))
    return photos, np.stack(pixels).astype(np.float32)


def fingerprint(models: dict[str, str], photos: list[dict], methods: list[str]) -> str:
    """One hash of everything the maps depend on: the models' files, the photos and the methods."""
    parts = [f"{name}:{digest}" for name, digest in models.items()]
    parts += [photo["sha256"] for photo in photos] + methods
    return sha256("\n".join(parts).encode())


def maps_for(model, pictures: np.ndarray, methods: list[str]) -> np.ndarray:
    """(methods, pictures, H, W) uint8: each method's map of the predicted class, times 255, rounded."""
    from .explain import explain

    return np.stack([np.round(explain(method, model, pictures) * 255).astype(np.uint8) for method in methods])


def faithfulness(model, pictures: np.ndarray, methods: list[str], seed: int = 0) -> dict:
    """Mean deletion and insertion areas of each method's maps (and of random maps) for the predicted class.

    Deletion: lower is more faithful; insertion: higher is.
    """
    from skimage.transform import resize

    from .compare import area_under_curve, deletion_curve, insertion_curve
    from .explain import explain

    target = np.asarray(model.predict(pictures, verbose=0)).argmax(axis=1)
    rng = np.random.default_rng(seed)
    maps = {method: explain(method, model, pictures) for method in methods}
    # Two baselines a method must beat: random pixels (salt-and-pepper deletion hurts small CNNs a lot)
    # and random 8x8 cells upsampled like a class activation map (as coarse as the methods' maps).
    count, height, width = pictures.shape[:3]
    maps["random pixels"] = rng.random((count, height, width)).astype(np.float32)
    cells = rng.random((count, 8, 8))
    maps["random cells"] = np.stack([resize(cell, (height, width), order=1) for cell in cells]).astype(np.float32)
    table = {}
    for method, method_maps in maps.items():
        deletion = area_under_curve(deletion_curve(model, pictures, method_maps, target, steps=CURVE_STEPS))
        insertion = area_under_curve(insertion_curve(model, pictures, method_maps, target, steps=CURVE_STEPS))
        table[method] = {
            "deletion": round(float(np.mean(deletion)), 4),
            "insertion": round(float(np.mean(insertion)), 4),
        }
    return table


def _outputs(model, pictures: np.ndarray) -> np.ndarray:
    """A member's softmax outputs, kept as float16 (the chapters read classes and rounded shares)."""
    return np.asarray(model.predict(pictures, verbose=0), dtype=np.float16)


def first_per_class(labels: np.ndarray, per_class: int) -> np.ndarray:
    """Indices of the first ``per_class`` pictures of every class, in order."""
    return np.concatenate([np.flatnonzero(labels == label)[:per_class] for label in np.unique(labels)])


def _reusable(photos: list[dict], methods: list[str]) -> tuple[dict, dict[str, np.ndarray]] | None:
    """The previous results, when they hold every array and were computed on the same photos and methods (else None)."""
    try:
        index, arrays = load()
    except (ExplainerError, OSError, ValueError, KeyError):
        return None
    if index.get("photos") != photos or index.get("methods") != methods or "gallery_probabilities" not in arrays:
        return None
    return index, arrays


def precompute(data_path: str | None = None, overwrite: bool = False, progress=print, everything: bool = False) -> dict:
    """Compute and write ``model/comparison/``; return the index.

    With ``overwrite``, a member whose model file has the sha256 the previous index
    recorded (same photos, same methods) keeps its previous rows, so retraining one
    member costs one member's work; ``everything`` recomputes them all.
    """
    from .data.tiny_imagenet import TinyImageNet
    from .explain import METHODS
    from .models.zoo import ZOO

    if INDEX_FILE.exists() and not overwrite:
        raise ExplainerError(f"{INDEX_FILE} already exists; add --overwrite to compute it again.")
    missing = [name for name, entry in ZOO.items() if not entry.path.exists()]
    if missing:
        raise ExplainerError(f"These zoo members are not trained yet: {', '.join(missing)} (make zoo).")
    data = TinyImageNet(data_path)
    photos, pictures = gallery(data)
    val = data.load("val")
    val_pictures = val.images.astype(np.float32) / 255.0
    chosen = first_per_class(val.labels, FAITHFULNESS_PER_CLASS)
    methods = list(METHODS)
    previous = None if everything else _reusable(photos, methods)
    maps, probabilities, gallery_probabilities, table, digests = [], [], [], {}, {}
    for index, (name, entry) in enumerate(ZOO.items(), start=1):
        started = time.perf_counter()
        digests[name] = sha256(entry.path.read_bytes())
        if previous is not None and previous[0]["model_sha256"].get(name) == digests[name]:
            row = previous[0]["members"].index(name)
            maps.append(previous[1]["maps"][row])
            probabilities.append(previous[1]["val_probabilities"][row])
            gallery_probabilities.append(previous[1]["gallery_probabilities"][row])
            table[name] = previous[0]["faithfulness"]["table"][name]
            progress(f"[{index}/{len(ZOO)}] {name}: unchanged, kept")
            continue
        model = entry.load().keras_model
        maps.append(maps_for(model, pictures, methods))
        probabilities.append(_outputs(model, val_pictures))
        gallery_probabilities.append(_outputs(model, pictures))
        table[name] = faithfulness(model, val_pictures[chosen], methods)
        progress(f"[{index}/{len(ZOO)}] {name}: {time.perf_counter() - started:.0f} s")
    index = {
        "members": list(ZOO),
        "methods": methods,
        "photos": photos,
        "class_names": list(data.class_names),
        "model_sha256": digests,
        "fingerprint": fingerprint(digests, photos, methods),
        "maps": "gallery_maps.npz: maps (members, methods, photos, 64, 64) uint8 = round(map * 255); "
        "val_probabilities (members, 250, classes) float16; val_labels (250,); "
        "gallery_probabilities (members, photos, classes) float16",
        "faithfulness": {
            "pictures": f"the first {FAITHFULNESS_PER_CLASS} validation photos of each class ({len(chosen)})",
            "target": "each member's predicted class",
            "steps": CURVE_STEPS,
            "table": table,
        },
    }
    _write(
        {
            "maps": np.stack(maps),
            "val_probabilities": np.stack(probabilities),
            "val_labels": val.labels,
            "gallery_probabilities": np.stack(gallery_probabilities),
        },
        index,
    )
    return index


def _write(arrays: dict[str, np.ndarray], index: dict) -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    tmp_maps, tmp_index = OUT_DIR / ".gallery_maps.tmp.npz", OUT_DIR / ".index.json.tmp"
    try:
        np.savez_compressed(tmp_maps, **arrays)
        tmp_index.write_text(json.dumps(index, indent=1) + "\n")
        os.replace(tmp_maps, MAPS_FILE)
        os.replace(tmp_index, INDEX_FILE)
    finally:
        tmp_maps.unlink(missing_ok=True)
        tmp_index.unlink(missing_ok=True)


def load() -> tuple[dict, dict[str, np.ndarray]]:
    """The index and the arrays, as written by :func:`precompute`."""
    if not INDEX_FILE.exists() or not MAPS_FILE.exists():
        raise ExplainerError(f"{OUT_DIR} holds no precomputed explanations: run python -m explainer_core.precompute.")
    with np.load(MAPS_FILE) as arrays:
        return json.loads(INDEX_FILE.read_text()), {key: arrays[key] for key in arrays.files}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explainer_core.precompute", description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="Tiny ImageNet folder or zip (default: $CNN_EXPLAINER_DATA)")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace model/comparison/ if it exists, recomputing only the members whose model file changed",
    )
    parser.add_argument("--all", action="store_true", help="with --overwrite: recompute every member")
    args = parser.parse_args(argv)
    try:
        index = precompute(
            args.data, args.overwrite, progress=lambda line: print(line, flush=True), everything=args.all
        )
    except ExplainerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    written = f"{os.path.relpath(MAPS_FILE)} and {os.path.relpath(INDEX_FILE)}"
    print(f"wrote {written} (fingerprint {index['fingerprint'][:12]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
