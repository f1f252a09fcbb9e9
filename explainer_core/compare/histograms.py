"""Colour intensity histograms of the salient region (VAC-CNN, Sect. 4.3, Fig. 4).

VAC-CNN removes the part of the picture below the threshold and plots how
often each intensity 0..255 occurs in each channel of what is left, to hint at
the colours and textures a model relies on. The original fixed the threshold
at 0.5 and offered it for one model and one method; here any threshold, map
and picture will do.

Only the kept pixels are counted: blacking out the removed region (as
:func:`remove_below` does for display) and counting the whole picture would add
one spike at 0 that says how much was removed, not what the model saw.
``np.bincount`` is the whole histogram; scikit-image's ``exposure.histogram``
would only add a range guess.
"""

from __future__ import annotations

import numpy as np

from ..errors import ExplanationError
from ._checks import check_map, check_same_size, check_threshold

__all__ = ["INTENSITIES", "salient_histograms"]

INTENSITIES = 256


def salient_histograms(picture: np.ndarray, explanation_map: np.ndarray, threshold: float) -> np.ndarray:
    """(3, 256) counts, per RGB channel, of the intensities of the pixels whose map value is >= threshold."""
    pixels = np.asarray(picture)
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ExplanationError(
            f"The picture must be an 8-bit RGB array of shape (height, width, 3), not {pixels.dtype} of shape "
            f"{pixels.shape}; a float picture in [0, 1] becomes one with np.round(picture * 255).astype(np.uint8)."
        )
    values = check_map(explanation_map)
    check_same_size(pixels, values)
    kept = pixels[values >= check_threshold(threshold)]  # (K, 3)
    return np.stack([np.bincount(kept[:, channel], minlength=INTENSITIES) for channel in range(3)]).astype(np.int64)
