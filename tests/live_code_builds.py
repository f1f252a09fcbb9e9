"""Two small builds of the book for the launch-button and live-code tests, each built once per run.

Each is the intro plus chapter 10 (whose code cells are shown, one drawing a Bokeh plot),
built with ``-W`` from a copy of ``_config.yml`` that differs only in ``repository: url:``.
Two test modules use them, so the builds are cached here for the process rather than in
a session fixture (pytest would run a session fixture defined in two modules twice).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .browser import REPO

#: The public repository the "URL set" build names (never contacted: the tests run offline).
REPOSITORY = "https://github.com/example-org/cnn-explainer-book"
#: A hub address for the JupyterHub button, which needs one besides the repository.
HUB = "https://hub.example.org"
CHAPTER = "book/10_how_the_book_is_built"
TOC = f"format: jb-book\nroot: book/intro\nchapters:\n  - file: {CHAPTER}\n"


@dataclass(frozen=True)
class Build:
    html: Path
    log: str


_built: dict[str, Build] = {}


def _config(repository: str) -> str:
    text = (REPO / "_config.yml").read_text(encoding="utf-8")
    lines = text.splitlines()
    start = lines.index("repository:")
    url_line = next(i for i in range(start, len(lines)) if lines[i].lstrip().startswith("url:"))
    lines[url_line] = f'  url: "{repository}"'
    if repository:
        hub_line = next(i for i, line in enumerate(lines) if line.lstrip().startswith("jupyterhub_url:"))
        lines[hub_line] = f'  jupyterhub_url: "{HUB}"'
    return "\n".join(lines) + "\n"


def build(name: str, repository: str, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The small book built with ``repository: url:`` set to ``repository`` ('' for none); once per run."""
    if name in _built:
        return _built[name]
    folder = tmp_path_factory.mktemp(f"live-code-{name}")
    (folder / "_config.yml").write_text(_config(repository), encoding="utf-8")
    (folder / "_toc.yml").write_text(TOC, encoding="utf-8")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [
        str(jupyter_book if jupyter_book.exists() else shutil.which("jupyter-book") or "jupyter-book"),
        "build", str(REPO), "--config", str(folder / "_config.yml"), "--toc", str(folder / "_toc.yml"),
        "--path-output", str(folder), "--all", "--warningiserror",
    ]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=1800)
    log = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed ({result.returncode}):\n{log[-6000:]}", pytrace=False)
    _built[name] = Build(folder / "_build" / "html", log)
    return _built[name]
