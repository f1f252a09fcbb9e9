"""Sphinx extensions that make the book work offline: one small extension per job.

In the style of Bokeh's own ``bokeh.sphinxext``, each module is an extension with
its own short ``setup``, listed one by one in ``_config.yml`` (``sphinx: config:
extensions``); listing this package instead loads all of them.

* :mod:`.bokehjs` serves BokehJS from the book's ``_static``, once per page with a plot;
* :mod:`.page_scripts` adds the network and the browser's forward pass to pages whose
  views follow the picture;
* :mod:`.comparison_data` writes each gallery photo's comparison block for the comparison view;
* :mod:`.theme` adds the book's stylesheet and drops the theme's ``fontawesome.js``;
* :mod:`.mathml` renders LaTeX to MathML at build time;
* :mod:`.quiet_tensorflow` keeps TensorFlow's start-up lines out of executed cells;
* :mod:`.offline` fails the build (with ``-W``) when a page would load from another host.

The names shared with the browser are :mod:`explainer_core.page.protocol`'s.
Explained in the chapter "How the book is built" (book/10_how_the_book_is_built.md).
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

#: The jobs, in the order their setups run.
JOBS = ("quiet_tensorflow", "theme", "bokehjs", "page_scripts", "comparison_data", "mathml", "offline")


def setup(app: Sphinx) -> dict[str, Any]:
    for job in JOBS:
        app.setup_extension(f"{__name__}.{job}")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
