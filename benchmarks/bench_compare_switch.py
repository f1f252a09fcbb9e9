"""Time a change of picture in the comparison view: from choosing it to every row redrawn.

    CNN_EXPLAINER_DATA=... .venv/bin/jupyter-book build . -W        (or a build with a temporary toc)
    .venv/bin/python benchmarks/bench_compare_switch.py --html _build/html [--models 13]

Builds nothing. Opens book/15_comparing_explanations.html in headless Chromium (Debian's
/usr/bin/chromium) over a local HTTP server, chooses ``--models`` zoo members, then sets the
Picture menu to each gallery photo in turn, as the reader does, and waits until the view has
redrawn every row, the similarity matrix and the histograms for it (the ``compare:task``
source's ``drawn`` counter, written last by task.js) and the next animation frame. Prints the
median over the photos, separately for the first visit of a photo (which fetches its block
from ``_static/comparison/``) and for a return to it (the block is cached).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from explainer_core.page.serve import serve_folder  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PAGE = "book/15_comparing_explanations.html"

MEASURE = """async ([count, rounds]) => {
  const models = [...Bokeh.documents].flatMap((d) => [...d.all_models]);
  const find = (name) => models.find((m) => m.name === name);
  const task = find("compare:task"), picture = find("compare:picture"), chooser = find("compare:models");
  const drawn = () => (task.data.drawn.length ? task.data.drawn[0] : 0);
  const redrawn = (before) => new Promise((resolve) => {
    const frame = () => requestAnimationFrame(() => requestAnimationFrame(resolve));
    const check = () => (drawn() > before ? frame() : setTimeout(check, 1));
    check();
  });
  let before = drawn();
  const wanted = find("compare:rows").data.name.slice(0, count);
  const ticked = chooser.active.map((i) => chooser.labels[i]);
  if (JSON.stringify(wanted) !== JSON.stringify(ticked)) {  // the same value would not redraw
    chooser.active = wanted.map((name) => chooser.labels.indexOf(name));
    await redrawn(before);
  }
  const photos = picture.options.map(([value]) => value).filter((value) => value !== "");
  const times = {first: [], again: []};
  for (let round = 0; round < rounds; round++) {
    for (const value of [...photos.slice(1), photos[0]]) {
      before = drawn();
      const started = performance.now();
      picture.value = value;
      await redrawn(before);
      times[round === 0 && value !== photos[0] ? "first" : "again"].push(performance.now() - started);
    }
  }
  return {times, models: task.data.models[0].length};
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, required=True, help="the built book's HTML folder")
    parser.add_argument("--models", type=int, default=13, help="how many zoo members to show (default: all)")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the gallery (the first fetches)")
    args = parser.parse_args()
    if not (args.html / PAGE).is_file():
        parser.error(f"{args.html / PAGE} is missing: build the book with the chapter first")
    from playwright.sync_api import sync_playwright

    with serve_folder(args.html) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(base + PAGE, wait_until="load")
        page.wait_for_function(
            "() => window.Bokeh && [...Bokeh.documents].some((d) => { const t = "
            "d.get_model_by_name('compare:task'); return t && t.data.drawn.length > 0; })",
            timeout=120_000,
        )
        result = page.evaluate(MEASURE, [args.models, args.rounds])
        browser.close()
    first, again = result["times"]["first"], result["times"]["again"]
    print(f"{PAGE}: {result['models']} models, {len(first)} first visits, {len(again)} returns")
    print(
        f"  switch picture, first visit (fetch + draw): median {statistics.median(first):.1f} ms, "
        f"max {max(first):.1f} ms"
    )
    print(
        f"  switch picture, cached (draw only):         median {statistics.median(again):.1f} ms, "
        f"max {max(again):.1f} ms"
    )


if __name__ == "__main__":
    main()
