"""Any picture a learner has becomes the model's input (explainer_core.data.preprocess)."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from explainer_core.data import preprocess
from explainer_core.data.preprocess import fit_rgb, load_pil, prepare_image, resize_plan
from explainer_core.errors import ImageError

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def _png(image: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **params)
    return buffer.getvalue()


def _encoded(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _check_input(array: np.ndarray, size=(64, 64)) -> None:
    assert array.shape == (*size, 3)
    assert array.dtype == np.float32
    assert 0.0 <= array.min() and array.max() <= 1.0


# -- every source type --------------------------------------------------------
def _quadrants(size: int = 64) -> np.ndarray:
    """Red, green / blue, white quadrants: any flip, rotation or channel swap shows."""
    pattern = np.zeros((size, size, 3), dtype=np.uint8)
    half = size // 2
    pattern[:half, :half], pattern[:half, half:] = RED, GREEN
    pattern[half:, :half], pattern[half:, half:] = BLUE, WHITE
    return pattern


def _as_path(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "picture.png"
    path.write_bytes(data)
    return path


SOURCES = {
    "str-path": lambda tmp_path, png: str(_as_path(tmp_path, png)),
    "pathlib-path": lambda tmp_path, png: _as_path(tmp_path, png),
    "bytes": lambda tmp_path, png: png,
    "bytearray": lambda tmp_path, png: bytearray(png),
    "memoryview": lambda tmp_path, png: memoryview(png),
    "bytesio": lambda tmp_path, png: io.BytesIO(png),
    "open-file": lambda tmp_path, png: open(_as_path(tmp_path, png), "rb"),
    "pil-image": lambda tmp_path, png: Image.open(io.BytesIO(png)),
    "array": lambda tmp_path, png: _quadrants(),
}


@pytest.mark.parametrize("kind", SOURCES)
def test_every_kind_of_source_gives_the_same_input(tmp_path, kind):
    source = SOURCES[kind](tmp_path, _png(Image.fromarray(_quadrants())))
    try:
        result = prepare_image(source)
    finally:
        if hasattr(source, "close"):
            source.close()
    _check_input(result)
    assert np.array_equal(result, _quadrants().astype(np.float32) / 255)


def test_a_pil_image_passed_in_is_left_as_it_was():
    image = Image.new("RGBA", (40, 20), (10, 20, 30, 0))
    prepare_image(image)
    assert image.mode == "RGBA" and image.size == (40, 20) and image.getpixel((0, 0)) == (10, 20, 30, 0)


def test_load_pil_keeps_the_mode_and_closes_nothing_it_did_not_open(tmp_path):
    path = _as_path(tmp_path, _png(Image.new("LA", (5, 3), (7, 128))))
    image = load_pil(path)
    assert image.mode == "LA" and image.size == (5, 3) and image.getpixel((0, 0)) == (7, 128)


# -- every colour mode ----------------------------------------------------------
def _palette(transparent: bool = True) -> Image.Image:
    """Left half palette index 0 (green, marked transparent if asked), right half index 1 (red)."""
    image = Image.new("P", (64, 64), 0)
    image.putpalette([*GREEN, *RED] + [0] * 762)
    image.paste(1, (32, 0, 64, 64))
    if transparent:
        image.info["transparency"] = 0
    return image


def _rgba_half_transparent() -> Image.Image:
    """Left half opaque red, right half fully transparent black."""
    array = np.zeros((64, 64, 4), dtype=np.uint8)
    array[:, :32] = (*RED, 255)
    return Image.fromarray(array, "RGBA")


# name -> (image, expected left-half colour, expected right-half colour)
MODES = {
    "RGB": (lambda: Image.new("RGB", (64, 64), (12, 34, 56)), (12, 34, 56), (12, 34, 56)),
    "L": (lambda: Image.new("L", (64, 64), 100), (100,) * 3, (100,) * 3),
    "LA-transparent": (lambda: Image.new("LA", (64, 64), (0, 0)), WHITE, WHITE),
    "LA-opaque": (lambda: Image.new("LA", (64, 64), (70, 255)), (70,) * 3, (70,) * 3),
    "RGBA": (_rgba_half_transparent, RED, WHITE),
    "RGBA-half-alpha": (lambda: Image.new("RGBA", (64, 64), (0, 0, 0, 128)), (127,) * 3, (127,) * 3),
    "P": (lambda: _palette(transparent=False), GREEN, RED),
    "P-transparency": (_palette, WHITE, RED),
    "PA": (lambda: _palette().convert("PA"), WHITE, RED),
    "CMYK": (lambda: Image.new("CMYK", (64, 64), (255, 0, 0, 0)), (0, 255, 255), (0, 255, 255)),
    "1": (lambda: Image.new("1", (64, 64), 1), WHITE, WHITE),
    "I;16": (lambda: Image.fromarray(np.full((64, 64), 257 * 200, np.uint16)), (200,) * 3, (200,) * 3),
    "I": (lambda: Image.fromarray(np.full((64, 64), 257 * 30, np.int32)), (30,) * 3, (30,) * 3),
    "F": (lambda: Image.fromarray(np.full((64, 64), 0.5, np.float32)), (128,) * 3, (128,) * 3),
    "YCbCr": (lambda: Image.new("RGB", (64, 64), (12, 34, 56)).convert("YCbCr"), (12, 34, 56), (12, 34, 56)),
}


NOT_IN_PNG = ("PA", "CMYK", "F", "YCbCr", "I")  # "I" comes from 16-bit PGM: see the gradient test


@pytest.mark.parametrize(
    ("name", "via"),
    [(name, "memory") for name in MODES] + [(name, "png-file") for name in MODES if name not in NOT_IN_PNG],
)
def test_every_colour_mode_becomes_rgb_with_the_right_colours(tmp_path, name, via):
    make, left, right = MODES[name]
    image = make() if via == "memory" else _as_path(tmp_path, _png(make()))
    result = fit_rgb(image)
    assert result.shape == (64, 64, 3) and result.dtype == np.uint8
    # One level of rounding in Pillow's conversions; YCbCr's round trip loses a little more.
    tolerance = 3 if name == "YCbCr" else 1
    assert np.abs(result[:, :28].astype(int) - left).max() <= tolerance, result[0, 0]
    assert np.abs(result[:, 36:].astype(int) - right).max() <= tolerance, result[0, -1]


def test_a_one_bit_image_keeps_its_black_and_white_pixels():
    checker = (np.indices((64, 64)).sum(axis=0) % 2).astype(bool)
    result = fit_rgb(Image.fromarray(checker))
    assert np.array_equal(result[..., 0], checker * np.uint8(255))


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])
def test_a_cmyk_file_is_converted_to_rgb(tmp_path, fmt):
    path = tmp_path / f"cyan.{fmt.lower()}"
    Image.new("CMYK", (64, 64), (255, 0, 0, 0)).save(path, fmt)
    assert np.abs(fit_rgb(path).astype(int) - (0, 255, 255)).max() <= 3


@pytest.mark.parametrize("fmt", ["GIF", "PNG"])
def test_a_transparent_palette_file_is_composited_over_white(tmp_path, fmt):
    path = tmp_path / f"logo.{fmt.lower()}"
    _palette().save(path, fmt, transparency=0)
    result = fit_rgb(path)
    assert (result[:, :30] == WHITE).all() and (result[:, 34:] == RED).all()


@pytest.mark.parametrize(("fmt", "mode"), [("png", "I;16"), ("pgm", "I"), ("tiff", "I;16")])
def test_a_16_bit_gradient_is_scaled_not_clipped(tmp_path, fmt, mode):
    values = np.round(np.linspace(0, 65535, 64)).astype(np.uint16)
    path = tmp_path / f"gradient.{fmt}"
    Image.fromarray(np.tile(values, (64, 1))).save(path)
    with Image.open(path) as stored:
        assert stored.mode == mode  # the modes Pillow gives 16-bit files
    result = prepare_image(path)
    _check_input(result)
    expected = np.floor(values / 257 + 0.5) / 255
    assert np.allclose(result[0, :, 0], expected, atol=1e-6)
    assert result[0, 0, 0] == 0.0 and result[0, -1, 0] == 1.0
    assert np.all(np.diff(result[0, :, 0]) > 0)  # a ramp, not a white wall


# -- EXIF orientation -----------------------------------------------------------
# The EXIF spec's meaning of each orientation, as the change that makes the stored pixels upright.
UPRIGHT = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: np.rot90(a[:, ::-1], k=1),  # mirror, then a quarter turn anticlockwise
    6: lambda a: np.rot90(a, k=-1),  # a quarter turn clockwise
    7: lambda a: np.rot90(a[:, ::-1], k=-1),  # mirror, then a quarter turn clockwise
    8: lambda a: np.rot90(a, k=1),  # a quarter turn anticlockwise
}


def _with_orientation(image: Image.Image, orientation: int, fmt: str = "PNG") -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return _encoded(image, fmt, exif=exif, **({"quality": 95} if fmt == "JPEG" else {}))


@pytest.mark.parametrize("orientation", UPRIGHT)
def test_exif_orientation_is_applied(orientation):
    stored = _quadrants()
    result = fit_rgb(_with_orientation(Image.fromarray(stored), orientation))
    assert np.array_equal(result, UPRIGHT[orientation](stored))


def test_a_phone_photo_taken_upright_comes_out_upright():
    """Stored landscape, red left and blue right, tagged "rotate 90 degrees clockwise"."""
    stored = np.zeros((64, 128, 3), dtype=np.uint8)
    stored[:, :64], stored[:, 64:] = RED, BLUE
    result = fit_rgb(_with_orientation(Image.fromarray(stored), 6, "JPEG"))
    # Upright it is portrait, red on top; the centre crop keeps both halves.
    assert np.abs(result[:28].astype(int) - RED).max() < 20
    assert np.abs(result[36:].astype(int) - BLUE).max() < 20


def test_a_damaged_exif_block_does_not_stop_the_picture(monkeypatch):
    def broken(image):
        raise SyntaxError("not a TIFF file")

    monkeypatch.setattr(preprocess.ImageOps, "exif_transpose", broken)
    assert np.array_equal(fit_rgb(_png(Image.fromarray(_quadrants()))), _quadrants())


# -- NumPy arrays ---------------------------------------------------------------
ARRAYS = {
    "uint8-HxW": (np.full((64, 64), 200, np.uint8), (200,) * 3),
    "uint8-HxWx1": (np.full((64, 64, 1), 90, np.uint8), (90,) * 3),
    "uint8-HxWx3": (np.full((64, 64, 3), (1, 2, 3), np.uint8), (1, 2, 3)),
    "uint8-HxWx4-opaque": (np.full((64, 64, 4), (9, 8, 7, 255), np.uint8), (9, 8, 7)),
    "uint8-HxWx4-transparent": (np.full((64, 64, 4), (9, 8, 7, 0), np.uint8), WHITE),
    "float64-HxW": (np.full((64, 64), 0.5), (128,) * 3),
    "float32-HxWx3": (np.full((64, 64, 3), (0.0, 1.0, 0.25), np.float32), (0, 255, 64)),
    "float16-HxWx3": (np.full((64, 64, 3), (1.0, 0.0, 0.0), np.float16), RED),
}


@pytest.mark.parametrize("name", ARRAYS)
def test_arrays_of_the_documented_kinds_are_accepted(name):
    array, colour = ARRAYS[name]
    result = prepare_image(array)
    _check_input(result)
    assert np.allclose(result, np.array(colour) / 255, atol=1 / 255 + 1e-6)


BAD_ARRAYS = {
    "nan": (np.full((8, 8, 3), np.nan), "NaN or infinite"),
    "inf": (np.full((8, 8), np.inf), "NaN or infinite"),
    "float-above-one": (np.full((8, 8, 3), 255.0), r"\[0, 1\].*\[255, 255\]"),
    "float-negative": (np.full((8, 8), -0.5), r"\[0, 1\]"),
    "int64": (np.zeros((8, 8, 3), np.int64), "uint8 .* or float .* not int64"),
    "bool": (np.zeros((8, 8), bool), "not bool"),
    "two-channels": (np.zeros((8, 8, 2), np.uint8), r"not \(8, 8, 2\)"),
    "five-channels": (np.zeros((8, 8, 5), np.uint8), r"not \(8, 8, 5\)"),
    "one-dimensional": (np.zeros(64, np.uint8), r"not \(64,\)"),
    "batch": (np.zeros((2, 8, 8, 3), np.uint8), r"not \(2, 8, 8, 3\)"),
    "no-pixels": (np.zeros((0, 8, 3), np.uint8), "no pixels"),
}


@pytest.mark.parametrize("name", BAD_ARRAYS)
def test_arrays_of_other_kinds_are_an_image_error(name):
    array, message = BAD_ARRAYS[name]
    with pytest.raises(ImageError, match=message):
        prepare_image(array)


# -- aspect ratio and the centre crop ---------------------------------------------
def _thirds(width: int, height: int, vertical: bool = False) -> np.ndarray:
    """Red, green, blue thirds across (or down, with ``vertical``) the picture."""
    array = np.zeros((height, width, 3), dtype=np.uint8)
    length = height if vertical else width
    cuts = [0, round(length / 3), round(2 * length / 3), length]
    for colour, start, stop in zip((RED, GREEN, BLUE), cuts, cuts[1:], strict=False):
        if vertical:
            array[start:stop] = colour
        else:
            array[:, start:stop] = colour
    return array


def test_a_wide_picture_keeps_its_centre():
    # 128 x 64 fits at scale 1; the crop takes columns 32..95: 11 red, 42 green, 11 blue.
    result = fit_rgb(_thirds(128, 64))
    assert (result[:, :11] == RED).all()
    assert (result[:, 11:53] == GREEN).all()
    assert (result[:, 53:] == BLUE).all()


def test_a_large_wide_picture_is_shrunk_then_cropped():
    result = fit_rgb(_thirds(384, 192))  # halved to 128 x 64 on the way
    assert (np.abs(result[:, 2:9].astype(int) - RED) <= 2).all()
    assert (np.abs(result[:, 14:50].astype(int) - GREEN) <= 2).all()
    assert (np.abs(result[:, 56:].astype(int) - BLUE) <= 2).all()


def test_a_tall_picture_keeps_its_middle_band():
    result = fit_rgb(_thirds(64, 128, vertical=True))
    assert (result[:11] == RED).all() and (result[11:53] == GREEN).all() and (result[53:] == BLUE).all()


def test_a_small_picture_is_enlarged_to_fill_the_input():
    result = fit_rgb(_thirds(48, 16))  # scale 4: 192 x 64, crop columns 64..127 = the green third
    assert (np.abs(result[:, 3:61].astype(int) - GREEN) <= 2).all()


@pytest.mark.parametrize("size", [(64, 64), (32, 48), (48, 32), (227, 227), (1, 5)])
def test_the_output_size_is_any_height_and_width(size):
    result = prepare_image(_thirds(100, 70), size=size)
    _check_input(result, size)


@pytest.mark.parametrize(
    ("width", "height", "size", "plan"),
    [
        (64, 64, (64, 64), (64, 64, 0, 0)),
        (128, 64, (64, 64), (128, 64, 32, 0)),
        (64, 128, (64, 64), (64, 128, 0, 32)),
        (100, 40, (64, 64), (160, 64, 48, 0)),
        (5, 2, (5, 5), (13, 5, 4, 0)),  # 12.5 rounds half up, as Math.round does; round() would give 12
        (3, 7, (64, 64), (64, 149, 0, 42)),  # 149.33 -> 149, top = floor(85 / 2)
        (640, 480, (32, 48), (48, 36, 0, 2)),
        (1000, 10, (64, 64), (6400, 64, 3168, 0)),
    ],
)
def test_resize_plan_follows_the_documented_rule(width, height, size, plan):
    assert resize_plan(width, height, size) == plan


@pytest.mark.parametrize("size", [(0, 64), (64,), (64, 64, 3), (-1, 4), (6.5, 4), "64x64", None, (513, 64), (8, 513)])
def test_a_bad_output_size_is_an_image_error(size):
    with pytest.raises(ImageError, match="size must be"):
        prepare_image(np.zeros((8, 8), np.uint8), size=size)


@pytest.mark.parametrize(
    ("width", "height", "plan"),
    [
        (120, 90, (85, 64, 10, 0)),
        (4000, 3000, (85, 64, 10, 0)),
        (1000, 750, (85, 64, 10, 0)),
        (150, 90, (107, 64, 21, 0)),
        (90, 150, (64, 107, 0, 21)),
        (640, 480, (85, 64, 10, 0)),
    ],
)
def test_bilinear_resampling_of_ordinary_photos_is_pillows(width, height, plan):
    """The whole picture is resized, then cropped: the bytes the browser port reproduces."""
    array = np.random.default_rng(width).integers(0, 256, (height, width, 3), dtype=np.uint8)
    assert resize_plan(width, height, (64, 64)) == plan
    new_width, new_height, left, top = plan
    expected = Image.fromarray(array).resize((new_width, new_height), Image.Resampling.BILINEAR)
    expected = expected.crop((left, top, left + 64, top + 64))
    assert np.array_equal(fit_rgb(array), np.asarray(expected))


# -- long, thin pictures and huge outputs: bounded by what is kept ------------------------
class Decoded(BaseException):
    """Raised by the spies below, past every ``except Exception``, if a test reaches the pixels."""


@pytest.fixture
def no_decoding(monkeypatch):
    def refuse(self):
        raise Decoded(f"a {self.size[0]} x {self.size[1]} picture was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.fixture
def bounded_resize(monkeypatch):
    """Pillow may not be asked for a resized picture larger than MAX_PIXELS (memory, not time)."""
    original = Image.Image.resize

    def resize(self, size, *args, **kwargs):
        if size[0] * size[1] > preprocess.MAX_PIXELS:
            raise Decoded(f"a resize to {size[0]} x {size[1]} was asked for")
        return original(self, size, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "resize", resize)


def _blank_png(width: int, height: int) -> bytes:
    """A real, complete PNG of ``width`` x ``height`` black pixels: a few kilobytes at most."""
    return _png(Image.new("RGB", (width, height)))


LONG_AND_THIN = [(1, 1_000_000), (40_000, 1), (1001, 10)]
THIN_MESSAGE = "long side is more than 100 times its short side"


@pytest.mark.parametrize(("width", "height"), LONG_AND_THIN)
def test_a_long_thin_file_is_refused_before_decoding(tmp_path, no_decoding, width, height):
    data = _blank_png(width, height)
    assert len(data) < 5000
    for source in (data, _as_path(tmp_path, data)):
        with pytest.raises(ImageError, match=THIN_MESSAGE) as caught:
            prepare_image(source)
        assert f"{width} x {height} pixels" in str(caught.value)
        assert "Crop it to a less extreme shape first" in str(caught.value)


@pytest.mark.parametrize(("width", "height"), LONG_AND_THIN)
def test_a_long_thin_array_or_pil_image_is_refused_too(bounded_resize, width, height):
    for source in (np.zeros((height, width, 3), np.uint8), Image.new("RGB", (width, height))):
        with pytest.raises(ImageError, match=THIN_MESSAGE):
            prepare_image(source)


@pytest.mark.parametrize(("width", "height"), [(1000, 10), (10, 1000), (100, 1), (1, 100), (64, 1)])
def test_a_picture_up_to_the_aspect_limit_is_fitted(bounded_resize, width, height):
    result = fit_rgb(_blank_png(width, height))
    assert result.shape == (64, 64, 3) and (result == 0).all()


LIMITED_MEMORY = """
import resource, sys
from explainer_core.errors import ImageError
from explainer_core.data.preprocess import prepare_image
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GiB for the whole process
for path in sys.argv[1:]:
    try:
        prepare_image(path)
    except ImageError as exc:
        print("ImageError:", exc)
    except MemoryError:
        print("MemoryError")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="address-space limits as Linux sets them")
