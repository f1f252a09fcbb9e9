"""How long a clean build of the book takes, and how much each page weighs.

    .venv/bin/python benchmarks/bench_book.py            # clean build into a temp folder
    .venv/bin/python benchmarks/bench_book.py --html _build/html   # only weigh an existing build

For each page of _toc.yml it prints the size of the page's HTML file (its embedded
plot data included) and the total of every file the page loads: the HTML, BokehJS,
the theme's scripts, stylesheets and fonts. The files are those Chromium actually
requested (Debian's /usr/bin/chromium); without it, those named by the page's
``<script src>`` and ``<link href>``, which misses the fonts. Totals are given as
stored and as gzip would send them (what any web server does for text files). The
issue's budget is 2 MB per chapter page.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from explainer_core.page.serve import serve_folder  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, build_book, toc_pages  # noqa: E402

BUDGET = 2 * 1024 * 1024
_REFERENCE_RE = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"#]+)"')


def kb(size: int) -> str:
    return f"{size / 1024:,.0f}"


def gzipped_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), 6))


def files_named_in_html(html_dir: Path, docname: str) -> set[Path]:
    """The page and the local files its markup loads (scripts, stylesheets, preloads)."""
    page = html_dir / f"{docname}.html"
    files = {page}
    for reference in _REFERENCE_RE.findall(page.read_text(encoding="utf-8")):
        if urlsplit(reference).scheme:
            continue
        target = (page.parent / unquote(reference.split("?")[0])).resolve()
        if target.is_file() and target.suffix in {".js", ".css", ".woff2", ".png", ".svg"}:
            files.add(target)
    return files


def _record_and_serve_locally(route, *, base: str, urls: list[str]) -> None:
    urls.append(route.request.url)
    if route.request.url.startswith(base):
        route.continue_()
    else:
        route.abort()


def files_loaded_in_chromium(html_dir: Path, docnames: list[str]) -> dict[str, set[Path]]:
    """For each page, the book files Chromium requested while loading it (fresh cache each time)."""
    from playwright.sync_api import sync_playwright

    loaded: dict[str, set[Path]] = {}
    with serve_folder(html_dir) as base:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for docname in docnames:
                context = browser.new_context(viewport=VIEWPORT)
                urls: list[str] = []
                context.route("**/*", functools.partial(_record_and_serve_locally, base=base, urls=urls))
                page = context.new_page()
                page.goto(urljoin(base, f"{docname}.html"), wait_until="networkidle")
                loaded[docname] = {
                    html_dir / unquote(urlsplit(url).path).lstrip("/") for url in urls if url.startswith(base)
                }
                context.close()
            browser.close()
    return {name: {path for path in paths if path.is_file()} for name, paths in loaded.items()}


def report(html_dir: Path) -> bool:
    docnames = toc_pages()
    if CHROMIUM.exists():
        loaded = files_loaded_in_chromium(html_dir, docnames)
        how = "files Chromium requested"
    else:
        loaded = {name: files_named_in_html(html_dir, name) for name in docnames}
        how = "files named in the HTML (no Chromium: fonts not counted)"
    print(f"\nPage weight in KB ({how}); budget {kb(BUDGET)} KB per page")
    header = f"{'page':<28} {'HTML':>7} {'HTML gz':>8} {'all files':>10} {'all gz':>8} {'BokehJS':>8}  budget"
    print(header)
    print("-" * len(header))
    within = True
    for docname in docnames:
        files = loaded[docname]
        page = html_dir / f"{docname}.html"
        total = sum(path.stat().st_size for path in files)
        total_gz = sum(gzipped_size(path) for path in files)
        bokehjs = sum(path.stat().st_size for path in files if path.parent.name == "bokeh")
        ok = page.stat().st_size < BUDGET and total_gz < BUDGET
        within &= ok
        print(
            f"{Path(docname).name:<28} {kb(page.stat().st_size):>7} {kb(gzipped_size(page)):>8} "
            f"{kb(total):>10} {kb(total_gz):>8} {kb(bokehjs):>8}  {'ok' if ok else 'OVER'}"
            f"{'' if total < BUDGET else ' (over uncompressed)'}"
        )
    print("\nHTML: the page file itself (its embedded plot data included). all files: the HTML plus")
    print("every script, stylesheet, font and image the page loads; gz: as a web server sends them.")
    print("BokehJS is loaded only on pages with plots, and is cached by the browser after the first.")
    return within


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, help="weigh this existing build instead of building")
    args = parser.parse_args()
    if args.html:
        return 0 if report(args.html.resolve()) else 1
    output = Path(tempfile.mkdtemp(prefix="bench-book-"))
    try:
        start = time.perf_counter()
        html_dir = build_book(output)
        seconds = time.perf_counter() - start
        print(f"Clean build of the whole book (jupyter-book build -W, every chapter executed): {seconds:.1f} s")
        return 0 if report(html_dir) else 1
    finally:
        shutil.rmtree(output, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
