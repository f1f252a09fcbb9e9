"""Turn any image a learner has into the model's input (CNN Explainer, Sect. 6.4).

Every source -- a path, bytes, a file object, a PIL image or a NumPy array --
goes through the same steps, in this order:

1. open it without decoding and refuse it if it is larger than
   :data:`MAX_PIXELS` (a decompression bomb would otherwise fill the memory)
   or longer and thinner than :data:`MAX_ASPECT_RATIO` allows (see
   :func:`check_dimensions`);
2. decode it and turn it upright (the EXIF orientation a phone writes);
3. make it RGB, compositing any transparency over white;
4. resize it keeping the aspect ratio so the *shorter* side fits, then crop
   the centre (the rule is spelled out in :func:`resize_plan`);
5. scale the values to [0, 1] (:func:`prepare_image`).

Anything that cannot become a picture raises :class:`~explainer_core.errors.ImageError`,
and only that, with a message a student can act on.
"""

from __future__ import annotations

import io
import math
import os
import re
import struct
import warnings
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ImageError

#: Largest image accepted, in pixels (width x height): room for a 48-megapixel
#: phone photo, while a crafted file claiming billions of pixels (a few bytes
#: on disk, gigabytes once decoded) is refused from its header alone.
MAX_PIXELS = 50_000_000

#: Longest side accepted, as a multiple of the shorter side. Fitting keeps the
#: shorter side, so the resized picture is about this many times the output:
#: a 4 KB PNG of 1 x 1,000,000 pixels would otherwise be resized to 64 x
#: 64,000,000 (12 GB) to keep 64 x 64. A 100:1 banner still fits.
MAX_ASPECT_RATIO = 100

#: Largest height or width of the output (the ``size`` of :func:`prepare_image`):
#: with :data:`MAX_ASPECT_RATIO` it bounds the resized picture by 512 x 51,200
#: pixels, less than :data:`MAX_PIXELS`, so fitting never costs more memory than
#: decoding an accepted picture.
MAX_OUTPUT_SIDE = 512

#: Colour that transparent pixels are composited over (see :func:`to_rgb`).
BACKGROUND = (255, 255, 255)

_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
#: First bytes of common formats, to tell a damaged picture from a non-picture.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
_SUPPORTED = "a path, bytes, a binary file object, a PIL image or a NumPy array"


# -- opening ------------------------------------------------------------------
def load_pil(source) -> Image.Image:
    """Decode ``source`` into an upright PIL image, still in its own colour mode.

    The result is a fresh in-memory image: no file stays open, and a PIL image
    passed in is never modified.
    """
    if isinstance(source, Image.Image):
        check_dimensions(source.width, source.height)
        try:
            source.load()
        except Exception as exc:  # a decoder fails in many ways on a bad file
            raise ImageError(f"This image could not be decoded; it may be damaged or incomplete ({exc}).") from exc
        return _upright(source)
    if isinstance(source, np.ndarray):
        return _from_array(source)
    data = _read_source(source)
    image = _open(data)
    try:
        check_dimensions(image.width, image.height)
        try:
            image.load()
        except Exception as exc:  # any decoder failure means "unreadable"
            raise ImageError(
                "This image file is damaged or incomplete and could not be decoded "
                f"({exc}). Try saving or downloading it again."
            ) from exc
        return _upright(image)
    finally:
        image.close()


