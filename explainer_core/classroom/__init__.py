"""The classroom: homework notebooks from the chapters' exercises, their release and their grading.

``homework`` reads a chapter's "## Exercises" section into an otter-grader master notebook;
``release`` runs ``otter assign`` on it (student, solutions, autograder) and keeps
``notebooks/`` in step; ``grade`` scores a folder of submissions with ``otter run``.
The commands are in ``__main__`` (``python -m explainer_core.classroom --help``). It needs
the ``classroom`` extra (otter-grader, jupytext); the chapters and the book do not.
"""
