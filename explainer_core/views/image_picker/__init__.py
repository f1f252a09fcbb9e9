"""Change the picture: a gallery of preloaded photos and an upload button (CNN Explainer, Sect. 6.6).

Everything happens in the reader's browser: the chosen file is resized and
centre-cropped exactly as :mod:`explainer_core.data.preprocess` does, traced by the
JavaScript twin of :mod:`explainer_core.arithmetic.trace`, and every view on the page
refills its data sources (``explainer_core/page/page.js``). In a live kernel use
:func:`explainer_core.page.examples.example_from` and redraw the views instead.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from functools import cache

import numpy as np
from bokeh.layouts import column, row
from bokeh.models import ColumnDataSource, Div, FileInput, HoverTool, TapTool
from PIL import Image

from ...arithmetic.trace import Trace
from ...data.preprocess import fit_rgb
from ...errors import DatasetError
from ...page import protocol
from ..kit import as_image, bare_figure, custom_js, gallery_menu, live_status, refill_callback
from ..kit.pictures import picture_pair, rgba_image
from ..kit.refill import picture_source


@dataclass(frozen=True)
class GalleryImage:
    """One preloaded picture: its label, its file's bytes and MIME type, and a thumbnail."""

    label: str
    data: bytes
    mime_type: str
    thumbnail: np.ndarray


def _jpeg(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@cache
def gallery_images(per_class: int = 2, thumb: int = 48) -> tuple[GalleryImage, ...]:
    """``per_class`` validation photos of every class, or the photos scikit-image ships.

    The data set's files are used as they are (JPEG bytes), so the browser decodes
    and fits exactly what a learner would upload.
    """
    from ...data.tiny_imagenet import TinyImageNet

    try:
        data = TinyImageNet()
    except DatasetError:
        data = None
    images = []
    if data is not None:
        return tuple(
            GalleryImage(data.class_names[label], raw, "image/jpeg", fit_rgb(raw, (thumb, thumb)))
            for name, label in data.gallery_files(per_class)
            for raw in (data.read_bytes(name),)
        )
    from skimage import data as skdata

    for label, loader in (("espresso", skdata.coffee), ("not a class: cat", skdata.chelsea),
                          ("not a class: rocket", skdata.rocket), ("not a class: astronaut", skdata.astronaut)):
        pixels = np.asarray(loader(), dtype=np.uint8)
        small = Image.fromarray(pixels)
        small.thumbnail((256, 256))
        raw = _jpeg(np.asarray(small))
        images.append(GalleryImage(label, raw, "image/jpeg", fit_rgb(raw, (thumb, thumb))))
    return tuple(images)


def gallery_source(images: tuple[GalleryImage, ...], columns: int, thumb: int) -> dict:
    """Thumbnail positions (row by row, top first), labels and base64 file bytes."""
    count = len(images)
    rows = (count + columns - 1) // columns
    gap = thumb // 8
    return {
        "image": [rgba_image(image.thumbnail) for image in images],
        "x": [(i % columns) * (thumb + gap) for i in range(count)],
        "y": [(rows - 1 - i // columns) * (thumb + gap) for i in range(count)],
        "cx": [(i % columns) * (thumb + gap) + thumb / 2 for i in range(count)],
        "cy": [(rows - 1 - i // columns) * (thumb + gap) + thumb / 2 for i in range(count)],
        "label": [image.label for image in images],
        "file": [base64.b64encode(image.data).decode("ascii") for image in images],
        "mime": [image.mime_type for image in images],
    }


def image_picker(
    images: tuple[GalleryImage, ...] | None = None,
    columns: int = 10,
    thumb: int = 48,
    preview: tuple[Trace, np.ndarray] | None = None,
) -> column:
    """The gallery and the upload button; a message line says what the page now shows.

    With ``preview=(trace, original)`` it also shows the chosen photo before and after
    it is fitted to the network's input (pages without the input view want that), drawn
    by ``input_view/fill.js`` from that picture. The message line names no picture until
    the reader chooses one (page.js then says what the network sees).
    """
    images = gallery_images() if images is None else images
    data = gallery_source(images, columns, thumb)
    gap = thumb // 8
    rows = (len(images) + columns - 1) // columns
    width = columns * (thumb + gap) - gap
    height = rows * (thumb + gap) - gap
    source = ColumnDataSource(data, name="gallery")
    gallery = bare_figure(
        width=min(width, 760), height=max(1, round(min(width, 760) * height / width)),
        x_range=(0, width), y_range=(0, height), toolbar_location=None, tools="", name="gallery_plot",
    )
    thumbs = gallery.image_rgba(image="image", x="x", y="y", dw=thumb, dh=thumb, source=source)
    thumbs.nonselection_glyph = thumbs.glyph.clone()  # unchosen photos stay as bright as the chosen one
    gallery.rect(x="cx", y="cy", width=thumb, height=thumb, source=source, fill_alpha=0, line_alpha=0,
                 selection_line_alpha=1, selection_line_color="#d95f02", selection_line_width=3,
                 nonselection_line_alpha=0)
    gallery.add_tools(HoverTool(renderers=[thumbs], tooltips=[("photo of", "@label")]))
    gallery.add_tools(TapTool(renderers=[thumbs], mode="replace"))  # clicking the shown photo keeps it chosen
    gallery.outline_line_color = None
    upload = FileInput(accept="image/*", name="upload", title="…or upload your own photo:")
    status = live_status(Div(text="Choose a photo to explain it instead; every view on this page follows.",
                             name=protocol.STATUS, styles={"color": "#333"}))
    # the keyboard's way through the gallery, and a text alternative for the thumbnails
    menu = gallery_menu(source, data["label"])
    as_image(gallery, f"{len(images)} photos to choose from: {', '.join(dict.fromkeys(data['label']))}. "
                      "The menu below chooses one too.")
    # Each clears the other once its picture is shown, so every choice is a change (even a repeated one).
    source.selected.js_on_change("indices", custom_js("image_picker/gallery", source=source, upload=upload))
    upload.js_on_change("value", custom_js("image_picker/upload", upload=upload, source=source))
    parts = [Div(text="<b>Change the picture.</b> Choose a photo:"), gallery, row(menu, upload), status]
    if preview is not None:
        pair, pair_args = picture_pair(preview[0], size=120, prefix="preview")
        parts.append(pair)
    layout = column(*parts, sizing_mode="stretch_width")
    if preview is not None:  # input_view/fill.js draws the pair, for the first frame too
        picture = picture_source(preview[0], original=preview[1])
        layout.tags = [refill_callback("input_view", picture=picture, channels=[], **pair_args)]
    return layout
