"""The forward pass and the preprocessing in the browser give the Python numbers.

explainer_core/arithmetic/trace.js and explainer_core/data/preprocess.js run in headless
Chromium on a minimal page (no built book needed): the network from
:func:`explainer_core.page.webmodel.page_script` and the two scripts, served from a
temporary folder on 127.0.0.1. Run with ``-s`` to see the measured differences.
"""

from __future__ import annotations

import base64
import io
import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explainer_core.arithmetic.network import Network
from explainer_core.arithmetic.trace import trace
from explainer_core.data.preprocess import MAX_PIXELS, fit_rgb, load_pil, prepare_image
from explainer_core.errors import ImageError
from explainer_core.page import webmodel
from explainer_core.page.serve import serve_folder

pytestmark = pytest.mark.browser

#: Largest difference allowed between the browser's and NumPy's float32 numbers, in every layer.
TOLERANCE = 1e-4
#: Grey levels by which the browser's fitted 64×64 input may differ from Pillow's, per kind of file
#: (see test_fitting_a_real_file_matches_pillow for why they may differ at all).
PNG_TOLERANCE = 1
JPEG_TOLERANCE = 2


# --------------------------------------------------------------------------- the test site


class Site:
    """A folder served on 127.0.0.1 holding the two scripts and one page per network."""

    def __init__(self, root: Path, url: str):
        self.root, self.url = root, url
        for path in webmodel.js_files():
            shutil.copyfile(path, root / path.name)

    def page_for(self, network: Network, name: str) -> str:
        html = (
            '<!doctype html><html><head><meta charset="utf-8"><title>trace</title><link rel="icon" href="data:,">\n'
            f"{webmodel.page_script(network, js_url='')}</head>\n"
            '<body><input type="file" id="file"></body></html>\n'
        )
        (self.root / f"{name}.html").write_text(html, encoding="utf-8")
        return f"{self.url}{name}.html"

    def file(self, name: str, data: bytes) -> Path:
        path = self.root / "files" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("trace-site")
    with serve_folder(root) as url:
        yield Site(root, url)


def open_page(chromium, url: str):
    """A fresh tab on ``url`` that fails the test on any uncaught exception or console error."""
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok
    page.errors = errors
    return context, page


#: In the page: trace an image sent as base64 (float32, or 8-bit when ``bytes``), return every number as base64.
RUN_TRACE = """([image, bytes]) => {
    const T = window.ExplainerTrace;
    const network = T.loadNetwork();
    const raw = Uint8Array.from(atob(image), (c) => c.charCodeAt(0));
    const t = T.trace(network, bytes ? raw : T.decodeBase64Float32(image));
    const pack = (tensors) => Object.fromEntries(Object.entries(tensors).map(
        ([name, v]) => [name, {shape: v.shape, data: T.encodeFloat32Base64(v.data)}]));
    return {
        outputs: pack(t.outputs), intermediates: pack(t.intermediates),
        logits: T.encodeFloat32Base64(t.logits.data), flattened: T.encodeFloat32Base64(t.flattened.data),
        probabilities: Array.from(t.probabilities.data),
        predictedClass: t.predictedClass, predictedLabel: t.predictedLabel,
    };
}"""


def _floats(text: str, shape) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4").reshape(shape)


def js_trace(page, image: np.ndarray) -> dict:
    """The browser's trace of ``image``: uint8 images go as bytes (the page divides by 255), floats as float32."""
    as_bytes = image.dtype == np.uint8
    data = image.astype(np.uint8 if as_bytes else "<f4").tobytes()
    return page.evaluate(RUN_TRACE, [base64.b64encode(data).decode("ascii"), as_bytes])


