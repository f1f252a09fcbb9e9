"""Homework an instructor hands out: otter-grader's student and instructor versions of each chapter.

``otter assign`` does the stripping (solutions, hidden tests, model answers); this module
feeds it the master notebook :mod:`.homework` derives from the chapter, gives the cells
stable ids so a release is the same file every time, and refuses to hand out a student
notebook in which any piece of a solution survived.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import tempfile
from pathlib import Path

import nbformat

from .homework import BOOK, Homework, master_notebook, read_homework

#: The student notebooks the book links to and Binder opens (generated: never edit by hand).
NOTEBOOKS = BOOK.parent / "notebooks"


class ReleaseError(RuntimeError):
    """A release could not be made, or would leak a solution."""


def assign(chapter: Path, folder: Path) -> dict[str, Path]:
    """Run ``otter assign`` on ``chapter``'s master notebook inside ``folder``.

    Returns the paths of the ``student`` notebook, the ``solutions`` notebook and the
    ``autograder`` zip. otter prints its progress; that is kept out of the caller's output.
    """
    from otter.assign import main as otter_assign

    stem = chapter.stem
    master = folder / "master" / f"{stem}.ipynb"
    master.parent.mkdir(parents=True)
    nbformat.write(master_notebook(chapter), master)
    result = folder / "result"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        otter_assign(str(master), str(result), no_pdfs=True)
    zips = sorted((result / "autograder").glob(f"{stem}-autograder_*.zip"))
    if not zips:
        raise ReleaseError(f"otter assign made no autograder for {stem}.")
    paths = {
        "student": result / "student" / f"{stem}.ipynb",
        "solutions": result / "autograder" / f"{stem}.ipynb",
        "autograder": zips[-1],
    }
    for name in ("student", "solutions"):
        _stable_ids(paths[name])
    return paths


def _stable_ids(path: Path) -> None:
    """Number the cells (otter and nbformat draw random ids), so a release is reproducible."""
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index:03d}"
    nbformat.write(notebook, path)


def leaks(student: Path, homework: Homework) -> list[str]:
    """Each solution line, hidden test or model answer of ``homework`` that ``student`` still holds."""
    text = student.read_text(encoding="utf-8")  # the whole file: cells, outputs and otter's metadata
    given = {_code(line) for block in homework.setup for line in block.splitlines()}  # handed out on purpose
    found = []
    for question in homework.questions:
        pieces = [line.strip() for line in question.solution.splitlines()]
        pieces += [f"{question.variable} = {question.answer}"] if question.key else []
        pieces += [paragraph.strip() for paragraph in question.model_answer.split("\n\n")]
        for piece in pieces:
            if _code(piece) in given or len(piece) < 12 or piece.startswith("#"):
                continue  # setup the student is given, or too short or a comment to tell a solution by
            if piece in text or json.dumps(piece)[1:-1] in text:  # as written, or as the notebook's JSON escapes it
                found.append(f"{question.title}: {piece}")
    if "is_right(" in text:
        found.append("a hidden test (is_right) is in the student notebook")
    return found


def _code(line: str) -> str:
    """A line of code without its trailing comment."""
    return re.sub(r"\s+#.*$", "", line).strip()


def release(chapters: list[Path], out: Path, *, overwrite: bool = False) -> dict[str, dict[str, Path]]:
    """Write ``out/student``, ``out/solutions`` and ``out/autograder`` for ``chapters``.

    Everything is made in a temporary folder first and moved into place at the end, so a
    failure leaves ``out`` as it was; an existing ``out`` is replaced only with ``overwrite``.
    """
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ReleaseError(f"{out} already holds a release; pass --overwrite to replace it.")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".release-", dir=out.parent))
    try:
        made: dict[str, dict[str, Path]] = {}
        for chapter in chapters:
            paths = assign(chapter, staging / "work" / chapter.stem)
            found = leaks(paths["student"], read_homework(chapter))
            if found:
                raise ReleaseError(f"{chapter.stem}: the student notebook still holds " + "; ".join(found[:3]))
            made[chapter.stem] = {}
            for kind, suffix in (("student", ".ipynb"), ("solutions", ".ipynb"), ("autograder", ".zip")):
                target = staging / "release" / kind / f"{chapter.stem}{suffix}"
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(paths[kind], target)
                made[chapter.stem][kind] = out / kind / target.name
        if out.exists():
            shutil.rmtree(out)
        (staging / "release").rename(out)
        return made
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def stale_notebooks(chapters: list[Path], *, write: bool = False) -> list[str]:
    """The chapters whose ``notebooks/`` student notebook differs from a fresh release (written with ``write``)."""
    stale = []
    with tempfile.TemporaryDirectory() as folder:
        for chapter in chapters:
            fresh = assign(chapter, Path(folder) / chapter.stem)["student"]
            shipped = NOTEBOOKS / f"{chapter.stem}.ipynb"
            if not shipped.is_file() or shipped.read_bytes() != fresh.read_bytes():
                stale.append(chapter.stem)
                if write:
                    NOTEBOOKS.mkdir(exist_ok=True)
                    temporary = shipped.with_suffix(".ipynb.tmp")
                    shutil.copyfile(fresh, temporary)
                    temporary.replace(shipped)
    return stale
