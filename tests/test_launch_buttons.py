"""Launch buttons from one setting, ``repository: url:`` (explainer_core/page/sphinxext/live_code.py).

Two small ``-W`` builds (tests/live_code_builds.py): with a repository URL every chapter
links to Binder and JupyterHub and has "Live Code" with thebe from the book's own _static;
without one the build says so once and the pages have no launch buttons at all.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from explainer_core.page.sphinxext import live_code
from explainer_core.page.sphinxext.offline import external_loads

from .live_code_builds import CHAPTER, HUB, REPOSITORY, build

NO_URL_MESSAGE = "launch buttons: none, because _config.yml sets no public repository"
_SCRIPT_SRC_RE = re.compile(r'<script[^>]*\ssrc="([^"]+)"')


@pytest.fixture(scope="module")
def with_url(tmp_path_factory):
    return build("with-url", REPOSITORY, tmp_path_factory)


@pytest.fixture(scope="module")
def without_url(tmp_path_factory):
    return build("without-url", "", tmp_path_factory)


def chapter(built) -> str:
    return (built.html / f"{CHAPTER}.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- no build


def _settled(url: str, **buttons) -> tuple[dict, dict, list[str]]:
    """Run the extension's config step on a stand-in config; (launch buttons, page settings, info lines)."""
    config = SimpleNamespace(
        html_theme_options={"repository_url": url, "repository_branch": "main", "launch_buttons": dict(buttons)},
        thebe_config={}, explainer_live_code={},
    )
    said: list[str] = []
    original = live_code.logger.info
    live_code.logger.info = lambda message, *args, **kw: said.append(message % args)
    try:
        live_code._settle_buttons(SimpleNamespace(), config)
    finally:
        live_code.logger.info = original
    return config.html_theme_options["launch_buttons"], config.explainer_live_code, said


def test_no_repository_means_no_buttons_and_one_info_line():
    buttons, settings, said = _settled("", binderhub_url="https://mybinder.org", colab_url="https://c", thebe=True,
                                       notebook_interface="jupyterlab")
    assert buttons == {"notebook_interface": "jupyterlab"} and settings == {}
    assert said == [NO_URL_MESSAGE + " (repository: url:)"]


def test_github_repository_gives_binder_settings_for_the_page():
    buttons, settings, said = _settled(REPOSITORY + ".git/", binderhub_url="https://mybinder.org/", thebe=True)
    assert said == [] and buttons["thebe"] is True
    assert settings["binder"] == {"binderUrl": "https://mybinder.org", "repo": "example-org/cnn-explainer-book",
                                  "ref": "main", "repoProvider": "github"}
    assert settings["thebeVersion"] == live_code.THEBE_VERSION


def test_colab_is_dropped_for_a_repository_outside_github():
    buttons, settings, said = _settled("https://gitlab.com/org/book", colab_url="https://colab.research.google.com",
                                       binderhub_url="https://mybinder.org", thebe=True)
    assert "colab_url" not in buttons and buttons["binderhub_url"]
    assert settings["binder"]["repoProvider"] == "gitlab" and settings["binder"]["repo"] == "org/book"
    assert len(said) == 1 and "Colab" in said[0]


def test_vendored_thebe_is_the_pinned_version_with_its_licence():
    folder = live_code.LIVE_CODE_DIR / "thebe"
    assert f't.default="{live_code.THEBE_VERSION}"' in (folder / "index.js").read_text(encoding="utf-8")
    assert f"thebe {live_code.THEBE_VERSION}" in (folder / "README.md").read_text(encoding="utf-8")
    assert "Redistribution and use in source and binary forms" in (folder / "LICENSE").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the two builds


@pytest.mark.slow
def test_without_url_the_build_says_so_once_and_shows_no_buttons(without_url):
    assert without_url.log.count(NO_URL_MESSAGE) == 1
    html = chapter(without_url)
    assert "dropdown-launch-buttons" not in html and "initThebe" not in html
    assert "mybinder.org" not in html and live_code.META_NAME not in html
    assert not (without_url.html / "_static" / live_code.STATIC).exists()


@pytest.mark.slow
def test_with_url_every_chapter_links_binder_and_jupyterhub(with_url):
    assert NO_URL_MESSAGE not in with_url.log
    html = chapter(with_url)
    links = set(re.findall(r'<a href="([^"]+)" target="_blank"\s+class="btn btn-sm dropdown-item"', html))
    path = f"{CHAPTER}.md"
    assert f"https://mybinder.org/v2/gh/example-org/cnn-explainer-book/main?urlpath=lab/tree/{path}" in links
    assert any(link.startswith(f"{HUB}/hub/user-redirect/git-pull?") and path in link for link in links), links
    # Colab opens .ipynb files only: a chapter written in MyST Markdown gets no (broken) Colab link
    assert not any("colab" in link for link in links), links
    assert 'onclick="initThebeSBT()"' in html


@pytest.mark.slow
def test_with_url_live_code_is_served_from_the_book_and_loads_nothing_before_the_click(with_url):
    html = chapter(with_url)
    assert external_loads(html) == []
    scripts = _SCRIPT_SRC_RE.findall(html)
    assert f"../_static/{live_code.STATIC}/live_code.js" in [src.split("?")[0] for src in scripts]
    assert not any("thebe/index.js" in src for src in scripts), "thebe itself loads on the click only"
    static = with_url.html / "_static" / live_code.STATIC
    assert (static / "thebe" / "index.js").is_file() and (static / "thebe" / "LICENSE").is_file()
    assert len(list((static / "thebe").glob("*.index.js"))) > 50, "thebe's chunks sit beside it"
    intro = (with_url.html / "book" / "intro.html").read_text(encoding="utf-8")
    assert "live_code.js" not in intro, "a page without code cells gets no live code"
