"""Outside the book: every view works in a plain Jupyter notebook, as a learner on Binder runs it.

The test writes a notebook (nbformat) whose first cell loads BokehJS with
``explainer_core.use_notebook()`` (the installed BokehJS, no CDN) and traces the default picture, and whose other
cells each end in ``show(view)``: the overview, the input view, the convolutional
elastic view, the three formula views, the flatten view, the softmax view and the
hyperparameter widget. It executes the notebook with nbclient in a kernel on this
venv's Python whose environment does *not* hold ``EXPLAINER_IN_BOOK``, so ``show``
inlines the views' JavaScript kit (explainer_core/page/embed.py ``_carried_scripts``).
It exports the executed notebook to HTML with nbconvert's ``lab`` template (a learner's
"export as HTML"), serves it on 127.0.0.1 and opens it in headless Chromium, where it proves:

* every view's Bokeh root is drawn (one document and one drawn root per view cell);
* nothing went wrong: no console error, no uncaught exception, no failed request and
  no request to another host, except the CDN scripts the export template itself links
  (aborted; they are not the views');
* the numbers are right: the softmax view's probabilities, read from ``Bokeh.documents``,
  equal Keras's own output for the same picture within 1e-5 (the view's first frame is
  filled in the browser, by ``page.js`` running ``trace.js`` on the network ``show``
  carried, so this also proves those scripts and the network reach a notebook page);
* the inlined kit works at draw time: ``window.ExplainerKit`` exists, and moving the
  elastic view's slider makes ``conv_view/position.js`` rewrite the readout with the
  numbers Keras computes at that pixel, written by ``explainer_core.views.kit.fmt``
  (three decimals, a true minus sign).
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

from explainer_core.page.protocol import IN_BOOK, MARKER_CLASS
from explainer_core.page.serve import serve_folder

from .browser import TIMEOUT_MS, VIEWPORT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ATOL = 1e-5
#: Seconds nbclient allows each cell (the first imports TensorFlow and traces the picture).
CELL_TIMEOUT = 600
#: The elastic view of the first convolution, as ``conv_elastic_view(trace)`` names its models.
ELASTIC = "elastic-conv_1_1"
MINUS = "\u2212"

SETUP = """\
import sys
from explainer_core import show, default_trace, default_example, use_notebook

use_notebook()

trace = default_trace()
example = default_example(trace.network.input_shape[:2])
print("kernel python:", sys.executable)
"""

#: One cell per view, called as the chapters in book/ call them.
VIEW_CELLS = {
    "overview": """\
from explainer_core.views.overview import overview

show(overview(trace))""",
    "input view": """\
from explainer_core.views.input_view import input_view

show(input_view(trace, example.original))""",
    "conv elastic view": """\
from explainer_core.views.conv_view import conv_elastic_view

show(conv_elastic_view(trace))""",
    "conv formula view": """\
from explainer_core.views.formula_views import conv_formula_view

show(conv_formula_view(trace, "conv_1_1", 0, channel=0, position=31 * 62 + 31))""",
    "relu formula view": """\
from explainer_core.views.formula_views import relu_formula_view

show(relu_formula_view(trace))""",
    "max pooling formula view": """\
from explainer_core.views.formula_views import maxpool_formula_view

show(maxpool_formula_view(trace, "max_pool_1", 0))""",
    "flatten view": """\
from explainer_core.views.flatten_view import flatten_view

show(flatten_view(trace))""",
    "softmax view": """\
from explainer_core.views.softmax_view import softmax_view

show(softmax_view(trace))""",
    "hyperparameter widget": """\
from explainer_core.views.hyperparameter_widget import hyperparameter_widget