def _read_source(source) -> io.BytesIO | str:
    """Bytes in memory, or a checked file name, for :func:`PIL.Image.open`."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if not data:
            raise ImageError("The image is empty (0 bytes): there is no picture to read.")
        return io.BytesIO(data)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.exists(path):
            hint = " Download it first: the book does not fetch images from the web." if "://" in path else ""
            raise ImageError(f"There is no file at {path}.{hint}")
        if os.path.isdir(path):
            raise ImageError(f"{path} is a folder, not an image file.")
        if os.path.getsize(path) == 0:
            raise ImageError(f"The image file {path} is empty (0 bytes).")
        return path
    if hasattr(source, "read"):
        try:
            data = source.read()
        except Exception as exc:  # a file-like object may fail its own way
            raise ImageError(f"The image could not be read from this file object ({exc}).") from exc
        if isinstance(data, str):
            raise ImageError("This file was opened as text; open images in binary mode: open(path, 'rb').")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ImageError(f"This file object gave {type(data).__name__}, not bytes; give {_SUPPORTED}.")
        return _read_source(data)
    raise ImageError(f"Cannot read an image from an object of type {type(source).__name__}; give {_SUPPORTED}.")


def _open(data: io.BytesIO | str) -> Image.Image:
    """Read only the header: the pixels are decoded after the size check."""
    try:
        # Pillow warns between its own limit and twice that: silence it, as
        # check_dimensions refuses those images with our limit. Above twice
        # its limit Pillow refuses to open, quoting its own limit, not ours.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(data)
    except Image.DecompressionBombError as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        raise ImageError(_too_large(f"{int(found.group(1)):,} pixels" if found else "billions of pixels")) from exc
    except UnidentifiedImageError as exc:
        raise ImageError(f"This file is not an image Pillow can read ({_guess_kind(data)}).") from exc
    except Exception as exc:  # a damaged header fails in many ways
        raise ImageError(
            f"This image file is damaged or incomplete ({exc}). Try saving or downloading it again."
        ) from exc


def _guess_kind(data: io.BytesIO | str) -> str:
    """A few words on what the unreadable data looks like, for the error message."""
    if isinstance(data, str):
        with open(data, "rb") as handle:
            head = handle.read(512)
    else:
        head = data.getvalue()[:512]
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return f"it starts like a {name} file but is damaged or incomplete; try saving or downloading it again"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in text or (text.startswith(b"<?xml") and b"svg" in head.lower()):
        return "it is an SVG drawing, which is made of shapes, not pixels; export it as PNG or JPEG first"
    if text.startswith((b"<!doctype html", b"<html")):
        return "it is a web page (HTML), not a picture; save the image itself instead"
    decoded = head.decode("utf-8", errors="replace")
    readable = sum((ch.isprintable() and ch != "\ufffd") or ch in "\t\r\n" for ch in decoded)
    if decoded and readable >= 0.95 * len(decoded):
        return "it is text, not a picture; use PNG, JPEG, GIF, BMP, TIFF or WebP"
    return "its format is not one Pillow knows; use PNG, JPEG, GIF, BMP, TIFF or WebP"


def _too_large(detail: str) -> str:
    return (
        f"This image is too large to open safely ({detail}). The book accepts images of up to "
        f"{MAX_PIXELS / 1e6:g} megapixels; shrink it first."
    )


def check_dimensions(width: int, height: int) -> None:
    """Refuse a picture from its size alone, before it is decoded (the browser port checks the same).

    In this order: more than :data:`MAX_PIXELS` pixels; no pixels; a long side
    more than :data:`MAX_ASPECT_RATIO` times the short side.
    """
    if width * height > MAX_PIXELS:
        raise ImageError(_too_large(f"{width} x {height} = {width * height:,} pixels"))
    if width == 0 or height == 0:
        raise ImageError(f"This image has no pixels ({width} x {height}).")
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise ImageError(
            f"This image is {width} x {height} pixels: its long side is more than {MAX_ASPECT_RATIO} times "
            "its short side, so the centre crop would keep almost nothing of it. "
            "Crop it to a less extreme shape first."
        )


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation, so a phone photo is not shown on its side.

    A damaged EXIF block is ignored rather than refused: the pixels are fine.
    """
    try:
        return ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, KeyError, TypeError, struct.error):
        return image.copy()


