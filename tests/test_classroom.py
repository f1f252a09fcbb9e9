"""The classroom: homework notebooks from the chapters, the instructor's release, grading a folder.

The release and the grading run the real otter-grader 7 (``otter assign`` in-process,
``otter run`` per submission in a child process); nothing is mocked.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from explainer_core.classroom.__main__ import nbgitpuller_link
from explainer_core.classroom.homework import BOOK, chapters, read_homework
from explainer_core.classroom.release import NOTEBOOKS, leaks, release, stale_notebooks
from explainer_core.exercises import exercises, is_right

from .browser import REPO, toc_pages

CHAPTERS = [REPO / f"{page}.md" for page in toc_pages() if re.match(r"book/\d\d_", page)]
#: The cheapest chapter to grade (no model to load): the grading tests use it.
GRADED = BOOK / "05_hyperparameters.md"


def run_classroom(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "explainer_core.classroom", *args], cwd=cwd, capture_output=True, text=True
    )


# ---------------------------------------------------------------------------------------------
# Notebooks: one per chapter, generated, outside the book's sources
# ---------------------------------------------------------------------------------------------


def test_every_chapter_of_the_book_has_its_homework_notebook_and_no_notebook_sits_beside_a_chapter():
    assert sorted(chapters()) == sorted(CHAPTERS), "homework.chapters() must be the book's numbered chapters"
    for chapter in CHAPTERS:
        notebook = nbformat.read(NOTEBOOKS / f"{chapter.stem}.ipynb", as_version=4)
        answers = [c for c in notebook.cells if re.match(r"answer_\d\d_\d+ = \.\.\.$", c.source)]
        keys = [k for k in exercises() if k.startswith(chapter.stem[:2] + ".")]
        assert len(answers) == len(keys), chapter.stem
        assert len(read_homework(chapter).questions) >= 3
    # a paired .ipynb beside a chapter's .md would be a second document for the same name (-W fails)
    assert not list(BOOK.rglob("*.ipynb"))


def test_the_shipped_notebooks_are_what_the_chapters_generate_today():
    assert stale_notebooks(chapters()) == [], "run: python -m explainer_core.classroom notebooks --overwrite"


def test_the_notebooks_command_reports_a_stale_notebook_and_rewrites_it_only_when_told(tmp_path, monkeypatch):
    import explainer_core.classroom.release as release_module

    folder = tmp_path / "notebooks"
    folder.mkdir()
    shipped = folder / "05_hyperparameters.ipynb"
    shipped.write_text("{}", encoding="utf-8")
    monkeypatch.setattr(release_module, "NOTEBOOKS", folder)
    assert stale_notebooks([GRADED]) == ["05_hyperparameters"]
    assert shipped.read_text(encoding="utf-8") == "{}", "reported, not rewritten"
    assert stale_notebooks([GRADED], write=True) == ["05_hyperparameters"]
    assert shipped.read_bytes() == (NOTEBOOKS / shipped.name).read_bytes()
    assert stale_notebooks([GRADED]) == []


# ---------------------------------------------------------------------------------------------
# Release: every chapter, and no solution reaches the student folder
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "homework"
    result = run_classroom("release", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_release_hands_out_a_student_notebook_per_chapter_and_keeps_solutions_and_autograders_apart(released):
    names = sorted(c.stem for c in CHAPTERS)
    for kind, suffix in (("student", ".ipynb"), ("solutions", ".ipynb"), ("autograder", ".zip")):
        assert sorted(p.name.removesuffix(suffix) for p in (released / kind).iterdir()) == names, kind
    assert not list(released.parent.glob(".release-*")), "the staging folder is cleaned up"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_no_solution_reaches_the_student_folder(released, chapter):
    homework = read_homework(chapter)
    student = released / "student" / f"{chapter.stem}.ipynb"
    text = student.read_text(encoding="utf-8")
    assert leaks(student, homework) == []
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "# SOLUTION", "is_right", "# HIDDEN", '"hidden": true'):
        assert marker not in text, marker
    notebook = nbformat.read(student, as_version=4)
    tests = notebook.metadata["otter"]["tests"]
    checked = [q for q in homework.questions if q.key]
    # the public test stays with the student; the hidden one does not
    assert sorted(tests) == sorted(q.name for q in checked)
    for question in checked:
        cases = tests[question.name]["suites"][0]["cases"]
        assert [case["hidden"] for case in cases] == [False]
        assert f"{question.variable} is not ..." in cases[0]["code"]
    # the instructor's copies keep what the student's lost
    solutions = (released / "solutions" / f"{chapter.stem}.ipynb").read_text(encoding="utf-8")
    with zipfile.ZipFile(released / "autograder" / f"{chapter.stem}.zip") as archive:
        hidden = "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("tests/"))
    for question in checked:
        assert json.dumps(f"{question.variable} = {question.answer}")[1:-1] in solutions
        assert f"is_right('{question.key}', {question.variable})" in hidden
    open_questions = [q for q in homework.questions if q.key is None]
    assert open_questions and all(q.model_answer.split("\n")[0] not in text for q in open_questions)


def test_every_released_solution_passes_its_hidden_tests(released, capsys):
    """The instructor's notebooks, run cell by cell in this process (one TensorFlow start for all):
    the moved imports, the setup and each ``answer_NN_k`` line still compute the right answers."""
    from otter.test_files import OKTestFile

    for chapter in CHAPTERS:
        notebook = nbformat.read(released / "solutions" / f"{chapter.stem}.ipynb", as_version=4)
        namespace: dict = {}
        for cell in notebook.cells:
            if cell.cell_type == "code" and "otter" not in cell.source and "grader.check" not in cell.source:
                exec(compile(cell.source, f"{chapter.stem}.ipynb", "exec"), namespace)
        with zipfile.ZipFile(released / "autograder" / f"{chapter.stem}.zip") as archive:
            for name in (n for n in archive.namelist() if n.startswith("tests/")):
                test_file = released / f"{chapter.stem}-{Path(name).name}"
                test_file.write_bytes(archive.read(name))
                result = OKTestFile.from_file(str(test_file))
                result.run(namespace)
                assert result.grade == 1, f"{chapter.stem} {name}: {result.summary()}"
    capsys.readouterr()


def test_the_leak_check_finds_a_solution_left_in_a_student_notebook(released, tmp_path):
    homework = read_homework(GRADED)
    notebook = nbformat.read(released / "student" / f"{GRADED.stem}.ipynb", as_version=4)
    question = homework.questions[1]
    notebook.cells.append(nbformat.v4.new_code_cell(question.solution))
    leaky = tmp_path / "leaky.ipynb"
    nbformat.write(notebook, leaky)
    assert leaks(leaky, homework), "a solution pasted into the student notebook must be found"


def test_release_refuses_to_replace_an_earlier_release_unless_told(tmp_path):
    out = tmp_path / "homework"
    out.mkdir()
    (out / "keep.txt").write_text("an earlier release", encoding="utf-8")
    refused = run_classroom("release", "05", "--out", str(out))
    assert refused.returncode == 2 and "--overwrite" in refused.stderr and "Traceback" not in refused.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    made = release([GRADED], out, overwrite=True)
    assert made[GRADED.stem]["student"].is_file() and not (out / "keep.txt").exists()
    unknown = run_classroom("release", "99", "--out", str(tmp_path / "other"))
    assert unknown.returncode == 2 and "05_hyperparameters" in unknown.stderr
    assert not (tmp_path / "other").exists()


# ---------------------------------------------------------------------------------------------
# Grading: a folder of submissions to one CSV, without Docker
# ---------------------------------------------------------------------------------------------


def submission(released: Path, answers: dict[str, str], extra: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The student notebook of the graded chapter with some ``answer_...`` cells filled in.

    ``answers`` maps a variable to its cell's new source; ``extra`` maps a variable to a cell put before it.
    """
    notebook = nbformat.read(released / "student" / f"{GRADED.stem}.ipynb", as_version=4)
    cells = []
    for cell in notebook.cells:
        variable = cell.source.split(" = ")[0] if cell.cell_type == "code" else ""
        if extra and variable in extra:
            cells.append(nbformat.v4.new_code_cell(extra[variable]))
        if variable in answers:
            cell.source = answers[variable]
        cells.append(cell)
    notebook.cells = cells
    return notebook


