"""Write binder/requirements.txt: the exact versions, in the running environment, of what a notebook needs.

Binder (repo2docker) installs that file; `make install` installs it too, so the book is built
and tested with the very versions Binder runs. The list is the dependency closure of a few
roots, read from the installed packages' metadata (not a whole `pip freeze`, which would also
pin the book builder, the test tools and the linter, none of which a reader's notebook runs).

    .venv/bin/python binder/pin_requirements.py            # rewrite the file (`make binder-pins`)
    .venv/bin/python binder/pin_requirements.py --check    # exit 1 if the file is out of date
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

#: This project, and what its notebooks use besides it: myst_nb's `glue` (the chapters), jupytext (a
#: chapter's .md opens as a notebook), otter-grader (the homework's `otter.Notebook`), ipykernel.
ROOTS = ("cnn-explainer-book", "myst-nb", "jupytext", "otter-grader", "ipykernel")
#: Never pinned: the project (Binder's postBuild installs it from the repository) and the installer's own
#: tools, which every environment brings (as `pip freeze` leaves them out).
UNPINNED = ("cnn-explainer-book", "pip", "setuptools", "wheel")
OUT = Path(__file__).with_name("requirements.txt")

HEADER = """\
# Exact versions of everything a chapter or homework notebook imports, and of their dependencies.
# Binder (repo2docker) installs this file, and binder/postBuild then installs the project itself;
# `make install` installs this file too, so the book is built and tested with these very versions.
# Generated from the project's .venv by binder/pin_requirements.py (`make binder-pins`); do not edit
# by hand. Roots: {roots}. Resolved for Linux x86_64 and binder/runtime.txt's Python.
"""


def closure(roots: tuple[str, ...]) -> dict[str, str]:
    """Canonical name -> "Name==version" for the roots and everything they require here."""
    pins: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [Requirement(root) for root in roots]
    while todo:
        requirement = todo.pop()
        key = canonicalize_name(requirement.name)
        # A package met again with other extras may need more of its optional dependencies.
        if (key, frozenset(requirement.extras)) in seen:
            continue
        seen.add((key, frozenset(requirement.extras)))
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            sys.exit(f"pin_requirements: {requirement.name} is required but not installed (make install first)")
        pins[key] = f"{dist.metadata['Name']}=={dist.version}"
        extras = requirement.extras or {""}
        for line in dist.requires or []:
            dependency = Requirement(line)
            if dependency.marker is None or any(dependency.marker.evaluate({"extra": e}) for e in extras):
                todo.append(dependency)
    return {key: pin for key, pin in pins.items() if key not in UNPINNED}


def render() -> str:
    pins = closure(ROOTS)
    lines = [pins[key] for key in sorted(pins)]
    return HEADER.format(roots=", ".join(ROOTS)) + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the file is up to date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if OUT.is_file() and OUT.read_text() == text:
            return 0
        print(f"{OUT} is out of date: run `make binder-pins`", file=sys.stderr)
        return 1
    OUT.write_text(text)
    print(f"wrote {OUT} ({text.count(chr(10)) - HEADER.count(chr(10))} pins)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
