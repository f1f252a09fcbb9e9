"""Changing the picture in the browser: the gallery, the upload button, and bad files.

The page is chapter 9 ("The interactive features"), which carries the picture
changer and the input view. The expected numbers come from the Python side:
the same file through explainer_core.data.preprocess and explainer_core.arithmetic.trace.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from explainer_core.arithmetic.trace import trace
from explainer_core.data.preprocess import prepare_image
from explainer_core.page.examples import shipped_network
from explainer_core.views.image_picker import gallery_images

pytestmark = pytest.mark.browser

PAGE = "book/09_interactive_features.html"

MODELS = "() => [...Bokeh.documents].flatMap((d) => [...d.all_models])"


def model_value(page, name: str, expression: str):
    """Evaluate ``expression`` on the Bokeh model called ``name`` (as ``m``)."""
    return page.evaluate(f"(name) => {{ const m = ({MODELS})().find((x) => x.name === name); return {expression}; }}",
                         name)


def channel(page, index: int) -> np.ndarray:
    rows = model_value(page, f"input_channel_{index}", "Array.from(m.data.image[0])")
    height, width = shipped_network().input_shape[:2]
    return np.asarray(rows, dtype=np.float32).reshape(height, width)[::-1]


def status(page) -> str:
    return model_value(page, "explainer-status", "m.text")


def upload(page, name: str, data: bytes, mime: str) -> None:
    page.locator("input[type=file]").set_input_files({"name": name, "mimeType": mime, "buffer": data})


def wait_for_status(page, before: str) -> str:
    page.wait_for_function(
        f"(before) => ({MODELS})().find((x) => x.name === 'explainer-status').text !== before", arg=before
    )
    return status(page)


def test_gallery_photo_updates_the_input_view_like_python(browser_page):
    page = browser_page.goto(PAGE)
    files = model_value(page, "gallery", "Array.from(m.data.file)")
    assert len(files) == len(gallery_images()) >= 4
    index = len(files) - 1
    before = status(page)
    page.evaluate(f"() => {{ ({MODELS})().find((m) => m.name === 'gallery').selected.indices = [{index}]; }}")
    text = wait_for_status(page, before)
    expected = trace(shipped_network(), prepare_image(base64.b64decode(files[index])))
    assert f"the network says {expected.predicted_label}" in text
    assert f"({100 * expected.probabilities.max():.1f} %)" in text
    for c in range(3):
        np.testing.assert_allclose(channel(page, c), expected.image[..., c], atol=1e-6)
    browser_page.screenshot("picker_after_gallery_click")
    browser_page.assert_clean()


def _png(size=(120, 80), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_uploaded_photo_is_fitted_and_traced(browser_page):
    page = browser_page.goto(PAGE)
    rng = np.random.default_rng(4)
    pixels = rng.integers(0, 256, (90, 150, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    before = status(page)
    upload(page, "noise.png", buffer.getvalue(), "image/png")
    text = wait_for_status(page, before)
    assert text.startswith("Showing noise.png")
    expected = prepare_image(buffer.getvalue())
    for c in range(3):
        np.testing.assert_allclose(channel(page, c), expected[..., c], atol=1e-6)
    assert model_value(page, "input_photo_plot", "m.title.text") == "your photo (150×90)"
    browser_page.assert_clean()


BAD_FILES = {
    "empty.png": (b"", "image/png"),
    "notes.txt": (b"these are my notes, not a picture\n" * 20, "text/plain"),
    "drawing.svg": (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                    b'<rect width="10" height="10"/></svg>', "image/svg+xml"),
    "broken.png": (_png()[:60], "image/png"),
    "huge.png": None,  # built below: a valid header claiming 30000 x 30000 pixels
}


def _huge_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(
        b"IEND", b"")


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_upload_shows_a_message_and_changes_nothing(browser_page, name):
    page = browser_page.goto(PAGE)
    data, mime = BAD_FILES[name] or (_huge_png(), "image/png")
    channels_before = [channel(page, c) for c in range(3)]
    fitted_before = model_value(page, "input_fitted", "Array.from(m.data.image[0])")
    before = status(page)
    upload(page, name, data, mime)
    text = wait_for_status(page, before)
    assert "cannot be used" in text and "previous picture" in text
    for c in range(3):
        np.testing.assert_array_equal(channel(page, c), channels_before[c])
    assert model_value(page, "input_fitted", "Array.from(m.data.image[0])") == fitted_before
    assert browser_page.page_errors == []


@pytest.mark.parametrize("mode", ["layer", "unit", "module", "global"])
def test_browser_colour_ranges_equal_python(browser_page, mode):
    """page.js's twin of explainer_core.arithmetic.scales.color_ranges, on the page's own picture."""
    from explainer_core.arithmetic.scales import color_ranges

    page = browser_page.goto(PAGE)
    files = model_value(page, "gallery", "Array.from(m.data.file)")
    ranges = page.evaluate(
        """async ([file, mode]) => {
            const bytes = Uint8Array.from(atob(file), (c) => c.charCodeAt(0));
            const trace = await ExplainerPage.showImage(new Blob([bytes]), {label: "test"});
            return ExplainerKit.colorRanges(trace, mode);
        }""",
        [files[0], mode],
    )
    expected = color_ranges(trace(shipped_network(), prepare_image(base64.b64decode(files[0]))), mode)
    assert ranges.keys() == expected.keys()
    for name, (low, high) in expected.items():
        assert ranges[name] == pytest.approx([low, high], abs=1e-5)
