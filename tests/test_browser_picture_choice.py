"""Choosing pictures in the browser, as a reader does (issue 8): quickly, again, and badly.

- the latest choice wins, even when an earlier photo is still being decoded
  (the race is made certain: the test holds the big photo's decoding back);
- choosing the same photo or file again, after choosing something else, is acted on;
- a tiny file that claims an extreme shape is refused from its header, before decoding.

The page is chapter 9, which has the picture changer and the input view; thumbnails
are clicked with the mouse. Photos are made here, never taken from the data set.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from explainer_core.data import preprocess
from explainer_core.data.preprocess import prepare_image
from explainer_core.errors import ImageError

from .test_browser_picker import channel, model_value, status, upload, wait_for_status
from .test_browser_picture_preview import encoded, photo

pytestmark = pytest.mark.browser

PAGE = "book/09_interactive_features.html"


def click_thumbnail(page, index: int) -> None:
    """Click gallery photo ``index`` with the mouse (the gallery's TapTool selects it).

    Bokeh takes a click within 300 ms of the previous one on the same plot for a double click
    (UIGestures.doubletap_threshold), which the TapTool ignores. A reader's next choice comes
    later than that, however fast the page is, so the last click is forgotten first.
    """
    x, y = page.evaluate(
        """(index) => {
            const views = [];
            const visit = (view) => { views.push(view); for (const child of view.child_views || []) visit(child); };
            Object.values(Bokeh.index).forEach(visit);
            const view = views.find((v) => v.model.name === "gallery_plot");
            view.canvas_view.ui_event_bus.ui_gestures.tap_timestamp = -Infinity;
            view.el.scrollIntoView({block: "center"});
            const source = view.model.renderers[0].data_source;
            const canvas = view.canvas_view.el.getBoundingClientRect();
            return [canvas.left + view.frame.x_scale.compute(source.data.cx[index]),
                    canvas.top + view.frame.y_scale.compute(source.data.cy[index])];
        }""",
        index,
    )
    page.mouse.click(x, y)


def choose(page, action, *args) -> str:
    """Do ``action(page, *args)`` and return the status it leads to (it must change)."""
    before = status(page)
    action(page, *args)
    return wait_for_status(page, before)


def upload_png(page, name: str, data: bytes) -> None:
    upload(page, name, data, "image/png")


def selected(page) -> list[int]:
    return model_value(page, "gallery", "Array.from(m.selected.indices)")


def upload_box(page) -> tuple[str, str]:
    """The FileInput's file name (the model) and the file the browser's input holds ("" when cleared)."""
    return (model_value(page, "upload", "m.filename"), page.locator("input[type=file]").input_value())


def assert_shows(page, data: bytes) -> None:
    """The input view's channels are Python's model input for the file ``data``."""
    expected = prepare_image(data)
    for c in range(3):
        np.testing.assert_allclose(channel(page, c), expected[..., c], atol=1e-6)


def gallery_file(page, index: int) -> bytes:
    return base64.b64decode(model_value(page, "gallery", f"m.data.file[{index}]"))


def gallery_label(page, index: int) -> str:
    return model_value(page, "gallery", f"m.data.label[{index}]")


SMALL = encoded(photo(150, 100, seed=1), "PNG")
OTHER = encoded(photo(90, 120, seed=2), "PNG")


# -- the latest choice wins ----------------------------------------------------------------------

HOLD_BACK = """(size) => {
    // Decoding a blob of ``size`` bytes waits until window.releaseBigPhoto() is called;
    // every other picture decodes at once. ExplainerPage.showImage calls are counted.
    const decode = window.createImageBitmap.bind(window);
    let release;
    const gate = new Promise((resolve) => { release = resolve; });
    window.held = {waiting: false};
    window.releaseBigPhoto = release;
    window.createImageBitmap = async (blob, ...rest) => {
        if (blob.size === size) {
            window.held.waiting = true;
            await gate;
        }
        return decode(blob, ...rest);
    };
    const show = ExplainerPage.showImage;
    window.requests = {started: 0, finished: 0};
    ExplainerPage.showImage = (...args) => {
        window.requests.started++;
        return show(...args).finally(() => { window.requests.finished++; });
    };
}"""


def upload_big_photo_held_back(page) -> bytes:
    """Upload a 4000 x 3000 JPEG whose decoding waits for the test; return its bytes."""
    big = encoded(photo(4000, 3000, seed=3), "JPEG")
    page.evaluate(HOLD_BACK, len(big))
    upload(page, "big.jpg", big, "image/jpeg")
    page.wait_for_function("() => window.held.waiting")
    return big


def release_big_photo(page) -> None:
    """Let the big photo decode, and wait until every request has run to its end."""
    page.evaluate("() => window.releaseBigPhoto()")
    page.wait_for_function("() => window.requests.started > 0 && window.requests.finished === window.requests.started")


def test_a_small_upload_after_a_big_one_stays_shown(browser_page):
    page = browser_page.goto(PAGE)
    upload_big_photo_held_back(page)
    text = choose(page, upload_png, "small.png", SMALL)
    assert text.startswith("Showing small.png")
    release_big_photo(page)
    assert status(page).startswith("Showing small.png"), status(page)
    assert model_value(page, "input_photo_plot", "m.title.text") == "your photo (150×100)"
    assert page.evaluate("() => ExplainerPage.state.last.label") == "small.png"
    assert upload_box(page)[0] == "small.png"
    assert_shows(page, SMALL)
    browser_page.assert_clean()


def test_a_gallery_photo_after_a_big_upload_stays_shown(browser_page):
    page = browser_page.goto(PAGE)
    upload_big_photo_held_back(page)
    index = 3
    text = choose(page, click_thumbnail, index)
    assert text.startswith(f"Showing the photo of {gallery_label(page, index)}")
    release_big_photo(page)
    assert status(page) == text
    assert selected(page) == [index]
    assert upload_box(page) == ("", "")  # the big file is not shown, so the upload box does not name it
    assert_shows(page, gallery_file(page, index))
    browser_page.assert_clean()


# -- the same choice again ---------------------------------------------------------------------


def test_the_same_file_again_after_a_gallery_photo(browser_page):
    """Upload X, click a thumbnail, upload X again: X is shown again."""
    page = browser_page.goto(PAGE)
    assert choose(page, upload_png, "x.png", SMALL).startswith("Showing x.png")
    assert choose(page, click_thumbnail, 2).startswith(f"Showing the photo of {gallery_label(page, 2)}")
    assert upload_box(page) == ("", "")  # cleared, so the browser reports the same file as a new choice
    assert selected(page) == [2]
    assert choose(page, upload_png, "x.png", SMALL).startswith("Showing x.png")
    assert selected(page) == []  # no thumbnail is highlighted while an upload is shown
    assert_shows(page, SMALL)
    browser_page.assert_clean()


def test_the_same_thumbnail_again_after_an_upload(browser_page):
    """Click thumbnail k, upload a file, click k again: photo k is shown again."""
    page = browser_page.goto(PAGE)
    k = min(5, model_value(page, "gallery", "m.data.label.length") - 1)  # the gallery has 4 photos without the data set
    shown_k = f"Showing the photo of {gallery_label(page, k)}"
    assert choose(page, click_thumbnail, k).startswith(shown_k)
    assert selected(page) == [k]
    assert choose(page, upload_png, "y.png", OTHER).startswith("Showing y.png")
    assert selected(page) == []
    assert choose(page, click_thumbnail, k).startswith(shown_k)
    assert selected(page) == [k]
    assert upload_box(page) == ("", "")
    assert_shows(page, gallery_file(page, k))
    click_thumbnail(page, k)  # the photo shown: it stays the highlighted one (a tap selects, it does not toggle)
    assert selected(page) == [k]
    browser_page.assert_clean()


def test_a_refused_upload_keeps_the_gallery_photo_highlighted(browser_page):
    """The highlighted thumbnail is the photo shown: a file that cannot be used changes neither."""
    page = browser_page.goto(PAGE)
    k = 1
    choose(page, click_thumbnail, k)
    text = choose(page, upload, "notes.txt", b"these are my notes, not a picture\n" * 20, "text/plain")
    assert "notes.txt cannot be used" in text
    assert selected(page) == [k]
    assert_shows(page, gallery_file(page, k))
    assert browser_page.page_errors == []


# -- an extreme shape ----------------------------------------------------------------------------


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


COUNT_DECODES = """() => {
    const decode = window.createImageBitmap.bind(window);
    window.decodes = 0;
    window.createImageBitmap = (...args) => { window.decodes++; return decode(...args); };
}"""


@pytest.mark.parametrize("size", [(40000, 1), (1, 40000), (20000, 150)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_an_extreme_shape_is_refused_before_decoding(browser_page, size):
    """A PNG of a few hundred bytes would otherwise be resized to millions of pixels to keep 64 x 64."""
    page = browser_page.goto(PAGE)
    data = _png(*size)
    channels_before = [channel(page, c) for c in range(3)]
    page.evaluate(COUNT_DECODES)
    text = choose(page, upload_png, "strip.png", data)
    with pytest.raises(ImageError) as python:
        preprocess.check_dimensions(*size)
    assert text == f"strip.png cannot be used: {python.value} The views still show the previous picture."
    assert "more than 100 times its short side" in text
    assert page.evaluate("() => window.decodes") == 0  # refused from the header
    for c in range(3):
        np.testing.assert_array_equal(channel(page, c), channels_before[c])
    assert browser_page.page_errors == []


SIZES = [(100, 1), (1, 100), (101, 1), (6400, 64), (6401, 64), (40000, 1), (8000, 7000), (7072, 7071), (0, 5)]


def test_browser_refuses_the_sizes_python_refuses(browser_page):
    """data/preprocess.js checkDimensions is preprocess.check_dimensions: same limits, same sizes, same words."""
    page = browser_page.goto(PAGE)
    limits = page.evaluate("() => [ExplainerPreprocess.MAX_ASPECT_RATIO, ExplainerPreprocess.MAX_OUTPUT_SIDE]")
    assert limits == [preprocess.MAX_ASPECT_RATIO, preprocess.MAX_OUTPUT_SIDE]
    refused = page.evaluate(
        """(sizes) => sizes.map(([w, h]) => {
            try { ExplainerPreprocess.checkDimensions(w, h); return null; } catch (e) { return e.message; }
        })""",
        SIZES,
    )
    expected = []
    for size in SIZES:
        try:
            preprocess.check_dimensions(*size)
            expected.append(None)
        except ImageError as error:
            expected.append(str(error))
    assert refused == expected
    assert refused[0] is None and refused[2] is not None  # 100:1 is kept, 101:1 is not