def _from_array(array: np.ndarray) -> Image.Image:
    """uint8 or float-in-[0, 1] arrays of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageError(
            f"An image array must have shape (height, width), (height, width, 3) for RGB or "
            f"(height, width, 4) for RGBA, not {array.shape}."
        )
    check_dimensions(array.shape[1], array.shape[0])
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise ImageError("This image array contains NaN or infinite values.")
        low, high = float(array.min()), float(array.max())
        if low < 0.0 or high > 1.0:
            raise ImageError(
                f"A float image array must hold values in [0, 1]; this one spans [{low:g}, {high:g}]. "
                "Divide by 255 if it holds 0-255 values."
            )
        array = np.floor(array.astype(np.float64) * 255.0 + 0.5).astype(np.uint8)
    elif array.dtype != np.uint8:
        raise ImageError(
            f"An image array must be uint8 (0-255) or float (0-1), not {array.dtype}; "
            "convert it with array.astype(np.uint8) or array / 255."
        )
    return Image.fromarray(np.ascontiguousarray(array))  # uint8: L, RGB or RGBA by shape


# -- colour -------------------------------------------------------------------
def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow colour mode as 8-bit RGB.

    Transparent pixels are composited over white because the model only knows
    opaque photos, and the RGB values hidden under a transparent pixel are
    arbitrary (often black): dropping the alpha would show the network a
    background the reader never saw. White is what a transparent picture looks
    like on the book's page, so the network sees what the reader sees.

    16-bit greyscale (``I;16``, and ``I`` as Pillow opens 16-bit PGM files)
    is scaled from 0-65535 to 0-255, as ``round(v / 257)``; Pillow's own
    conversion would clip everything above 255 to white.
    """
    if image.mode in _SIXTEEN_BIT_MODES:
        values = np.clip(np.asarray(image, dtype=np.float64), 0, 65535)
        image = Image.fromarray(np.floor(values / 257.0 + 0.5).astype(np.uint8))
    elif image.mode == "F":
        image = _from_array(np.asarray(image, dtype=np.float32))
    try:
        if image.mode == "RGB":
            return image
        if "A" in image.getbands() or "a" in image.getbands() or "transparency" in image.info:
            rgba = image.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (*BACKGROUND, 255))
            return Image.alpha_composite(background, rgba).convert("RGB")
        return image.convert("RGB")
    except ValueError as exc:
        raise ImageError(f"Images in Pillow's {image.mode!r} colour mode cannot be turned into RGB ({exc}).") from exc


# -- geometry -----------------------------------------------------------------
class ResizePlan(NamedTuple):
    """How a picture is fitted: resize to (width, height), then crop from (left, top)."""

    width: int
    height: int
    left: int
    top: int


def resize_plan(width: int, height: int, size: tuple[int, int]) -> ResizePlan:
    """The exact fitting rule for a ``width`` x ``height`` picture and ``size`` = (H, W).

    This is the contract the browser port must reproduce bit for bit::

        scale = max(W / width, H / height)           # the shorter side fits
        w' = max(W, floor(width  * scale + 0.5))     # round half up (JS Math.round)
        h' = max(H, floor(height * scale + 0.5))
        left = floor((w' - W) / 2); top = floor((h' - H) / 2)

    Rounding is half *up*, not Python's half-to-even ``round``, so that
    JavaScript's ``Math.round`` gives the same sizes. The resize itself is
    Pillow's ``BILINEAR``: a triangle filter on pixel centres, widened by the
    shrink factor when downscaling (so it averages, unlike a canvas'
    ``drawImage``), run horizontally then vertically with 8-bit rounding in
    between. No resize happens when (w', h') is already the picture's size.
    """
    out_height, out_width = _check_output_size(size)
    if width <= 0 or height <= 0:
        raise ImageError(f"This image has no pixels ({width} x {height}).")
    scale = max(out_width / width, out_height / height)
    new_width = max(out_width, math.floor(width * scale + 0.5))
    new_height = max(out_height, math.floor(height * scale + 0.5))
    return ResizePlan(new_width, new_height, (new_width - out_width) // 2, (new_height - out_height) // 2)


def _check_output_size(size) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in size)
        valid = (height, width) == tuple(size) and 0 < height <= MAX_OUTPUT_SIDE and 0 < width <= MAX_OUTPUT_SIDE
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ImageError(
            f"size must be (height, width) with two whole numbers from 1 to {MAX_OUTPUT_SIDE}, not {size!r}."
        )
    return height, width


# -- the model input ----------------------------------------------------------
def fit_rgb(source, size: tuple[int, int] = (64, 64)) -> np.ndarray:
    """``source`` fitted to ``size`` = (height, width) as a uint8 RGB array (see :func:`resize_plan`)."""
    out_height, out_width = _check_output_size(size)
    image = to_rgb(load_pil(source))
    plan = resize_plan(image.width, image.height, (out_height, out_width))
    if (plan.width, plan.height) != image.size:
        image = image.resize((plan.width, plan.height), Image.Resampling.BILINEAR)
    image = image.crop((plan.left, plan.top, plan.left + out_width, plan.top + out_height))
    return np.asarray(image, dtype=np.uint8)


def prepare_image(source, size: tuple[int, int] = (64, 64)) -> np.ndarray:
    """The model input: float32 array of shape (height, width, 3) in [0, 1]."""
    return fit_rgb(source, size).astype(np.float32) / np.float32(255.0)
