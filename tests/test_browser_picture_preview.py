"""The "your photo" preview in the browser, for photos of real sizes (issue 8).

The preview is the photo shrunk to at most 256 pixels a side by input_view/fill.js, the only
code of the product that draws it (for the first frame too); tests/view_oracles/input_view.py
is its Python reference: the same photo must give the same pixels on both sides, and be drawn
with its own shape, as large as the model input beside it. Photos are made here (smooth
gradients with a little noise, like a photo), never taken from the data set.
"""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import pytest
from bokeh.embed import json_item
from PIL import Image

from explainer_core.arithmetic.trace import trace
from explainer_core.data.preprocess import load_pil, prepare_image, to_rgb
from explainer_core.page.examples import default_example, default_trace, shipped_network
from explainer_core.page.protocol import PICTURE
from explainer_core.views.input_view import input_view
from explainer_core.views.kit.refill import picture_script

from .test_browser_picker import channel, model_value, status, upload, wait_for_status
from .view_oracles.input_view import input_data

pytestmark = pytest.mark.browser


@cache
def photo(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A photo-like RGB picture: smooth colour gradients and a few soft blobs, with mild noise."""
    rng = np.random.default_rng(seed)
    small_w, small_h = max(2, width // 8), max(2, height // 8)  # the smooth part, enlarged below
    y, x = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    x /= small_w
    y /= small_h
    smooth = np.stack([60 + 150 * x, 40 + 170 * y, 200 - 120 * x * y], axis=-1)
    for _ in range(4):
        cx, cy, r = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.05, 0.2)
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))[..., None]
        smooth += blob * rng.uniform(-60, 60, 3)
    smooth = Image.fromarray(np.clip(smooth, 0, 255).astype(np.uint8)).resize((width, height), Image.BILINEAR)
    noisy = np.asarray(smooth, dtype=np.int16) + rng.integers(-6, 7, (height, width, 3), dtype=np.int16)
    picture = np.clip(noisy, 0, 255).astype(np.uint8)
    picture.flags.writeable = False  # shared by the tests (cached)
    return picture


def encoded(pixels: np.ndarray, kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=kind, **({"quality": 90} if kind == "JPEG" else {}))
    return buffer.getvalue()


def show(page, name: str, data: bytes) -> None:
    """Upload ``data`` as ``name`` and wait until the page shows it."""
    before = status(page)
    upload(page, name, data, "image/jpeg" if name.endswith(".jpg") else "image/png")
    text = wait_for_status(page, before)
    assert text.startswith(f"Showing {name}"), text


def page_photo(page, prefix: str) -> dict:
    """The photo source the page holds: RGB pixels top row first, and where the photo sits."""
    data = model_value(page, f"{prefix}_photo", "({image: Array.from(m.data.image[0]), shape: m.data.image[0].shape,"
                                                " x: m.data.x[0], y: m.data.y[0], dw: m.data.dw[0], dh: m.data.dh[0]})")
    height, width = data.pop("shape")
    rgba = np.asarray(data.pop("image"), dtype=np.uint32).view(np.uint8).reshape(height, width, 4)
    return {"pixels": rgba[::-1, :, :3], "alpha": rgba[::-1, :, 3], **data}


def oracle_photo(expected: dict) -> dict:
    """The oracle's photo source as page_photo reads the page's."""
    rgba = expected["image"][0].view(np.uint8).reshape(*expected["image"][0].shape, 4)
    return {"pixels": rgba[::-1, :, :3], **{key: expected[key][0] for key in ("x", "y", "dw", "dh")}}


def python_photo(data: bytes) -> dict:
    """What the Python reference (tests/view_oracles/input_view.py) computes for the same file."""
    original = np.asarray(to_rgb(load_pil(data)))
    return oracle_photo(input_data(trace(shipped_network(), prepare_image(data)), original)["photo"])


def page_fitted(page, prefix: str) -> np.ndarray:
    """The model input the page draws, as packed RGBA values bottom row first."""
    data = model_value(page, f"{prefix}_fitted", "({image: Array.from(m.data.image[0]), shape: m.data.image[0].shape,"
                                                 " dtype: m.data.image[0].dtype})")
    assert data["dtype"] == "uint32"
    return np.asarray(data["image"], dtype=np.uint32).reshape(data["shape"])


# (page, prefix of its picture pair): the input view (chapter 3) and the picker's preview (chapter 2).
PAGES = {"input view": ("book/03_input_layer.html", "input"), "preview": ("book/02_overview.html", "preview")}
PHOTOS = {  # name: (width, height), all larger than 256 pixels a side but one
    "wide.png": (1000, 750),
    "tall.png": (300, 900),
    "odd.png": (517, 389),
    "small.png": (200, 120),
    "camera.jpg": (4000, 3000),
    "phone.jpg": (1000, 750),
}


@pytest.mark.parametrize("where", list(PAGES))
def test_preview_of_a_real_photo_is_pythons(browser_page, where):
    """Every photo, whatever its size, is previewed with Python's pixels (JPEG: within decoder noise)."""
    path, prefix = PAGES[where]
    page = browser_page.goto(path)
    for name, (width, height) in PHOTOS.items():
        data = encoded(photo(width, height, seed=width + height), "JPEG" if name.endswith(".jpg") else "PNG")
        show(page, name, data)
        shown, expected = page_photo(page, prefix), python_photo(data)
        where_drawn = [shown[key] for key in ("x", "y", "dw", "dh")]
        assert where_drawn == [expected[key] for key in ("x", "y", "dw", "dh")], name
        assert shown["pixels"].shape == expected["pixels"].shape, name
        assert (shown["alpha"] == 255).all(), name
        difference = np.abs(shown["pixels"].astype(int) - expected["pixels"].astype(int))
        if name.endswith(".png"):  # lossless: the same decoded pixels, the same Pillow resize
            assert difference.max() == 0, (name, difference.max(), difference.mean())
        else:  # Chromium's and Pillow's JPEG decoders may differ by a level or two before the shrink
            assert difference.max() <= 4 and difference.mean() < 0.5, (name, difference.max(), difference.mean())
        assert model_value(page, f"{prefix}_photo_plot", "m.title.text") == f"your photo ({width}×{height})"
    browser_page.assert_clean()


# every page whose first frame shows the default picture's pair: the input view and each preview
FIRST_FRAMES = {
    "input view (chapter 3)": ("book/03_input_layer.html", "input"),
    "input view (chapter 9)": ("book/09_interactive_features.html", "input"),
    **{f"preview ({path})": (f"book/{path}.html", "preview")
       for path in ("02_overview", "04_convolutional_layers", "06_activation_functions", "07_pooling_layers")},
}


@pytest.mark.parametrize("where", list(FIRST_FRAMES))
def test_first_frame_is_the_oracles(browser_page, where):
    """The built page's first frame (drawn by fill.js from the view's own picture) is the reference's."""
    path, prefix = FIRST_FRAMES[where]
    page = browser_page.goto(path)
    example, t = default_example(), default_trace()
    expected = input_data(t, example.original)
    shown, photo = page_photo(page, prefix), oracle_photo(expected["photo"])
    assert [shown[key] for key in ("x", "y", "dw", "dh")] == [photo[key] for key in ("x", "y", "dw", "dh")]
    np.testing.assert_array_equal(shown["pixels"], photo["pixels"])
    assert (shown["alpha"] == 255).all()
    assert model_value(page, f"{prefix}_photo_plot", "m.title.text") == expected["photo"]["title"]
    side = expected["photo"]["side"]
    assert model_value(page, f"{prefix}_photo_plot", "[m.x_range.end, m.y_range.end]") == [side, side]
    np.testing.assert_array_equal(page_fitted(page, prefix), expected["model_input"]["image"][0])
    if prefix == "input":
        for c in range(t.image.shape[2]):
            np.testing.assert_array_equal(channel(page, c), expected[f"channel_{c}"]["image"][0][::-1])
    browser_page.assert_clean()


# -- the drawn size ---------------------------------------------------------------------------

DRAWN = """async ([names, lastDocument]) => {
    // Wait until every view has finished its pending updates and paints, then report, for each
    // named plot (in the last document embedded, or in any), its frame and the box its first
    // image glyph was drawn in (CSS pixels).
    const roots = () => Object.values(Bokeh.index);
    for (let settled = false; !settled;) {
        const pending = roots().map((view) => view.ready);
        await Promise.all(pending);
        settled = roots().every((view, i) => view.ready === pending[i]);
    }
    const views = [];
    const visit = (view) => { views.push(view); for (const child of view.child_views || []) visit(child); };
    roots().forEach(visit);
    const last = Bokeh.documents[Bokeh.documents.length - 1];
    return names.map((name) => {
        const view = views.find((v) => v.model.name === name && (!lastDocument || v.model.document === last));
        const glyph = [...view.renderer_views.values()].map((r) => r.glyph).find((g) => g && g.sdw);
        const frame = view.frame.bbox;
        return {frame: {left: frame.left, right: frame.right, top: frame.top, bottom: frame.bottom},
                left: glyph.sx[0], bottom: glyph.sy[0], width: glyph.sdw[0], height: glyph.sdh[0]};
    });
}"""


def assert_drawn_like_the_photo(photo_box: dict, fitted_box: dict, width: int, height: int) -> None:
    """The photo keeps its shape, its longer side is as long as the model input's, and it fits its frame."""
    about = (f"{width}x{height}", photo_box, fitted_box)
    assert photo_box["width"] / photo_box["height"] == pytest.approx(width / height, rel=0.02), about
    assert max(photo_box["width"], photo_box["height"]) == pytest.approx(fitted_box["width"], abs=1.5), about
    assert fitted_box["width"] == pytest.approx(fitted_box["height"], abs=1), about  # the 64 x 64 input is square
    frame, left, bottom = photo_box["frame"], photo_box["left"], photo_box["bottom"]
    assert frame["left"] - 1 <= left and left + photo_box["width"] <= frame["right"] + 1, about
    assert frame["top"] - 1 <= bottom - photo_box["height"] and bottom <= frame["bottom"] + 1, about


SHAPES = [(600, 400), (4000, 3000), (300, 900)]


@pytest.mark.parametrize("where", list(PAGES))
def test_preview_is_drawn_with_the_photos_shape_as_large_as_the_input(browser_page, where):
    path, prefix = PAGES[where]
    page = browser_page.goto(path)
    for width, height in SHAPES:
        show(page, f"{width}x{height}.jpg", encoded(photo(width, height), "JPEG"))
        photo_box, fitted_box = page.evaluate(DRAWN, [[f"{prefix}_photo_plot", f"{prefix}_fitted_plot"], False])
        assert_drawn_like_the_photo(photo_box, fitted_box, width, height)
    browser_page.assert_clean()


def test_python_drawn_view_has_the_photos_shape_as_large_as_the_input(browser_page):
    """The view as Python builds it (a notebook, or a book built on scikit-image's 600 x 400 coffee),
    its first frame drawn by page.js from the view's own picture, and that frame is the reference's."""
    page = browser_page.goto("book/09_interactive_features.html")
    for index, (width, height) in enumerate(SHAPES):
        original = photo(width, height)
        t = trace(shipped_network(), prepare_image(original))
        view = input_view(t, original)
        # the picture's numbers beside the item, as show() writes them (views/kit/refill.py)
        blocks = "".join(picture_script(m) for m in view.references() if m.name == PICTURE)
        filled = page.evaluate(
            """async ([item, id, blocks]) => {
                const target = document.createElement("div");
                target.id = id;
                document.querySelector("article").append(target);
                target.insertAdjacentHTML("beforebegin", blocks);
                await Bokeh.embed.embed_item(item, id);
                return ExplainerPage.fillDocument(Bokeh.documents[Bokeh.documents.length - 1]);
            }""",
            [json_item(view), f"python-drawn-view-{index}", blocks],
        )
        assert filled == 1
        photo_box, fitted_box = page.evaluate(DRAWN, [["input_photo_plot", "input_fitted_plot"], True])
        assert_drawn_like_the_photo(photo_box, fitted_box, width, height)
        drawn = page.evaluate(
            """() => {
                const last = Bokeh.documents[Bokeh.documents.length - 1];
                const m = [...last.all_models].find((x) => x.name === "input_photo");
                return {image: Array.from(m.data.image[0]), shape: m.data.image[0].shape};
            }""")
        expected = input_data(t, original)["photo"]["image"][0]
        assert drawn["shape"] == list(expected.shape)
        np.testing.assert_array_equal(np.asarray(drawn["image"], dtype=np.uint32).reshape(expected.shape), expected)
    browser_page.assert_clean()
