"""Write each gallery photo's comparison block into ``_static/comparison/`` of a page that needs them.

The comparison view (``explainer_core/views/compare_view``) carries only its first picture;
when the reader picks another, the browser fetches that picture's block
(:mod:`explainer_core.views.compare_view.payload`). This job writes the blocks once per
build, on the first page whose body holds :data:`MARK`: the photo's pixels (read from the
data set at build time: the photos are not ours to publish, so they never enter the
repository), every zoo member's precomputed maps and their distances, plus ``manifest.json``.

Without the data set (``$CNN_EXPLAINER_DATA``) nothing is written and the build goes on;
the chapter says the view is missing and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: A page whose body holds this (the view's store source is named after it) gets the blocks.
MARK = "comparison-store"


def write_blocks(outdir: Path, data_path: str | None = None) -> int:
    """Write every gallery photo's block and the manifest under ``outdir/_static/comparison``; return how many."""
    from ...precompute import load
    from ...views.compare_view.payload import FOLDER, block_name, gallery_pixels, manifest, picture_block

    index, arrays = load()
    pixels = gallery_pixels(index["photos"], data_path)
    folder = outdir / "_static" / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    maps = arrays["maps"]  # (members, methods, photos, H, W)
    for p in range(len(index["photos"])):
        block = picture_block(pixels[p], maps[:, :, p])
        (folder / block_name(p)).write_bytes(block.to_bytes())
    (folder / "manifest.json").write_text(
        manifest(index["members"], index["methods"], index["photos"], pixels.shape[1]), encoding="utf-8"
    )
    return len(index["photos"])


def _write_once(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if app.builder.format != "html" or MARK not in (context.get("body") or ""):
        return
    if app.builder.__dict__.get("_explainer_comparison_written"):
        return
    app.builder.__dict__["_explainer_comparison_written"] = True
    from ...errors import ExplainerError

    try:
        count = write_blocks(Path(app.builder.outdir))
    except ExplainerError as exc:
        logger.info("comparison blocks not written (%s): %s", pagename, exc)
        return
    logger.info("comparison blocks: %d pictures written to _static/comparison", count)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", _write_once)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