show(hyperparameter_widget())""",
}

#: In the page: a Bokeh model by name, across every document; a source's columns as plain lists.
HELPERS = """() => {
  window.__model = (name) => {
    for (const doc of Bokeh.documents) {
      const model = doc.get_model_by_name(name);
      if (model != null) return model;
    }
    throw new Error(`no Bokeh model named ${name}`);
  };
  const plain = (v) => (ArrayBuffer.isView(v) ? Array.from(v) : Array.isArray(v) ? v.map(plain) : v);
  window.__data = (name) => {
    const data = window.__model(name).data;
    return Object.fromEntries(Object.keys(data).map((key) => [key, plain(data[key])]));
  };
}"""

#: How many view roots BokehJS has drawn: a ``[data-root-id]`` element in a marker with a drawn child.
DRAWN_ROOTS = f"""() => Array.from(document.querySelectorAll('.{MARKER_CLASS} [data-root-id]'))
  .filter((root) => root.firstElementChild != null
                    && root.firstElementChild.getBoundingClientRect().height > 0).length"""

#: The root views BokehJS has made, and how many of them have finished drawing.
#: (Each document also gets a root view for its Notifications model, which is not a view of ours.)
ROOT_VIEWS = """() => {
  const roots = new Set(Bokeh.documents.flatMap((doc) => doc.roots().map((root) => root.id)));
  const views = Array.from(Bokeh.index.values ? Bokeh.index.values() : Object.values(Bokeh.index))
    .filter((view) => roots.has(view.model.id));
  return {views: views.length, idle: views.filter((view) => view.is_idle).length};
}"""

ALL_DRAWN = f"""(expected) => {{
  if (!window.Bokeh || !Bokeh.documents || Bokeh.documents.length !== expected) return false;
  if (({DRAWN_ROOTS})() !== expected) return false;
  const {{views, idle}} = ({ROOT_VIEWS})();
  return views === expected && idle === expected;
}}"""


# --------------------------------------------------------------------------- the notebook


def kernel_env() -> dict[str, str]:
    """This process's environment for the kernel, without the book build's flag."""
    env = {key: value for key, value in os.environ.items() if key != IN_BOOK}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


def write_kernelspec(folder: Path) -> tuple[str, Path]:
    """A kernelspec in ``folder`` that runs ipykernel on this venv's Python; (its name, the kernels dir)."""
    name = "explainer-venv"
    spec = folder / "kernels" / name
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (explainer venv)",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    return name, folder / "kernels"


def build_notebook():
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(SETUP)] + [nbformat.v4.new_code_cell(code) for code in VIEW_CELLS.values()]
    return nb


def execute(nb, folder: Path):
    """Run every cell in a fresh kernel on this venv's Python, in ``folder``, without ``EXPLAINER_IN_BOOK``."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    name, kernels = write_kernelspec(folder)
    km = KernelManager(kernel_name=name, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
    client = NotebookClient(
        nb,
        km=km,
        kernel_name=name,
        timeout=CELL_TIMEOUT,
        startup_timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute(env=kernel_env())
    return nb


def to_html(nb) -> str:
    """The executed notebook as one HTML page, as a learner's "export as HTML" writes it (nbconvert, ``lab``)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    return body


def template_urls(page_html: str) -> set[str]:
    """URLs on other hosts that the export template itself links (require.js, MathJax, ...)."""
    import nbformat

    blank = to_html(nbformat.v4.new_notebook())
    found = set(re.findall(r"""https?://[^\s"'<>()]+""", blank))  # <script src>, <link href>, import()
    return {url for url in found if url in page_html}


# --------------------------------------------------------------------------- Keras, the reference


@pytest.fixture(scope="module")
def reference():
    """The default picture's trace in this process, and Keras's own outputs for the same picture."""
    from explainer_core.models.loading import load_model
    from explainer_core.page.examples import default_trace

    from .keras_reference import KerasReference

    t = default_trace()
    return t, KerasReference(load_model().keras_model, t.image)


def checked_position(keras, layer: str, neuron: int, out_w: int, avoid: int) -> tuple[int, list[float], float, float]:
    """An output pixel of ``layer`` whose readout holds a negative number, with Keras's numbers there.

    Returns (position, intermediate results, bias, output); the numbers are at least 1e-5 away
    from a rounding boundary of ``fmt``, so that the book's float32 arithmetic and Keras's
    write the same three decimals.
    """
    kernel, bias, linear = keras.conv_parts(layer)
    channels = kernel.shape[2]
    parts = np.stack([keras.single_channel(layer, c, neuron) for c in range(channels)], axis=-1)
    out = linear[..., neuron]

    def safe(v: float) -> bool:
        frac = abs(v) * 1000 % 1
        return abs(frac - 0.5) > 0.01

    for position in range(out.size - 1, -1, -1):
        if position == avoid:
            continue
        r, c = divmod(position, out_w)
        values = [*map(float, parts[r, c]), float(bias[neuron]), float(out[r, c])]
        if out[r, c] < -0.01 and all(safe(v) for v in values):
            return position, values[:channels], values[-2], values[-1]
    raise AssertionError(f"no pixel of {layer} neuron {neuron} has a clearly negative output")


# --------------------------------------------------------------------------- the test


