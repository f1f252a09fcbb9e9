"""A chapter's exercises as an otter-grader master notebook: the one place homework comes from.

The chapter (``book/NN_stem.md``) is the source of truth: its "## Exercises" section holds
each question (a MyST admonition), its solution (a hidden code cell ending in
``assert check("NN.k", answer)``) and, for the open question, one answer (a dropdown).
:func:`master_notebook` turns that section into the notebook ``otter assign`` reads, so
nobody writes a homework twice:

* the imports of every solution go into a setup cell the student gets;
* each checked exercise becomes a question worth one point: the solution body is marked
  for removal, the answer lands in ``answer_NN_k`` (the student sees ``answer_NN_k = ...``),
  a public test says whether an answer is there at all (0 points) and a hidden test asks
  the library whether it is right (1 point);
* each open question becomes a manual question whose model answer only the instructor's
  copy keeps.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

#: Where the chapters are, relative to the repository.
BOOK = Path(__file__).resolve().parents[2] / "book"

_ADMONITION = re.compile(r"^:::\{admonition\} (Exercise \d+: [^\n]+)\n(?::class: [^\n]+\n)?(.*?)\n:::$", re.S | re.M)
_DROPDOWN = re.compile(r"^:::\{dropdown\} One answer\n(.*?)\n:::$", re.S | re.M)
_PYTHON_FENCE = re.compile(r"```python\n(.*?)```\n?", re.S)
#: The chapter's note to a book reader about opening a notebook (or this one).
_READER_NOTE = re.compile(r"Answer in a Jupyter notebook.*?without the answer\.\s*", re.S)
_CHECK_CALL = re.compile(r'check\("(\d+\.\d+)"')


class HomeworkError(ValueError):
    """A chapter's exercise section does not have the shape the homework needs."""


@dataclass(frozen=True)
class Question:
    """One exercise of a chapter, as the homework asks it."""

    title: str
    text: str
    #: The registry key ("05.1") of a checked exercise; None for an open question.
    key: str | None
    #: The solution's statements, imports taken out (checked exercises).
    solution: str = ""
    #: The expression the chapter's solution checks (checked exercises).
    answer: str = ""
    #: The chapter's model answer (open questions).
    model_answer: str = ""

    @property
    def variable(self) -> str:
        return "answer_" + str(self.key).replace(".", "_")

    @property
    def name(self) -> str:
        """otter's question name: q05_1 for exercise 05.1, q05_open for the open one."""
        return "q" + str(self.key).replace(".", "_") if self.key else ""


@dataclass(frozen=True)
class Homework:
    """Everything a chapter's homework notebook is made of."""

    stem: str
    title: str
    introduction: str
    setup: tuple[str, ...]
    imports: tuple[str, ...]
    questions: tuple[Question, ...]


def chapters() -> list[Path]:
    """Every numbered chapter of the book, in file order."""
    return sorted(BOOK.glob("[0-9][0-9]_*.md"))


def read_homework(chapter: Path) -> Homework:
    """Parse the "## Exercises" section of ``chapter`` (a MyST notebook)."""
    notebook = jupytext.read(chapter)
    cells = notebook.cells
    title = next(
        (line[2:].strip() for c in cells if c.cell_type == "markdown" for line in c.source.splitlines()
         if line.startswith("# ")),
        chapter.stem,
    )
    start = next(
        (i for i, c in enumerate(cells) if c.cell_type == "markdown" and "## Exercises" in c.source), None
    )
    if start is None:
        raise HomeworkError(f"{chapter.name} has no '## Exercises' section.")
    head, _, first = cells[start].source.partition("## Exercises")
    markdown_parts: list[tuple[str, str]] = [("markdown", first)] + [
        (c.cell_type, c.source) for c in cells[start + 1 :]
    ]

    introduction, setup, questions, imports = "", [], [], []
    pending: dict | None = None
    for kind, source in markdown_parts:
        if kind == "code":
            if pending is None or pending.get("key_cell"):
                raise HomeworkError(f"{chapter.name}: a solution cell without its exercise before it.")
            pending["key_cell"] = source
            continue
        position = 0
        for match in sorted([*_ADMONITION.finditer(source), *_DROPDOWN.finditer(source)], key=lambda m: m.start()):
            before = source[position : match.start()].strip()
            position = match.end()
            if before and not questions and pending is None:
                introduction, found = _take_setup(before)
                setup.extend(found)
            if match.re is _ADMONITION:
                if pending is not None:
                    questions.append(_question(chapter, pending, imports))
                pending = {"title": match.group(1).strip(), "text": match.group(2).strip()}
            else:
                if pending is None:
                    raise HomeworkError(f"{chapter.name}: 'One answer' without an open question before it.")
                pending["model_answer"] = match.group(1).strip()
        if position == 0 and source.strip() and not questions and pending is None:
            introduction, found = _take_setup(source.strip())
            setup.extend(found)
    if pending is not None:
        questions.append(_question(chapter, pending, imports))
    if len(questions) < 3:
        raise HomeworkError(f"{chapter.name} has {len(questions)} exercises; a chapter needs at least three.")
    return Homework(
        stem=chapter.stem,
        title=title,
        introduction=introduction,
        setup=tuple(setup),
        imports=tuple(dict.fromkeys(imports)),
        questions=tuple(questions),
    )


