"""The instructor's commands: ``python -m explainer_core.classroom <command>``.

    notebooks [--overwrite]            regenerate notebooks/ (the student notebooks) from the chapters
    release [CHAPTER ...] --out DIR    student, solutions and autograder versions, ready to hand out
    grade FOLDER --autograder ZIP --out scores.csv [--time-limit S] [--jobs N]
                                       grade every submitted notebook in FOLDER, a CSV row per student
    links --hub URL --repo URL         nbgitpuller links that open each notebook on a JupyterHub

CHAPTER is a chapter file name or its number (``05``, ``05_hyperparameters``). Every
problem is one line on stderr and exit status 2; nothing half-written is left behind.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import quote, urlencode

from .grade import DEFAULT_TIME_LIMIT
from .homework import HomeworkError, chapters


def _pick(names: list[str]) -> list[Path]:
    every = chapters()
    if not names:
        return every
    picked = []
    for name in names:
        matches = [c for c in every if c.stem == name or c.stem.split("_")[0] == name or c.name == name]
        if not matches:
            raise ValueError(f"There is no chapter {name!r}; the chapters are {', '.join(c.stem for c in every)}.")
        picked.extend(matches)
    return picked


def nbgitpuller_link(hub: str, repo: str, notebook: str, branch: str = "main", interface: str = "lab") -> str:
    """A link that clones (or updates) ``repo`` into the learner's hub home and opens ``notebook``."""
    folder = repo.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1]
    target = f"{interface}/tree/{folder}/{notebook}" if interface == "lab" else f"tree/{folder}/{notebook}"
    query = urlencode({"repo": repo, "branch": branch, "urlpath": target}, quote_via=quote, safe="/")
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explainer_core.classroom", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    notebooks = commands.add_parser("notebooks", help="regenerate notebooks/ from the chapters")
    notebooks.add_argument("chapters", nargs="*")
    notebooks.add_argument("--overwrite", action="store_true", help="write the notebooks that are out of date")

    release = commands.add_parser("release", help="make the student and instructor versions")
    release.add_argument("chapters", nargs="*")
    release.add_argument("--out", type=Path, default=Path("dist/homework"))
    release.add_argument("--overwrite", action="store_true", help="replace an earlier release in --out")

    grade = commands.add_parser("grade", help="grade a folder of submitted notebooks to a CSV")
    grade.add_argument("folder", type=Path)
    grade.add_argument("--autograder", type=Path, required=True, help="the chapter's zip from `release`")
    grade.add_argument("--out", type=Path, default=Path("scores.csv"))
    grade.add_argument(
        "--time-limit", type=float, default=DEFAULT_TIME_LIMIT,
        help=f"seconds per notebook (default {DEFAULT_TIME_LIMIT:g})",
    )  # fmt: skip
    grade.add_argument("--jobs", type=int, default=1, help="notebooks graded at once (default 1)")

    links = commands.add_parser("links", help="nbgitpuller links for a JupyterHub")
    links.add_argument("chapters", nargs="*")
    links.add_argument("--hub", required=True, help="the hub's address, e.g. https://hub.example.edu")
    links.add_argument("--repo", required=True, help="the git repository the hub clones")
    links.add_argument("--branch", default="main")

    args = parser.parse_args(argv)
    try:
        if args.command == "notebooks":
            from .release import stale_notebooks

            stale = stale_notebooks(_pick(args.chapters), write=args.overwrite)
            if not stale:
                print("notebooks/ matches the chapters.")
            elif args.overwrite:
                print("Rewrote " + ", ".join(f"notebooks/{s}.ipynb" for s in stale))
            else:
                print("Out of date: " + ", ".join(stale) + " (run again with --overwrite)", file=sys.stderr)
                return 1
        elif args.command == "release":
            from .release import release as make_release

            made = make_release(_pick(args.chapters), args.out, overwrite=args.overwrite)
            print(f"Released {len(made)} homework notebooks into {args.out}:")
            print(f"  hand out   {args.out / 'student'}/")
            print(f"  keep       {args.out / 'solutions'}/ and {args.out / 'autograder'}/")
        elif args.command == "grade":
            from .grade import grade_folder

            if not args.folder.is_dir():
                raise ValueError(f"{args.folder} is not a folder of submitted notebooks.")
            if not args.autograder.is_file():
                raise ValueError(f"{args.autograder} does not exist: make it with `release` first.")
            grades = grade_folder(
                args.folder, args.autograder, args.out, time_limit=args.time_limit, jobs=args.jobs
            )
            if not grades:
                print(f"No notebooks in {args.folder}; {args.out} has the header only.", file=sys.stderr)
            print(f"Scores of {len(grades)} submissions in {args.out}")
        elif args.command == "links":
            for chapter in _pick(args.chapters):
                print(nbgitpuller_link(args.hub, args.repo, f"notebooks/{chapter.stem}.ipynb", args.branch))
    except (HomeworkError, OSError, ValueError, RuntimeError) as error:
        print(f"{args.command}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
