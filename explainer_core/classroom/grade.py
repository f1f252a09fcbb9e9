"""Grade a folder of submitted notebooks into one table, with ``otter run`` and no Docker.

``otter grade`` needs Docker; ``otter run`` grades one notebook in the local environment.
Each submission gets its own ``otter run`` process, in its own process group, with a time
limit: a notebook that raises still gets the points of the questions it answered, and one
that loops forever is stopped and scored zero without holding up the others.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

#: How long one submission may run, in seconds, before it is stopped (otter run included).
DEFAULT_TIME_LIMIT = 600.0


@dataclass
class Grade:
    """One submission's scores."""

    student: str
    #: question name -> points earned (auto-graded questions only).
    scores: dict[str, float] = field(default_factory=dict)
    #: question name -> points possible.
    possible: dict[str, float] = field(default_factory=dict)
    #: "graded", "time limit" or "failed: <why>".
    status: str = "graded"

    @property
    def total(self) -> float:
        return sum(self.scores.values())


def questions_of(autograder: Path) -> dict[str, float]:
    """The auto-graded questions of an otter autograder zip and their points, in order.

    Each ``tests/<question>.py`` assigns a literal dict ``test``; it is read, never run.
    """
    points = {}
    if not zipfile.is_zipfile(autograder):
        raise ValueError(f"{autograder} is not a zip file: use the autograder zip `release` wrote.")
    with zipfile.ZipFile(autograder) as archive:
        for name in sorted(n for n in archive.namelist() if n.startswith("tests/") and n.endswith(".py")):
            tree = ast.parse(archive.read(name).decode("utf-8"))
            test = next(
                ast.literal_eval(node.value)
                for node in tree.body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "test"
            )
            points[test.get("name", Path(name).stem)] = float(sum(_listify(test.get("points", 1))))
    if not points:
        raise ValueError(f"{autograder} holds no otter tests: is it an otter autograder zip?")
    return points


def _listify(value) -> list[float]:
    return [float(v) for v in value] if isinstance(value, list) else [float(value)]


def grade_one(submission: Path, autograder: Path, time_limit: float = DEFAULT_TIME_LIMIT) -> dict[str, float]:
    """Scores of one notebook by ``otter run`` in a child process; raises TimeoutError or RuntimeError."""
    with tempfile.TemporaryDirectory(prefix="grade-") as folder:
        command = [
            sys.executable, "-m", "otter", "run", "--no-logo",
            "-a", str(autograder.resolve()), "-o", folder, str(submission.resolve()),
        ]  # fmt: skip
        process = subprocess.Popen(
            command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            output, _ = process.communicate(timeout=time_limit)
        except subprocess.TimeoutExpired:
            _stop(process)
            raise TimeoutError(f"still running after {time_limit:g} s") from None
        results = Path(folder) / "results.json"
        if process.returncode != 0 or not results.is_file():
            last = output.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"otter run failed ({last[0][:200]})")
        tests = json.loads(results.read_text(encoding="utf-8")).get("tests", [])
    return {t["name"]: float(t.get("score") or 0) for t in tests if "max_score" in t and t["name"] != "Public Tests"}


def _stop(process: subprocess.Popen) -> None:
    """Kill otter run and the kernel it started (they share the process group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def submissions_in(folder: Path) -> list[tuple[str, Path]]:
    """(student, notebook) for every ``.ipynb`` under ``folder``: ``alice.ipynb`` or ``alice/<any>.ipynb``."""
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        relative = path.relative_to(folder)
        student = relative.parts[0] if len(relative.parts) > 1 else path.stem
        found.append((student, path))
    return found


def grade_folder(
    folder: Path,
    autograder: Path,
    table: Path,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    jobs: int = 1,
    progress=print,
) -> list[Grade]:
    """Grade every notebook in ``folder`` and write ``table`` (CSV): a row per student, a column per question.

    ``jobs`` submissions are graded at once (each its own ``otter run`` and kernel).
    """
    possible = questions_of(autograder)

    def one(entry: tuple[str, Path]) -> Grade:
        student, notebook = entry
        grade = Grade(student, possible=possible)
        try:
            earned = grade_one(notebook, autograder, time_limit)
            grade.scores = {name: earned.get(name, 0.0) for name in possible}
        except TimeoutError as error:
            grade.status, grade.scores = f"time limit: {error}", dict.fromkeys(possible, 0.0)
        except RuntimeError as error:
            grade.status, grade.scores = f"failed: {error}", dict.fromkeys(possible, 0.0)
        progress(f"{student}: {grade.total:g} / {sum(possible.values()):g} ({grade.status})")
        return grade

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        grades = list(pool.map(one, submissions_in(folder)))
    write_table(grades, possible, table)
    return grades


def write_table(grades: list[Grade], possible: dict[str, float], table: Path) -> None:
    """The CSV, written whole or not at all."""
    table.parent.mkdir(parents=True, exist_ok=True)
    partial = table.with_name(table.name + ".part")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *possible, "total", "possible", "status"])
        for grade in grades:
            writer.writerow(
                [grade.student, *(f"{grade.scores[q]:g}" for q in possible), f"{grade.total:g}",
                 f"{sum(possible.values()):g}", grade.status]
            )  # fmt: skip
    partial.replace(table)
