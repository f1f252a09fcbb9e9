"""Launch buttons and live code, from one setting: ``repository: url:`` in ``_config.yml``.

With a public repository URL, sphinx-book-theme draws its launch buttons (Binder,
JupyterHub, Colab) on every chapter, and "Live Code" runs the chapter's cells in the
page with thebe, served from the book's own ``_static/live_code/`` (vendored in
``explainer_core/page/live_code/thebe/``; sphinx-thebe would fetch it from a CDN).
Without a URL every button would be a broken link, so the build says so once (an
info line: the build runs with ``-W``) and the pages get none.

The kernel is Binder's, built from the repository, unless the reader names a Jupyter
server of their own on this machine in the page's address
(``?jupyter=http://127.0.0.1:8888&token=...``; ``live_code.js`` explains).
Explained in the chapter "How the book is built" (book/10_how_the_book_is_built.md).
"""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from .. import embed
from ..protocol import BOKEHJS_STATIC, LIVE_CODE_META

logger = logging.getLogger(__name__)

#: The vendored thebe release (its README says how it was fetched).
THEBE_VERSION = "0.9.3"
LIVE_CODE_DIR = Path(__file__).resolve().parent.parent / "live_code"
#: Where the page scripts and thebe land in the built book, under ``_static``.
STATIC = "live_code"
#: The ``<meta>`` that hands the page its kernel settings (a meta is not a script, so the
#: offline audit rightly sees no load from Binder: nothing is fetched before the click).
META_NAME = LIVE_CODE_META
#: Launch-button settings that point at a service; all are dropped when there is no URL.
SERVICES = ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url", "jupyterlite_url", "thebe")
#: Services that open a notebook file from GitHub only, and only an ``.ipynb`` one.
NOTEBOOK_FILE_SERVICES = {"Colab": "colab_url", "Deepnote": "deepnote_url"}
#: BokehJS bundles a live cell may need beyond the page's own (a widget on a page of plots, say):
#: copied beside the book's BokehJS, and loaded by live_code.js on the click, before the kernel.
LIVE_BUNDLES = (embed.CORE_BUNDLE, "bokeh-gl.min.js", "bokeh-widgets.min.js", "bokeh-tables.min.js")
_PROVIDERS = {"github.com": "github", "gitlab.com": "gitlab"}


def repository(config: Config) -> tuple[str, str, str] | None:
    """``(provider, "org/repo", url)`` of the book's public repository, or None when none is set."""
    url = (config.html_theme_options.get("repository_url") or "").strip().rstrip("/")
    if not url:
        return None
    parts = urlsplit(url)
    path = parts.path.strip("/").removesuffix(".git")
    provider = _PROVIDERS.get((parts.hostname or "").lower(), "git")
    return provider, path, url


def _settle_buttons(app: Sphinx, config: Config) -> None:
    options = config.html_theme_options
    buttons = dict(options.get("launch_buttons") or {})
    found = repository(config)
    if found is None:
        if any(buttons.get(key) for key in SERVICES):
            logger.info("launch buttons: none, because _config.yml sets no public repository (repository: url:)")
        options["launch_buttons"] = {key: value for key, value in buttons.items() if key not in SERVICES}
        config.explainer_live_code = {}
        return
    provider, slug, url = found
    if provider != "github":
        for name, key in NOTEBOOK_FILE_SERVICES.items():
            if buttons.pop(key, None):
                logger.info("launch buttons: no %s button, which opens notebooks from GitHub only (%s)", name, url)
    options["launch_buttons"] = buttons
    settings = None
    if buttons.get("thebe"):
        binder = buttons.get("binderhub_url") or "https://mybinder.org"
        branch = options.get("repository_branch") or "main"
        settings = {
            "binder": {"binderUrl": binder.rstrip("/"), "repo": slug if provider != "git" else url, "ref": branch,
                       "repoProvider": provider},
            "pathToBook": (options.get("path_to_docs") or "").strip("/"),
            "thebeVersion": THEBE_VERSION,
            "bokehjs": [f"{BOKEHJS_STATIC}/{name}" for name in LIVE_BUNDLES],
        }
        # sphinx-book-theme warns when thebe is on and no thebe_config exists (sphinx-thebe's)
        config.thebe_config = {"repository_url": url, "repository_branch": branch}
    config.explainer_live_code = settings or {}


def _copy_assets(app: Sphinx, exception: BaseException | None) -> None:
    if exception is not None or app.builder.format != "html" or not app.config.explainer_live_code:
        return
    static = Path(app.builder.outdir) / "_static"
    shutil.copytree(LIVE_CODE_DIR, static / STATIC, dirs_exist_ok=True, ignore=shutil.ignore_patterns("README.md"))
    (static / BOKEHJS_STATIC).mkdir(parents=True, exist_ok=True)
    for source in embed.bokehjs_files(LIVE_BUNDLES):
        shutil.copyfile(source, static / BOKEHJS_STATIC / source.name)


def _is_ipynb(app: Sphinx, pagename: str) -> bool:
    source = Path(app.env.doc2path(pagename))
    return source.suffix == ".ipynb" or source.with_suffix(".ipynb").is_file()


def _add_live_code(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """On each chapter with launch buttons: Colab only where it opens, the live-code script where on."""
    if app.builder.format != "html":
        return
    for group in context.get("header_buttons") or []:
        if group.get("label") == "launch-buttons" and not _is_ipynb(app, pagename):
            # Colab and Deepnote open .ipynb files only; a chapter in MyST Markdown would be a broken link
            group["buttons"] = [b for b in group["buttons"] if b.get("text") not in NOTEBOOK_FILE_SERVICES]
    settings = app.config.explainer_live_code
    if not settings or not context.get("use_thebe"):
        return
    kernelspec = app.env.metadata.get(pagename, {}).get("kernelspec") or {}
    kernelspec = json.loads(kernelspec) if isinstance(kernelspec, str) else kernelspec
    # the session's notebook path: the kernel starts in the chapter's folder, as on the build
    path = f"{settings['pathToBook']}/{pagename}.ipynb".lstrip("/")
    page = dict(settings, path=path, kernel=kernelspec.get("name", "python3"))
    context.setdefault("metatags", "")
    context["metatags"] += f'\n<meta name="{META_NAME}" content="{html.escape(json.dumps(page), quote=True)}">'
    app.builder.add_css_file(f"{STATIC}/live_code.css")
    app.builder.add_js_file(f"{STATIC}/live_code.js", defer="defer")


def setup(app: Sphinx) -> dict[str, Any]:
    if "thebe_config" not in app.config.values:
        app.add_config_value("thebe_config", {}, "html")
    # what _settle_buttons decided: the pages' live-code settings, or {} for none
    app.add_config_value("explainer_live_code", {}, "html")
    # after jupyter_book has turned _config.yml into html_theme_options
    app.connect("config-inited", _settle_buttons, priority=900)
    # after sphinx-book-theme's add_launch_buttons (priority 501)
    app.connect("html-page-context", _add_live_code, priority=600)
    app.connect("build-finished", _copy_assets, priority=100)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