def solution_cells(released: Path) -> dict[str, str]:
    notebook = nbformat.read(released / "solutions" / f"{GRADED.stem}.ipynb", as_version=4)
    found = {}
    for cell in notebook.cells:
        match = re.search(r"^(answer_\d\d_\d+) = ", cell.source, re.M) if cell.cell_type == "code" else None
        if match and "is not ..." not in cell.source and "is_right" not in cell.source:
            found[match.group(1)] = cell.source
    return found


@pytest.mark.slow
def test_grading_a_folder_scores_every_kind_of_submission_and_a_runaway_one_does_not_stop_the_rest(
    released, tmp_path
):
    right = solution_cells(released)
    assert sorted(right) == ["answer_05_1", "answer_05_2"]
    folder = tmp_path / "submissions"
    folder.mkdir()
    notebooks = {
        "ada": submission(released, right),
        "blaise": submission(released, {}),
        "carl": submission(released, {**right, "answer_05_2": "answer_05_2 = [1, 2, 3]"}),
        # an error in her second answer's cell: the first still counts
        "dora": submission(
            released, {**right, "answer_05_2": "raise RuntimeError('a mistake')\n" + right["answer_05_2"]}
        ),
        "aaron": submission(released, right, extra={"answer_05_2": "while True:\n    pass"}),
    }
    for student, notebook in notebooks.items():
        if student == "dora":  # a student who handed in a folder
            (folder / student).mkdir()
            nbformat.write(notebook, folder / student / f"{GRADED.stem}.ipynb")
        else:
            nbformat.write(notebook, folder / f"{student}.ipynb")
    table = tmp_path / "scores.csv"
    # The limit is a hang guard for aaron's endless loop: a finishing notebook of this chapter takes
    # about ten seconds alone and 25 s on a machine busy with other builds: 60 s leaves a wide margin.
    result = run_classroom(
        "grade", str(folder), "--autograder", str(released / "autograder" / f"{GRADED.stem}.zip"),
        "--out", str(table), "--time-limit", "60", "--jobs", "2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = {row["student"]: row for row in csv.DictReader(table.open(encoding="utf-8"))}
    # aaron is first in the folder, so his endless loop holds one worker while the other grades the rest
    assert list(rows) == ["aaron", "ada", "blaise", "carl", "dora"]
    assert list(rows["ada"]) == ["student", "q05_1", "q05_2", "total", "possible", "status"]
    scores = {s: (float(r["q05_1"]), float(r["q05_2"]), float(r["total"]), r["status"]) for s, r in rows.items()}
    assert scores["ada"] == (1, 1, 2, "graded")  # right answers: full marks
    assert scores["blaise"] == (0, 0, 0, "graded")  # nothing filled in
    assert scores["carl"] == (1, 0, 1, "graded")  # one right, one wrong
    assert scores["dora"] == (1, 0, 1, "graded")  # the error costs her second answer, not her grade
    assert scores["aaron"][:3] == (0, 0, 0) and scores["aaron"][3].startswith("time limit")
    assert all(float(r["possible"]) == 2 for r in rows.values())
    # the public tests alone could not have told carl's wrong answer from a right one
    assert not is_right("05.2", [1, 2, 3])


def test_grading_names_a_missing_folder_or_autograder_in_one_line(tmp_path):
    missing = run_classroom("grade", str(tmp_path / "nowhere"), "--autograder", str(tmp_path / "a.zip"))
    assert missing.returncode == 2 and "nowhere" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "in").mkdir()
    no_zip = run_classroom("grade", str(tmp_path / "in"), "--autograder", str(tmp_path / "a.zip"))
    assert no_zip.returncode == 2 and "release" in no_zip.stderr
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")
    bad = run_classroom("grade", str(tmp_path / "in"), "--autograder", str(broken), "--out", str(tmp_path / "s.csv"))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert not (tmp_path / "s.csv").exists()


