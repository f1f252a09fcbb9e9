"""The book's stylesheet, and no ``fontawesome.js``.

Adds ``explainer_core/page/assets/explainer.css`` to every page, and drops the
1.5 MB ``fontawesome.js`` that pydata-sphinx-theme loads on every page only so that
sites can register custom icons: the book has none, and the theme's icons are drawn
by its Font Awesome web font either way.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
STYLESHEET = "explainer.css"


def _add_assets(app: Sphinx, config: Any) -> None:
    config.html_static_path.append(str(ASSETS_DIR))
    app.add_css_file(STYLESHEET)


_FONTAWESOME_JS_RE = re.compile(r'<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>\n?')


def _drop_fontawesome_js(app: Sphinx) -> None:
    if app.builder.format != "html" or not hasattr(app.builder, "templates"):
        return
    templates = app.builder.templates
    render = templates.render

    def render_page(template: str, context: dict) -> str:
        return _FONTAWESOME_JS_RE.sub("", render(template, context))

    templates.render = render_page


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _add_assets)
    app.connect("builder-inited", _drop_fontawesome_js)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