def test_long_thin_files_are_refused_within_a_gigabyte_of_memory(tmp_path):
    """Before the fix, the 4 KB file asked for 12 GB: here that is a MemoryError, not an ImageError."""
    paths = []
    for width, height in [(1, 1_000_000), (40_000, 1)]:
        paths.append(tmp_path / f"thin_{width}x{height}.png")
        paths[-1].write_bytes(_blank_png(width, height))
    done = subprocess.run(
        [sys.executable, "-c", LIMITED_MEMORY, *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("ImageError:") and THIN_MESSAGE in line for line in lines), lines


def test_a_huge_output_size_is_refused_before_anything_is_resized(bounded_resize):
    for size in [(100_000, 100_000), (64, 10**9), (513, 513)]:
        with pytest.raises(ImageError, match="size must be .* whole numbers from 1 to 512"):
            prepare_image(np.zeros((8, 8, 3), np.uint8), size=size)
    _check_input(prepare_image(np.zeros((8, 8, 3), np.uint8), size=(512, 512)), (512, 512))


@pytest.mark.parametrize("picture", [(1, 100), (100, 1), (1, 1), (7, 700), (499, 5)])
@pytest.mark.parametrize("size", [(512, 512), (1, 512), (512, 1), (1, 1), (64, 64)])
def test_the_resized_picture_is_never_larger_than_max_pixels(picture, size):
    """At the two limits together, fitting costs no more memory than decoding an accepted picture."""
    assert preprocess.MAX_ASPECT_RATIO == 100 and preprocess.MAX_OUTPUT_SIDE == 512
    plan = resize_plan(*picture, size)
    assert plan.width * plan.height <= 512 * 51_200 < preprocess.MAX_PIXELS


# -- what is not a picture ------------------------------------------------------------
def _truncated(fmt: str) -> bytes:
    noise = Image.fromarray(np.random.default_rng(1).integers(0, 256, (96, 96, 3), dtype=np.uint8))
    data = _encoded(noise, fmt)
    return data[: len(data) // 2]


NOT_PICTURES = {
    "empty-bytes": (lambda tmp: b"", "empty"),
    "empty-file": (lambda tmp: _as_path(tmp, b""), "empty"),
    "missing-file": (lambda tmp: tmp / "nowhere.png", "no file at"),
    "a-folder": (lambda tmp: tmp, "is a folder"),
    "url": (lambda tmp: "https://example.org/cat.png", "does not fetch images from the web"),
    "svg": (
        lambda tmp: b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>',
        "not an image Pillow can read .*SVG",
    ),
    "html": (lambda tmp: b"<!DOCTYPE html><html><body>404</body></html>", "not an image Pillow can read .*web page"),
    "text": (lambda tmp: b"a shopping list\nmilk\neggs\n", "not an image Pillow can read .*text"),
    "binary": (lambda tmp: bytes(range(256)) * 4, "not an image Pillow can read .*format"),
    "truncated-png": (lambda tmp: _truncated("PNG"), "damaged or incomplete"),
    "truncated-jpeg": (lambda tmp: _truncated("JPEG"), "damaged or incomplete"),
    "header-only-png": (lambda tmp: _truncated("PNG")[:40], "damaged or incomplete"),
    "text-mode-file": (lambda tmp: io.StringIO("not bytes"), "opened as text"),
    "none": (lambda tmp: None, "object of type NoneType"),
    "number": (lambda tmp: 42, "object of type int"),
}


@pytest.mark.parametrize("name", NOT_PICTURES)
def test_what_is_not_a_picture_is_an_image_error(tmp_path, name):
    make, message = NOT_PICTURES[name]
    with pytest.raises(ImageError, match=message):
        prepare_image(make(tmp_path))


def test_an_unreadable_lazy_pil_image_is_an_image_error():
    image = Image.open(io.BytesIO(_truncated("PNG")))
    with pytest.raises(ImageError, match="damaged or incomplete"):
        prepare_image(image)


def test_a_damaged_image_inside_a_real_photo_format_names_the_problem(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(_truncated("JPEG"))
    with pytest.raises(ImageError, match="Try saving or downloading it again"):
        prepare_image(path)


# -- decompression bombs ----------------------------------------------------------------
def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels but holds almost no data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("width", "height", "detail"),
    [
        (8000, 8000, "8000 x 8000 = 64,000,000 pixels"),
        (10_000, 10_000, "10000 x 10000 = 100,000,000 pixels"),
        (100_000, 100_000, "10,000,000,000 pixels"),
    ],
    ids=["above-our-limit", "pillow-warning-range", "pillow-error-range"],
)
def test_a_decompression_bomb_is_refused_before_decoding(no_decoding, tmp_path, width, height, detail):
    bomb = _png_header(width, height)
    for source in (bomb, _as_path(tmp_path, bomb)):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            with pytest.raises(ImageError, match="too large") as caught:
                prepare_image(source)
        assert not [w for w in seen if issubclass(w.category, Image.DecompressionBombWarning)]
        message = str(caught.value)
        assert message == (
            f"This image is too large to open safely ({detail}). "
            "The book accepts images of up to 50 megapixels; shrink it first."
        )
        # One limit only: ours, never Pillow's own (89,478,485 or twice that).
        assert "limit" not in message and "89478485" not in message and "178956970" not in message


def test_the_pixel_limit_is_checked_for_arrays_and_pil_images_too(monkeypatch):
    monkeypatch.setattr(preprocess, "MAX_PIXELS", 100)
    for source in (np.zeros((11, 10), np.uint8), Image.new("RGB", (11, 10))):
        with pytest.raises(ImageError, match="too large"):
            prepare_image(source)
    _check_input(prepare_image(np.zeros((10, 10), np.uint8)))


def test_errors_are_value_errors_for_callers_that_catch_those():
    with pytest.raises(ValueError):
        prepare_image(b"")