def trace_differences(network: Network, image: np.ndarray, js: dict) -> dict[str, float]:
    """Max |browser - Python| per step output and per conv intermediate; checks shapes and the prediction."""
    floats = image.astype(np.float32) / np.float32(255) if image.dtype == np.uint8 else image
    expected = trace(network, floats)
    diffs = {}
    for name in network.layer_names:
        got = js["outputs"][name]
        assert tuple(got["shape"]) == expected.outputs[name].shape, name
        diffs[name] = float(np.abs(_floats(got["data"], got["shape"]) - expected.outputs[name]).max())
    assert sorted(js["intermediates"]) == sorted(expected.intermediates)
    for name, parts in expected.intermediates.items():
        got = js["intermediates"][name]
        assert tuple(got["shape"]) == parts.shape, name
        diffs[f"{name} (intermediates)"] = float(np.abs(_floats(got["data"], got["shape"]) - parts).max())
    np.testing.assert_allclose(_floats(js["logits"], -1), expected.logits, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(_floats(js["flattened"], -1), expected.flattened, rtol=0, atol=TOLERANCE)
    probabilities = np.array(js["probabilities"], dtype=np.float64)
    diffs["probabilities"] = float(np.abs(probabilities - expected.probabilities).max())
    assert js["predictedClass"] == expected.predicted_class
    assert js["predictedLabel"] == expected.predicted_label
    return diffs


def report(title: str, rows: dict[str, float]) -> None:
    print(f"\n{title}")
    for name, value in rows.items():
        print(f"  {name:32s} {value:.3g}")


# --------------------------------------------------------------------------- real images


def real_images(size: tuple[int, int], tiny_imagenet: Path | None) -> list[tuple[str, np.ndarray]]:
    """(name, uint8 picture) for scikit-image's photos and, when present, one Tiny ImageNet image per class."""
    from skimage import data as skdata

    pictures = [
        (name, getattr(skdata, name)())
        for name in ("coffee", "chelsea", "astronaut", "rocket", "immunohistochemistry", "hubble_deep_field", "camera")
    ]
    if tiny_imagenet is not None:
        from explainer_core.data.tiny_imagenet import TinyImageNet

        dataset = TinyImageNet(tiny_imagenet)
        seen: set[int] = set()
        for name, label in dataset.val_files():
            if label not in seen:
                seen.add(label)
                pictures.append((f"{dataset.class_names[label]} ({name.split('/')[-1]})", dataset.read_bytes(name)))
    return [(name, fit_rgb(picture, size)) for name, picture in pictures]


@pytest.fixture(scope="module")
def shipped():
    pytest.importorskip("skimage")
    from explainer_core.page.examples import shipped_network

    return shipped_network()


@pytest.fixture(scope="module")
def optional_tiny_imagenet(request) -> Path | None:
    try:
        return request.getfixturevalue("real_tiny_imagenet_zip")
    except pytest.skip.Exception:
        return None


def test_browser_trace_equals_python_trace_for_real_images(chromium, site, shipped, optional_tiny_imagenet):
    images = real_images(shipped.input_shape[:2], optional_tiny_imagenet)
    assert len(images) >= 10 or optional_tiny_imagenet is None
    context, page = open_page(chromium, site.page_for(shipped, "shipped"))
    try:
        worst: dict[str, float] = {}
        for name, image in images:
            diffs = trace_differences(shipped, image, js_trace(page, image))
            bad = {layer: d for layer, d in diffs.items() if not d <= TOLERANCE}
            assert not bad, f"{name}: browser and Python differ by more than {TOLERANCE}: {bad}"
            worst = {layer: max(d, worst.get(layer, 0.0)) for layer, d in diffs.items()}
        assert not page.errors, page.errors
    finally:
        context.close()
    report(f"max |browser - Python| over {len(images)} real images, {shipped.name}:", worst)


def test_browser_trace_equals_python_trace_for_any_architecture(chromium, site, cnn_model):
    """Tiny VGG with seeded weights, a strided CNN with 'same' padding and odd pools, and the trained model."""
    from skimage import data as skdata

    network = Network.from_keras(cnn_model)
    size = network.input_shape[:2]
    images = [prepare_image(getattr(skdata, name)(), size) for name in ("coffee", "chelsea", "rocket")]
    images.append(np.random.default_rng(3).random(network.input_shape, dtype=np.float32))
    context, page = open_page(chromium, site.page_for(network, f"net_{network.name}"))
    try:
        worst: dict[str, float] = {}
        for image in images:
            diffs = trace_differences(network, image, js_trace(page, image))
            worst = {layer: max(d, worst.get(layer, 0.0)) for layer, d in diffs.items()}
        assert not page.errors, page.errors
    finally:
        context.close()
    report(f"max |browser - Python|, {network.name} {network.input_shape}:", worst)
    assert max(worst.values()) <= TOLERANCE, worst


def test_trace_rejects_an_image_of_the_wrong_size(chromium, site, shipped):
    context, page = open_page(chromium, site.page_for(shipped, "shipped"))
    try:
        message = page.evaluate(
            """() => { try { ExplainerTrace.trace(ExplainerTrace.loadNetwork(), new Float32Array(10)); }
                       catch (e) { return e.name + ": " + e.message; } }"""
        )
    finally:
        context.close()
    assert message.startswith("TraceError: The model needs a 64×64×3 image")


# --------------------------------------------------------------------------- resize and crop


def _photo(width: int, height: int, seed: int = 0) -> Image.Image:
    """A real photo at ``width`` × ``height`` (cropped from scikit-image's astronaut or coffee, then scaled)."""
    from skimage import data as skdata

    base = Image.fromarray(skdata.coffee() if seed % 2 else skdata.astronaut())
    return base.resize((width, height), Image.Resampling.LANCZOS)


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


FIT_IN_PAGE = """async ([path, size]) => {
    const blob = await (await fetch(path)).blob();
    const fitted = await ExplainerPreprocess.fitRgb(blob, size);
    return {data: Array.from(fitted.data), plan: fitted.plan, original: fitted.original};
}"""


def test_resize_and_crop_of_decoded_pixels_equal_pillow_exactly(chromium, site, shipped):
    """Given the same RGB pixels, the port of Pillow's BILINEAR and of resize_plan is byte for byte Pillow's."""
    rng = np.random.default_rng(0)
    sizes = [(640, 480), (300, 500), (64, 64), (65, 200), (200, 65), (1000, 1000), (20, 30), (7, 3), (64, 1), (1, 1)]
    targets = [(64, 64), (37, 45), (100, 30)]
    context, page = open_page(chromium, site.page_for(shipped, "shipped"))
    try:
        for index, (width, height) in enumerate(sizes):
            for picture in (
                np.asarray(_photo(width, height, index)),
                rng.integers(0, 256, (height, width, 3), np.uint8),
            ):
                for target in targets:
                    got = page.evaluate(
                        """([pixels, width, height, size]) => {
                            const rgb = Uint8Array.from(atob(pixels), (c) => c.charCodeAt(0));
                            return Array.from(ExplainerPreprocess.fitPixels(rgb, width, height, 3, size).data);
                        }""",
                        [base64.b64encode(picture.tobytes()).decode(), width, height, list(target)],
                    )
                    expected = fit_rgb(picture, target)
                    np.testing.assert_array_equal(np.array(got, np.uint8).reshape(expected.shape), expected)
    finally:
        context.close()


def _fit_cases() -> list[tuple[str, bytes, int]]:
    """(file name, bytes, tolerance in grey levels) of real files in several formats, sizes and aspect ratios."""
    cases = []
    for index, (width, height) in enumerate([(640, 480), (300, 500), (64, 64), (65, 200), (1000, 1000), (40, 30)]):
        photo = _photo(width, height, index)
        cases.append((f"photo_{width}x{height}.png", _encode(photo, "PNG"), 0))
        cases.append((f"photo_{width}x{height}.jpg", _encode(photo, "JPEG", quality=90), JPEG_TOLERANCE))
    photo = _photo(300, 200, 1)
    cases.append(("progressive_4_4_4.jpg", _encode(photo, "JPEG", quality=85, progressive=True, subsampling=0), 3))
    cases.append(("grey.png", _encode(photo.convert("L"), "PNG"), 0))
    cases.append(("grey.jpg", _encode(photo.convert("L"), "JPEG", quality=90), JPEG_TOLERANCE))
    cases.append(("palette.gif", _encode(photo.convert("P", palette=Image.Palette.ADAPTIVE), "GIF"), 0))
    cases.append(("photo.bmp", _encode(photo, "BMP"), 0))
    cases.append(("lossless.webp", _encode(photo, "WEBP", lossless=True), 0))
    rgba = photo.convert("RGBA")
    alpha = np.tile(np.linspace(0, 255, rgba.width).astype(np.uint8), (rgba.height, 1))
    rgba.putalpha(Image.fromarray(alpha))
    cases.append(("transparent.png", _encode(rgba, "PNG"), PNG_TOLERANCE))
    # A phone photo stored sideways: EXIF orientation 6 means "rotate 90° clockwise to view".
    exif = Image.Exif()
    exif[0x0112] = 6
    cases.append(("exif_rotated.jpg", _encode(_photo(320, 240, 0), "JPEG", quality=90, exif=exif), JPEG_TOLERANCE))
    return cases


def test_fitting_a_real_file_matches_pillow(chromium, site, shipped, optional_tiny_imagenet):
    """The browser's decode + resize + crop of a file agrees with Pillow's ``fit_rgb`` within a few grey levels.

    Given the same pixels the resize and crop are exact (test above); any difference
    comes from decoding. Lossless files (PNG, GIF, BMP, lossless WebP) decode to the
    same pixels, so they match exactly, except that a canvas keeps premultiplied alpha:
    half-transparent pixels composited over white may round one level away from
    Pillow's ``alpha_composite``. JPEG is lossy and its decoding is not fully
    specified: Chromium and Pillow both use libjpeg-turbo, but with different IDCT
    and chroma-upsampling choices (and Chromium may decode to YUV first), so single
    decoded pixels can differ by a few levels, and a few levels survive the resize.
    """
    cases = _fit_cases()
    if optional_tiny_imagenet is not None:  # real-world JPEGs, as the data set stores them
        from explainer_core.data.tiny_imagenet import TinyImageNet

        dataset = TinyImageNet(optional_tiny_imagenet)
        for name, _ in dataset.val_files()[:10]:
            cases.append((f"tiny_imagenet_{name.split('/')[-1]}", dataset.read_bytes(name), JPEG_TOLERANCE))
    context, page = open_page(chromium, site.page_for(shipped, "shipped"))
    measured = {}
    try:
        for name, data, tolerance in cases:
            site.file(name, data)
            got = page.evaluate(FIT_IN_PAGE, [f"files/{name}", [64, 64]])
            expected = fit_rgb(data, (64, 64))
            diff = np.abs(np.array(got["data"], np.int16).reshape(expected.shape) - expected.astype(np.int16))
            measured[name] = int(diff.max())
            upright = load_pil(data)  # after EXIF orientation: the rotated photo is 240 wide, 320 high
            assert (got["original"]["width"], got["original"]["height"]) == upright.size, name
            assert diff.max() <= tolerance, f"{name}: differs from Pillow by up to {diff.max()} grey levels"
        # The same path from an <input type=file>, as a reader uploads a picture.
        page.set_input_files("#file", str(site.root / "files" / "photo_300x500.jpg"))
        got = page.evaluate(
            "async () => Array.from((await ExplainerPreprocess.fitRgb(document.getElementById('file').files[0],"
            " [64, 64])).data)"
        )
        expected = fit_rgb(site.root / "files" / "photo_300x500.jpg", (64, 64)).astype(np.int16)
        assert np.abs(np.array(got, np.int16).reshape(expected.shape) - expected).max() <= JPEG_TOLERANCE
        assert not page.errors, page.errors
    finally:
        context.close()
    report("max |browser - Pillow| in grey levels, 64×64 fitted input:", measured)


def test_uploaded_picture_traces_like_python(chromium, site, shipped):
    """File -> fitRgb -> trace in the page equals fit_rgb -> trace in Python (PNG: identical input)."""
    data = _encode(_photo(480, 360, 1), "PNG")
    site.file("upload.png", data)
    context, page = open_page(chromium, site.page_for(shipped, "shipped"))
    try:
        js = page.evaluate(
            """async () => {
                const blob = await (await fetch("files/upload.png")).blob();
                const fitted = await ExplainerPreprocess.prepareImage(blob, [64, 64]);
                const t = ExplainerTrace.trace(ExplainerTrace.loadNetwork(), fitted.data);
                return {probabilities: Array.from(t.probabilities.data), label: t.predictedLabel};
            }"""
        )
    finally:
        context.close()
    expected = trace(shipped, prepare_image(data))
    assert js["label"] == expected.predicted_label
    np.testing.assert_allclose(js["probabilities"], expected.probabilities, rtol=0, atol=TOLERANCE)


# --------------------------------------------------------------------------- bad files


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims ``width`` × ``height`` pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")
    )


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A real JPEG with its SOF0 size fields rewritten to ``width`` × ``height``."""
    data = bytearray(_encode(_photo(16, 16), "JPEG"))
    at = data.index(b"\xff\xc0")
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


BAD_FILES = {
    "empty.png": (b"", "empty (0 bytes)"),
    "notes.txt": (b"These are my notes about convolutions.\n" * 5, "it is text, not a picture"),
    "drawing.svg": (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
        b'<circle cx="32" cy="32" r="20" fill="red"/></svg>',
        "SVG drawing",
    ),
    "page.html": (b"<!DOCTYPE html><html><body><img src='cat.jpg'></body></html>", "web page (HTML)"),
    "cut.jpg": (None, "damaged or incomplete"),
    "cut.png": (None, "damaged or incomplete"),
    "bomb.png": (_png_claiming(30000, 30000), "too large to open safely (30000 x 30000 = 900,000,000 pixels)"),
    "bomb.jpg": (None, "too large to open safely (30000 x 30000"),
    "noise.bin": (bytes(np.random.default_rng(1).integers(0, 256, 4000, np.uint8)), "not an image"),
}


def _bad_file(name: str) -> bytes:
    data, _ = BAD_FILES[name]
    if data is not None:
        return data
    if name == "cut.jpg":
        whole = _encode(_photo(200, 150), "JPEG", quality=90)
        return whole[: len(whole) // 2]
    if name == "cut.png":
        whole = _encode(_photo(200, 150), "PNG")
        return whole[: len(whole) // 2]
    return _jpeg_claiming(30000, 30000)


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_are_refused_with_a_clear_message(chromium, site, shipped, name):
    data = _bad_file(name)
    with pytest.raises(ImageError):  # Python refuses the same files
        fit_rgb(data)
    site.file(name, data)
    context, page = open_page(chromium, site.page_for(shipped, "shipped"))
    try:
        result = page.evaluate(
            """async (path) => {
                let decodes = 0;
                const original = window.createImageBitmap;
                window.createImageBitmap = (...args) => { decodes++; return original.apply(window, args); };
                try {
                    const blob = await (await fetch(path)).blob();
                    await ExplainerPreprocess.fitRgb(blob, [64, 64]);
                    return {name: "none", message: "accepted", decodes};
                } catch (error) {
                    return {name: error.name, message: error.message, decodes};
                } finally {
                    window.createImageBitmap = original;
                }
            }""",
            f"files/{name}",
        )
    finally:
        context.close()
    assert result["name"] == "ImageError", result
    assert BAD_FILES[name][1] in result["message"], result["message"]
    if name.startswith("bomb"):
        assert result["decodes"] == 0, "a too-large picture must be refused before it is decoded"
    print(f"\n  {name}: {result['message']}")


def test_browser_limit_is_python_limit(chromium, site, shipped):
    context, page = open_page(chromium, site.page_for(shipped, "shipped"))
    try:
        limits = page.evaluate(
            "() => [ExplainerPreprocess.MAX_PIXELS, ExplainerTrace.loadNetwork().preprocess.max_pixels]"
        )
    finally:
        context.close()
    assert limits == [MAX_PIXELS, MAX_PIXELS]


def test_inlined_scripts_work_and_a_second_copy_is_harmless(chromium, site, shipped):
    """Outside the book (a notebook) page_script inlines everything; two cells may both emit it."""
    snippet = webmodel.page_script(shipped)
    (site.root / "inline.html").write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>'
        f"<body>{snippet}{snippet}</body></html>",
        encoding="utf-8",
    )
    context, page = open_page(chromium, f"{site.url}inline.html")
    try:
        result = page.evaluate(
            """() => {
                const network = ExplainerTrace.loadNetwork();
                const t = ExplainerTrace.trace(network, new Uint8Array(64 * 64 * 3).fill(128));
                return {same: network === ExplainerTrace.loadNetwork(), classes: t.probabilities.data.length};
            }"""
        )
        assert not page.errors, page.errors
    finally:
        context.close()
    assert result == {"same": True, "classes": shipped.num_classes}