def _take_setup(text: str) -> tuple[str, list[str]]:
    """Split an introduction into its prose and the setup code it shows in python fences.

    The paragraph that tells a book reader to open a notebook is left out: this is one.
    """
    code = [block.strip() for block in _PYTHON_FENCE.findall(text)]
    prose = _READER_NOTE.sub("", _PYTHON_FENCE.sub("", text)).strip()
    return re.sub(r"(?<=\S)\n(?=\S)", " ", prose), code  # the chapter's lines, rejoined


def _question(chapter: Path, pending: dict, imports: list[str]) -> Question:
    text = _PYTHON_FENCE.sub(lambda m: "" if _CHECK_CALL.search(m.group(1)) else m.group(0), pending["text"])
    solution_source = pending.get("key_cell")
    if solution_source is None:
        if "model_answer" not in pending:
            raise HomeworkError(f"{chapter.name}: {pending['title']} has neither a solution cell nor one answer.")
        return Question(pending["title"], text.strip(), None, model_answer=pending["model_answer"])
    tree = ast.parse(solution_source)
    last = tree.body[-1] if tree.body else None
    call = last.test if isinstance(last, ast.Assert) else None
    if not (isinstance(call, ast.Call) and getattr(call.func, "id", "") == "check" and len(call.args) == 2):
        raise HomeworkError(
            f"{chapter.name}: the solution of {pending['title']} must end in assert check(key, answer)."
        )
    key = ast.literal_eval(call.args[0])
    lines = solution_source.splitlines()
    body: list[str] = []
    for statement in tree.body[:-1]:
        segment = "\n".join(lines[statement.lineno - 1 : statement.end_lineno])
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            imports.append(segment)
        else:
            body.append(segment)
    return Question(
        pending["title"],
        text.strip(),
        key,
        solution="\n".join(body),
        answer=ast.get_source_segment(solution_source, call.args[1]),
    )


# ---------------------------------------------------------------------------------------------
# The master notebook otter assign reads
# ---------------------------------------------------------------------------------------------


def master_notebook(chapter: Path) -> nbformat.NotebookNode:
    """The otter-grader master notebook (solutions and tests marked) for ``chapter``'s exercises."""
    homework = read_homework(chapter)
    number = homework.stem[:2]
    cells = [
        _raw(
            "# ASSIGNMENT CONFIG\n"
            f"name: {homework.stem}\n"
            "init_cell: true\n"
            "check_all_cell: false\n"
            "export_cell: false\n"
            "run_tests: false\n"
            "solutions_pdf: false\n"
            "generate: true\n"
            "tests:\n"
            "  files: false\n"
            "  ok_format: true"
        ),
        nbformat.v4.new_markdown_cell(
            f"# Homework: {homework.title}\n\n"
            f"The exercises of the chapter \"{homework.title}\" of *CNN Explainer, the book* "
            f"(`book/{homework.stem}.md`). Run the cells from the top. For each question, write your answer "
            "in place of the `...`; the cell under it says whether an answer is there, and "
            '`check("key", answer)` says whether it is right or gives a hint. The open questions are '
            "answered in words and graded by hand."
            + (f"\n\n{homework.introduction}" if homework.introduction else "")
        ),
        nbformat.v4.new_code_cell(
            "\n".join(
                [
                    "# Setup: BokehJS from your installation (no internet needed), and what the exercises use",
                    "from explainer_core import use_notebook",
                    "from explainer_core.exercises import check",
                    *[line for line in homework.imports if line != "from explainer_core.exercises import check"],
                    "",
                    "use_notebook()",
                ]
            )
        ),
        *[nbformat.v4.new_code_cell(code) for code in homework.setup],
    ]
    for question in homework.questions:
        cells.extend(_question_cells(question, number))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return notebook


def _question_cells(question: Question, number: str) -> list[nbformat.NotebookNode]:
    prompt = nbformat.v4.new_markdown_cell(f"**{question.title}**\n\n{question.text}")
    if question.key is None:
        return [
            _raw(f"# BEGIN QUESTION\nname: q{number}_open\nmanual: true\npoints: 1"),
            prompt,
            _raw("# BEGIN SOLUTION"),
            nbformat.v4.new_markdown_cell(question.model_answer),
            _raw("# END SOLUTION"),
            _raw("# END QUESTION"),
        ]
    solution = "# BEGIN SOLUTION NO PROMPT\n" + question.solution + "\n# END SOLUTION\n" if question.solution else ""
    return [
        _raw(f"# BEGIN QUESTION\nname: {question.name}\npoints: [0, 1]"),
        prompt,
        _raw("# BEGIN SOLUTION"),
        nbformat.v4.new_code_cell(f"{solution}{question.variable} = {question.answer}  # SOLUTION"),
        _raw("# END SOLUTION"),
        _raw("# BEGIN TESTS"),
        nbformat.v4.new_code_cell(
            f"# An answer is there (whether it is right, check({question.key!r}, ...) says)\n"
            f"assert {question.variable} is not ..., 'Write your answer in place of the ...'"
        ),
        nbformat.v4.new_code_cell(
            "# HIDDEN\n"
            "from explainer_core.exercises import is_right\n"
            f"assert is_right({question.key!r}, {question.variable})"
        ),
        _raw("# END TESTS"),
        _raw("# END QUESTION"),
        nbformat.v4.new_code_cell(f"check({question.key!r}, {question.variable})"),
    ]


def _raw(source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_raw_cell(source)
