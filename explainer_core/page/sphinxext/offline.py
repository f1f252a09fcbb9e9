"""After the build, report every page that would load something from another host.

``<script src="https://...">``, a stylesheet's ``url(//...)`` and the like are
build warnings, so with ``-W`` they fail the build: the book must work offline.
Links a reader follows are fine.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: (tag, attribute) pairs that make a browser fetch the URL when the page loads.
_LOADING_ATTRIBUTES = {
    ("script", "src"),
    ("img", "src"),
    ("img", "srcset"),
    ("iframe", "src"),
    ("source", "src"),
    ("source", "srcset"),
    ("video", "src"),
    ("video", "poster"),
    ("audio", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("input", "src"),
}
_LOADING_LINK_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "manifest", "apple-touch-icon"}
_INLINE_URL_RE = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[/"'\s)]""")
_CSS_URL_RE = re.compile(r"""(?:url\(|@import)\s*['"]?((?:https?:)?//[^'")\s]+)""")


def is_external(url: str) -> bool:
    """True for URLs on another host (http, https or protocol-relative); data: URIs are local."""
    url = url.strip()
    return url.startswith("//") or urlsplit(url).scheme in ("http", "https")


class _ExternalLoads(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._inline: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if (tag, name) in _LOADING_ATTRIBUTES:
                urls = [part.split()[0] for part in value.split(",") if part.strip()] if "srcset" in name else [value]
                self.found.extend(f"<{tag} {name}={url}>" for url in urls if is_external(url))
        if tag == "link" and _LOADING_LINK_RELS & set(values.get("rel", "").lower().split()):
            if is_external(values.get("href", "")):
                self.found.append(f"<link rel={values['rel']} href={values['href']}>")
        if tag in ("script", "style") and "src" not in values:
            self._inline = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._inline:
            self._inline = None

    def handle_data(self, data: str) -> None:
        if self._inline == "style":
            self.found.extend(f"<style> {url}" for url in _CSS_URL_RE.findall(data))
        elif self._inline == "script" and _INLINE_URL_RE.search(data):
            self.found.append(f"<script> mentions {_INLINE_URL_RE.search(data).group(0).rstrip()}")


def external_loads(html_text: str) -> list[str]:
    """What an HTML page would fetch from other hosts as it loads (links to read are fine)."""
    parser = _ExternalLoads()
    parser.feed(html_text)
    parser.close()
    return parser.found


def _check_offline(app: Sphinx, exception: BaseException | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.builder.outdir)
    for page in sorted(outdir.rglob("*.html")):
        for what in external_loads(page.read_text(encoding="utf-8")):
            logger.warning(
                "page %s loads from another host: %s",
                page.relative_to(outdir),
                what,
                type="explainer",
                subtype="offline",
            )
    for sheet in sorted((outdir / "_static").rglob("*.css")):
        for url in _CSS_URL_RE.findall(sheet.read_text(encoding="utf-8", errors="replace")):
            logger.warning(
                "stylesheet %s loads from another host: %s",
                sheet.relative_to(outdir),
                url,
                type="explainer",
                subtype="offline",
            )


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("build-finished", _check_offline)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
