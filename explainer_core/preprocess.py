"""Turn any image a learner has into the model's input (CNN Explainer, Sect. 6.4).

The paper's rule: resize keeping the aspect ratio so the shorter side fits the
input, then crop the centre. Values are scaled to [0, 1].
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .errors import ImageError


def load_pil(source) -> Image.Image:
    """Open a path, bytes, file object, PIL image or array as a PIL image."""
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, np.ndarray):
        return Image.fromarray(source)
    try:
        if isinstance(source, (bytes, bytearray)):
            image = Image.open(io.BytesIO(source))
        else:
            image = Image.open(Path(source) if isinstance(source, str) else source)
        image.load()
    except (OSError, ValueError) as exc:
        raise ImageError(f"This file could not be read as an image ({exc}).") from exc
    return image


def fit_rgb(source, size: tuple[int, int] = (64, 64)) -> np.ndarray:
    """Resize (shorter side fits) and centre-crop to ``size`` = (height, width); uint8 RGB."""
    image = ImageOps.exif_transpose(load_pil(source)).convert("RGB")
    height, width = size
    scale = max(width / image.width, height / image.height)
    resized = (max(width, round(image.width * scale)), max(height, round(image.height * scale)))
    if resized != image.size:
        image = image.resize(resized, Image.Resampling.BILINEAR)
    left = (image.width - width) // 2
    top = (image.height - height) // 2
    image = image.crop((left, top, left + width, top + height))
    return np.asarray(image, dtype=np.uint8)


def prepare_image(source, size: tuple[int, int] = (64, 64)) -> np.ndarray:
    """The model input: float32 array of shape (height, width, 3) in [0, 1]."""
    return fit_rgb(source, size).astype(np.float32) / np.float32(255.0)
