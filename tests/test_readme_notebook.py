"""The README's notebook example, run as written: in a Jupyter kernel, on a real-size photo, offline.

The code block under "Using the library in a notebook" is executed unchanged with nbclient;
the test only writes the ``my_photo.jpg`` it opens (a 4000×3000 JPEG, a phone photo's size)
into the kernel's folder. The executed notebook is exported to HTML, as a
learner's "export as HTML" writes it, and opened in headless Chromium with every request
to another host aborted: the overview must be drawn, so BokehJS came from the installed
package and not from Bokeh's CDN.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image

from explainer_core.page.protocol import IN_BOOK
from explainer_core.page.serve import serve_folder

from .browser import REPO, TIMEOUT_MS, VIEWPORT
from .test_notebook_views import ALL_DRAWN, execute, template_urls, to_html

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def readme_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Using the library in a notebook", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section shows one example"
    return blocks[0]


def test_the_readme_notebook_example_runs_as_written_and_draws_offline(chromium, tmp_path: Path, monkeypatch):
    import nbformat

    monkeypatch.delenv(IN_BOOK, raising=False)
    code = readme_example()
    assert "use_notebook()" in code and '"my_photo.jpg"' in code
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, size=(30, 40, 3), dtype=np.uint8)
    Image.fromarray(photo).resize((4000, 3000), Image.BILINEAR).save(tmp_path / "my_photo.jpg", quality=90)

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    executed = execute(notebook, tmp_path)
    outputs = executed.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"]
    assert "cdn.bokeh.org" not in str(outputs), "BokehJS must come from the installed package"

    site = tmp_path / "site"
    site.mkdir()
    page_html = to_html(executed)
    (site / "readme.html").write_text(page_html, encoding="utf-8")
    allowed = template_urls(page_html)  # require.js and the like, linked by nbconvert's template

    blocked = []
    with serve_folder(site) as base:
        ours = urlsplit(base)
        context = chromium.new_context(viewport=VIEWPORT, service_workers="block")
        try:
            page = context.new_page()

            def route(route) -> None:
                theirs = urlsplit(route.request.url)
                if (theirs.hostname, theirs.port) == (ours.hostname, ours.port):
                    route.continue_()
                    return
                if route.request.url not in allowed:
                    blocked.append(route.request.url)
                route.abort("blockedbyclient")

            context.route("**/*", route)
            response = page.goto(base + "readme.html", wait_until="load", timeout=TIMEOUT_MS)
            assert response is not None and response.ok
            page.wait_for_function(ALL_DRAWN, arg=1, timeout=TIMEOUT_MS)
        finally:
            context.close()
    assert blocked == [], "the example's page asked another host for something"