def test_nbgitpuller_links_open_each_notebook_from_the_repository_on_the_hub():
    repo = "https://github.com/someone/cnn-book.git"
    link = nbgitpuller_link("https://hub.example.edu/", repo, "notebooks/05_x.ipynb")
    assert link == (
        "https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A//github.com/someone/cnn-book.git"
        "&branch=main&urlpath=lab/tree/cnn-book/notebooks/05_x.ipynb"
    )
    result = run_classroom("links", "--hub", "https://hub.example.edu", "--repo", "https://example.org/x/book")
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == len(CHAPTERS)
    assert all("urlpath=lab/tree/book/notebooks/" in line for line in result.stdout.splitlines())


# ---------------------------------------------------------------------------------------------
# The book: each chapter's page offers its notebook
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_each_chapter_page_links_its_homework_notebook_for_download(book_html, chapter):
    page = (book_html / "book" / f"{chapter.stem}.html").read_text(encoding="utf-8")
    links = re.findall(r'<a class="[^"]*download[^"]*"[^>]*href="([^"]+)"', page)
    ours = [link for link in links if link.endswith(f"/{chapter.stem}.ipynb")]
    assert len(ours) == 1, f"no download link to {chapter.stem}.ipynb on its page: {links}"
    served = (book_html / "book" / ours[0]).resolve()
    assert served.read_bytes() == (NOTEBOOKS / f"{chapter.stem}.ipynb").read_bytes()
