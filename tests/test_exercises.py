"""Every chapter's exercises: at least three, a hidden solution that is executed (and asserted) on the
build, an open question with an answer behind a dropdown, and a check that passes the library's own
answer and gives a hint that does not give it away."""

from __future__ import annotations

import re

import pytest

from explainer_core.exercises import check, exercise, exercises, generic_hint, same

from .browser import REPO, toc_pages

CHAPTERS = [page for page in toc_pages() if re.match(r"book/\d\d_", page)]


def chapter_key(docname: str) -> str:
    return docname.split("/")[-1][:2]


def source(docname: str) -> str:
    return (REPO / f"{docname}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("docname", CHAPTERS)
def test_every_chapter_ends_with_three_exercises_and_hidden_executed_solutions(docname):
    # one module per chapter registers its checkable exercises: explainer_core/exercises/ch<NN>_<name>.py
    assert (REPO / "explainer_core" / "exercises" / f"ch{docname.split('/')[-1]}.py").is_file()
    text = source(docname)
    assert "\n## Exercises\n" in text
    statements = re.findall(r":::\{admonition\} Exercise (\d+)", text)
    assert len(statements) >= 3 and statements == [str(i) for i in range(1, len(statements) + 1)]
    assert re.search(r":::\{admonition\} Exercise \d+: an open question", text)
    assert ":::{dropdown}" in text.split("## Exercises", 1)[1], "the open question's answer is behind a dropdown"
    # every registered exercise of the chapter is asserted in a solution cell that starts hidden
    keys = [key for key in exercises() if key.split(".")[0] == chapter_key(docname)]
    assert keys, "no checkable exercise registered in explainer_core/exercises/"
    cells = re.findall(r"```\{code-cell\} ipython3\n(.*?)```", text.split("## Exercises", 1)[1], re.S)
    for key in keys:
        solving = [cell for cell in cells if f'assert check("{key}"' in cell]
        assert solving and all(":tags: [hide-cell]" in cell for cell in solving), key
        # the statement shows the check call with no answer filled in
        assert f'check("{key}", None)' in text or f'check("{key}", [...])' in text, key


@pytest.mark.parametrize("key", sorted(exercises()))
def test_the_librarys_answer_passes_and_a_wrong_one_gets_a_hint_without_the_answer(key, capsys):
    right = exercise(key).answer()
    assert check(key, right)
    assert capsys.readouterr().out.strip() == f"Exercise {key}: right."
    wrong = _wrong(right)
    assert not check(key, wrong)
    said = capsys.readouterr().out
    assert said.startswith(f"Exercise {key}: not yet. ")
    hint = said.split("not yet. ", 1)[1]
    assert len(hint.strip()) > 10
    assert repr(right) not in hint and (not isinstance(right, (int, float)) or f" {right}" not in f" {hint}"), said
    assert not check(key, None) and "no answer yet" in capsys.readouterr().out


def _wrong(right):
    if isinstance(right, str):
        return right + " no"
    if isinstance(right, (int, float)):
        return right + 7
    items = list(right)
    return items[:-1] if items else [0]


def test_an_unknown_exercise_names_the_chapters_keys():
    with pytest.raises(KeyError, match=r"no exercise '05.9'; the exercises are 05.1, 05.2"):
        check("05.9", 1)


def test_answers_compare_as_a_learner_would_write_them():
    assert same(62.0, 62) and same(" Koala", "koala") and same((1, 2), [1, 2]) and not same([1, 2], [1, 2, 3])
    assert not same("62", 62.5) and same("62", 62)  # a number typed as text still counts
    assert generic_hint(70, 62).startswith("Too large") and generic_hint(1.5, 2) == "The answer is a whole number."
