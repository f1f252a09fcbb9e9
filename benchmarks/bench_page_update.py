"""Time a new picture in a built chapter: decode, fit, trace and every view refilled.

    .venv/bin/jupyter-book build . --all -W
    .venv/bin/python benchmarks/bench_page_update.py --html _build/html [--page book/02_overview.html]

Opens the page in headless Chromium (Debian's /usr/bin/chromium), then shows each
gallery photo in turn through ``ExplainerPage.showImage``, as a click on a
thumbnail does, and prints the medians of page.js's own timings: fitting the
picture, the forward pass, refilling every view, and the total from new image to
all views updated. Bokeh draws the refilled views on the next animation frame,
so the benchmark also waits for that frame and reports it (``drawn``).

The figure to watch is ``update/trace``: the whole update (fit + trace + refill)
divided by the forward pass measured in the same run, which cancels out how busy
the machine is. Issue 9's target is at most 2.0 on every page.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from explainer_core.page.serve import serve_folder

CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]

MEASURE = """async (repeats) => {
  const models = [...Bokeh.documents].flatMap((d) => [...d.all_models]);
  const gallery = models.find((m) => m.name === "gallery");
  const files = gallery.data.file, mimes = gallery.data.mime;
  const rows = [];
  for (let i = 0; i < repeats; i++) {
    const k = i % files.length;
    const bytes = Uint8Array.from(atob(files[k]), (c) => c.charCodeAt(0));
    const started = performance.now();
    await ExplainerPage.showImage(new Blob([bytes], {type: mimes[k]}), {label: "bench"});
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    rows.push(Object.assign({drawn: performance.now() - started}, ExplainerPage.state.timings));
  }
  return {rows, views: ExplainerPage.refillCallbacks().length};
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=Path("_build/html"), help="the built book")
    parser.add_argument("--page", action="append", help="page(s) to measure (default: every page with a gallery)")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pages = args.page or sorted(
        str(p.relative_to(args.html)) for p in args.html.glob("book/*.html") if '"gallery"' in p.read_text()
    )
    with serve_folder(args.html) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for name in pages:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{base}{name}")
            page.wait_for_function("() => window.ExplainerPage && window.Bokeh && Bokeh.documents.length > 0")
            page.wait_for_timeout(500)
            result = page.evaluate(MEASURE, args.repeats)
            rows = result["rows"][3:]  # the first pictures include the JIT warming up
            figures = {key: statistics.median(row[key] for row in rows)
                       for key in ("fit", "trace", "refill", "total", "drawn")}
            ratio = statistics.median(row["total"] / row["trace"] for row in rows if row["trace"] > 0)
            print(f"{name}: {result['views']} views follow the picture; median of {len(rows)} pictures: "
                  + ", ".join(f"{key} {value:.1f} ms" for key, value in figures.items())
                  + f"; update/trace {ratio:.2f}")
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