def test_views_work_in_a_plain_notebook(chromium, reference, tmp_path: Path, monkeypatch):
    from explainer_core.views.kit import fmt

    monkeypatch.delenv(IN_BOOK, raising=False)
    trace, keras = reference

    nb = execute(build_notebook(), tmp_path)
    printed = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.output_type == "stream")
    assert f"kernel python: {sys.executable}" in printed, f"the kernel was not this venv's Python: {printed!r}"
    shown = [cell for cell in nb.cells[1:] if any("text/html" in o.get("data", {}) for o in cell.outputs)]
    assert len(shown) == len(VIEW_CELLS), "a view cell displayed no HTML"

    site = tmp_path / "site"
    site.mkdir()
    page_html = to_html(nb)
    (site / "views.html").write_text(page_html, encoding="utf-8")
    assert page_html.count(f'class="{MARKER_CLASS}"') == len(VIEW_CELLS)
    allowed = template_urls(page_html)

    console_errors, page_errors, failed, external = [], [], [], []
    with serve_folder(site) as base:
        ours = urlsplit(base)
        context = chromium.new_context(viewport=VIEWPORT, service_workers="block")
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)

            def route(route) -> None:
                url = route.request.url
                theirs = urlsplit(url)
                if (theirs.scheme, theirs.hostname, theirs.port) == (ours.scheme, ours.hostname, ours.port):
                    route.continue_()
                    return
                if url not in allowed:
                    external.append(url)
                route.abort("blockedbyclient")

            def template_failure(text: str, source: str = "") -> bool:
                """An error about a CDN script the export template links (aborted above)."""
                return source in allowed or any(url in text for url in allowed)

            def console(message) -> None:
                if message.type != "error":
                    return
                source = (message.location or {}).get("url", "")
                if template_failure(message.text, source):
                    return
                if message.text.startswith("Failed to load resource") and source == base + "favicon.ico":
                    return  # the browser asks for an icon the page does not have
                console_errors.append(message.text)

            def page_error(error) -> None:
                if not template_failure(str(error)):
                    page_errors.append(str(error))

            def request_failed(request) -> None:
                if request.url not in allowed and urlsplit(request.url).hostname == ours.hostname:
                    failed.append(f"{request.url}: {request.failure}")

            context.route("**/*", route)
            page.on("console", console)
            page.on("pageerror", page_error)
            page.on("requestfailed", request_failed)
            page.on("websocket", lambda socket: external.append(f"websocket {socket.url}"))

            response = page.goto(base + "views.html", wait_until="load", timeout=TIMEOUT_MS)
            assert response is not None and response.ok

            # every view's Bokeh root is drawn
            try:
                page.wait_for_function(ALL_DRAWN, arg=len(VIEW_CELLS), timeout=TIMEOUT_MS)
            except Exception as error:  # say what was drawn, not only that the wait timed out
                state = page.evaluate(
                    f"""() => ({{bokeh: !!window.Bokeh, documents: window.Bokeh ? Bokeh.documents.length : 0,
                               drawn: ({DRAWN_ROOTS})(), roots: window.Bokeh && ({ROOT_VIEWS})()}})"""
                )
                raise AssertionError(
                    f"not every view was drawn: {state}; console errors {console_errors}; "
                    f"uncaught {page_errors}"
                ) from error
            page.evaluate(HELPERS)

            # the numbers: the softmax view's probabilities are Keras's
            classes = page.evaluate("() => window.__data('softmax:classes')")
            expected = keras.outputs[keras.order[-1]]
            np.testing.assert_allclose(classes["probability"], expected, atol=ATOL, rtol=0)
            names = [trace.network.class_name(i) for i in range(len(expected))]
            assert classes["name"] == names

            # the inlined kit, at draw time: move the elastic view's slider
            assert page.evaluate("() => typeof window.ExplainerKit === 'object' && typeof ExplainerKit.fmt"), (
                "window.ExplainerKit is missing: show() did not carry the views' kit outside the book"
            )
            out_w = keras.outputs["conv_1_1"].shape[1]
            last = keras.outputs["conv_1_1"].shape[0] * out_w - 1
            start = page.evaluate(f"() => window.__model('{ELASTIC}:position').value")
            assert start == last, f"the elastic view should start on its last pixel, not {start}"
            position, parts, bias, output = checked_position(keras, "conv_1_1", 0, out_w, avoid=start)
            before = page.evaluate(f"() => window.__model('{ELASTIC}:readout').text")
            page.evaluate(f"(p) => {{ window.__model('{ELASTIC}:position').value = p; }}", position)
            page.wait_for_function(
                f"(before) => window.__model('{ELASTIC}:readout').text !== before", arg=before, timeout=TIMEOUT_MS
            )
            readout = page.evaluate(f"() => window.__model('{ELASTIC}:readout').text")
            text = html.unescape(re.sub(r"<[^>]+>", "", readout))
            r, c = divmod(position, out_w)
            terms = " + ".join(fmt(v) for v in parts)
            assert f"Output pixel (row {r}, column {c}) of conv_1_1" in text, text
            assert f"intermediate results {terms} + bias {fmt(bias)} = {fmt(output)}" in text, text
            assert MINUS in text and not re.search(r"-\d", text), f"numbers need a true minus sign: {text}"
        finally:
            context.close()

    problems = {
        "console errors": console_errors,
        "uncaught exceptions": page_errors,
        "failed requests": failed,
        "requests to other hosts": external,
    }
    problems = {kind: items for kind, items in problems.items() if items}
    assert not problems, f"the notebook page had problems: {problems}"
