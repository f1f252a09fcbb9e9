"""A stand-in for the Tiny ImageNet subset, for machines that do not have it.

Same layout, file names, counts and class ids as ``../shared/data/tiny-imagenet-10.zip``
(500 training and 25 validation JPEGs of 64x64 for each of the paper's ten classes),
but the pictures are generated: smooth random colour fields, a different one per
file. They exercise everything that reads the data set (layout, zip and folder,
labels, decoding, fingerprints, downloads, a training run) and nothing that needs
real photographs, such as the shipped model's accuracy.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from explainer_core.data.tiny_imagenet import PAPER_WNIDS

#: words.txt of the official archive, for the paper's classes.
WORDS = {
    "n01882714": "koala, koala bear, kangaroo bear, native bear, Phascolarctos cinereus",
    "n02165456": "ladybug, ladybeetle, lady beetle, ladybird, ladybird beetle",
    "n02509815": "lesser panda, red panda, panda, bear cat, cat bear, Ailurus fulgens",
    "n03662601": "lifeboat",
    "n04146614": "school bus",
    "n04285008": "sports car, sport car",
    "n07720875": "bell pepper",
    "n07747607": "orange",
    "n07873807": "pizza, pizza pie",
    "n07920052": "espresso",
}
TRAIN_PER_CLASS = 500
VAL_PER_CLASS = 25
SIDE = 64


def _picture(rng: np.random.Generator) -> bytes:
    """A 64x64 JPEG of a smooth random colour field (an 8x8 field enlarged, plus a little grain)."""
    coarse = Image.fromarray(rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8))
    pixels = np.asarray(coarse.resize((SIDE, SIDE), Image.Resampling.BILINEAR), dtype=np.int16)
    pixels = np.clip(pixels + rng.integers(-12, 13, size=pixels.shape), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def write_synthetic_tiny_imagenet(archive: Path, *, seed: int = 20201) -> Path:
    """Write the stand-in archive (top folder ``tiny-imagenet-10/``, as the shared zip has) and return it."""
    rng = np.random.default_rng(seed)
    top = "tiny-imagenet-10"
    wnids = sorted(PAPER_WNIDS)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
        out.writestr(f"{top}/wnids.txt", "".join(f"{w}\n" for w in wnids))
        out.writestr(f"{top}/words.txt", "".join(f"{w}\t{WORDS[w]}\n" for w in wnids))
        for wnid in wnids:
            boxes = []
            for n in range(TRAIN_PER_CLASS):
                name = f"{wnid}_{n}.JPEG"
                out.writestr(f"{top}/train/{wnid}/images/{name}", _picture(rng))
                boxes.append(f"{name}\t8\t8\t55\t55\n")
            out.writestr(f"{top}/train/{wnid}/{wnid}_boxes.txt", "".join(boxes))
        annotations = []
        for k in range(VAL_PER_CLASS * len(wnids)):
            wnid = wnids[k % len(wnids)]
            out.writestr(f"{top}/val/images/val_{k}.JPEG", _picture(rng))
            annotations.append(f"val_{k}.JPEG\t{wnid}\t8\t8\t55\t55\n")
        out.writestr(f"{top}/val/val_annotations.txt", "".join(annotations))
    return archive
