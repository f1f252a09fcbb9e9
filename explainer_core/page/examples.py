"""The default picture the chapters explain, and the one forward trace they share.

A real photograph: a validation image from the Tiny ImageNet data when it is
available at build time, else scikit-image's coffee cup (an espresso), so the
book builds on a machine with no data. :func:`default_example` says which, and
the chapters print that sentence under the image.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ..data.preprocess import fit_rgb, load_pil
from ..errors import DatasetError

#: The class of the validation image the book shows when the data set is there.
DATASET_EXAMPLE = ("first validation image of class", "espresso")


@dataclass(frozen=True)
class Example:
    """A picture as the learner sees it (``original``) and as the model reads it (``image``)."""

    original: np.ndarray
    image: np.ndarray
    caption: str
    label: str


def _from_dataset(size: tuple[int, int]) -> Example | None:
    from ..data.tiny_imagenet import TinyImageNet

    try:
        data = TinyImageNet()
    except DatasetError:
        return None
    files = [name for name, label in data.val_files() if data.class_names[label] == DATASET_EXAMPLE[1]]
    if not files:
        return None
    raw = data.read_bytes(files[0])
    original = np.asarray(load_pil(raw).convert("RGB"))
    return Example(
        original=original,
        image=fit_rgb(raw, size).astype(np.float32) / np.float32(255),
        caption=f"A photo of an espresso from the Tiny ImageNet validation set ({files[0].split('/')[-1]}).",
        label="espresso",
    )


def _from_scikit_image(size: tuple[int, int]) -> Example:
    from skimage import data as skdata

    original = skdata.coffee()
    fitted = fit_rgb(original, size)
    return Example(
        original=original,
        image=fitted.astype(np.float32) / np.float32(255),
        # no straight quotes here: Sphinx's smartquotes would curl them on the page
        caption="A photo of a cup of coffee from the scikit-image sample data (the Tiny ImageNet data "
        "was not available when this page was built).",
        label="espresso",
    )


@cache
def default_example(size: tuple[int, int] = (64, 64)) -> Example:
    """The book's default picture, from the data set if possible (see the module docstring)."""
    example = _from_dataset(size)
    return example or _from_scikit_image(size)


@cache
def shipped_network():
    """The shipped Tiny VGG as a :class:`~explainer_core.arithmetic.network.Network` (loaded once per process)."""
    from ..arithmetic.network import Network
    from ..models.loading import load_model

    return Network.from_loaded(load_model())


@cache
def default_trace():
    """The one forward pass of the default picture through the shipped model that every view reads."""
    from ..arithmetic.trace import trace

    network = shipped_network()
    return trace(network, default_example(network.input_shape[:2]).image)


def example_from(source, size: tuple[int, int] | None = None) -> Example:
    """Any picture a learner has (path, bytes, PIL image, array) as an :class:`Example`.

    This is the live-kernel twin of the page's upload button: the same
    preprocessing, and :class:`~explainer_core.errors.ImageError` with a plain
    message for anything that is not a usable picture.
    """
    from ..data.preprocess import to_rgb

    size = size or shipped_network().input_shape[:2]
    picture = to_rgb(load_pil(source))
    original = np.asarray(picture)
    fitted = fit_rgb(picture, size)
    return Example(
        original=original,
        image=fitted.astype(np.float32) / np.float32(255),
        caption="Your picture.",
        label="",
    )
