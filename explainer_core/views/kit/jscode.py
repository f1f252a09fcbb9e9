"""Browser-side callbacks: the code lives in ``.js`` files beside each view, read once.

Each ``.js`` file is the body of a Bokeh ``CustomJS`` callback; the names it
uses are the ``args`` passed here. Keeping them as files lets them be read,
linted and tested as JavaScript rather than as strings inside Python.

Bokeh's own ``CustomJS.from_file`` would read the same code, but it marks each
callback ``module=False``, which every page would then carry for every callback;
the default (``"auto"``) kept here already runs a body without ``export`` as a
function, and the text is read once, not once per callback.

A page carries each callback's code once per document, so the lines that are only
comments (the files' explanations for their readers) are left out of it.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from bokeh.models import CustomJS


@cache
def js_source(name: str) -> str:
    """The code of ``explainer_core/views/<room>/<file>.js``, named ``"<room>/<file>"``, without its
    comment-only lines."""
    room, _, stem = name.rpartition("/")
    if not room:
        raise ValueError(f"name a view's script as '<room>/<file>', not {name!r}")
    text = files("explainer_core.views").joinpath(room, f"{stem}.js").read_text(encoding="utf-8")
    return "".join(line for line in text.splitlines(keepends=True) if not line.lstrip().startswith("//"))


def custom_js(name: str, **args) -> CustomJS:
    """A ``CustomJS`` callback whose code is ``views/<name>.js`` and whose variables are ``args``."""
    return CustomJS(args=args, code=js_source(name))
