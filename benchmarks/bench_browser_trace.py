"""Time the browser's forward pass in headless Chromium, and weigh what it adds to a page.

    python benchmarks/bench_browser_trace.py [--model PATH] [--repeats N]

Prints, measured inside the page with ``performance.now()``:

* the forward pass alone (``ExplainerTrace.trace``) on one fitted 64×64 photo,
  with fresh arrays and with the arrays of the previous trace reused;
* a new picture end to end: a JPEG ``Blob`` (640×480, as a reader uploads) through
  ``ExplainerPreprocess.fitRgb`` (header check, decode, Pillow-exact resize and
  crop) and then the trace;
* decoding the embedded network once per page;

and the bytes the forward pass adds to a page: the network JSON block (weights as
base64 float32) and the two scripts, raw and gzip-compressed. The issue's target
is a forward pass under 30 ms. Updating the views is measured by the views'
own benchmarks: this one stops when the trace is complete.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import shutil
import tempfile
from pathlib import Path

from PIL import Image

from explainer_core.arithmetic.network import Network
from explainer_core.page import webmodel
from explainer_core.page.serve import serve_folder

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

MEASURE = """async ([repeats, jpegPath]) => {
    const median = (xs) => { const s = xs.slice().sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
    const time = async (fn, n) => {
        for (let i = 0; i < 5; i++) await fn();  // warm up the JIT
        const samples = [];
        for (let i = 0; i < n; i++) { const t0 = performance.now(); await fn(); samples.push(performance.now() - t0); }
        return {median: median(samples), min: Math.min(...samples)};
    };
    const element = document.getElementById("explainer-network");
    const payload = JSON.parse(element.textContent);
    const decode = await time(() => ExplainerTrace.decodeNetwork(payload), 20);
    const network = ExplainerTrace.loadNetwork();
    const blob = await (await fetch(jpegPath)).blob();
    const size = network.inputShape.slice(0, 2);
    const fitted = await ExplainerPreprocess.fitRgb(blob, size);
    let last = ExplainerTrace.trace(network, fitted.data);
    const fresh = await time(() => ExplainerTrace.trace(network, fitted.data), repeats);
    const reused = await time(() => { last = ExplainerTrace.trace(network, fitted.data, {reuse: last}); }, repeats);
    const fit = await time(() => ExplainerPreprocess.fitRgb(blob, size), Math.max(10, repeats / 4));
    const whole = await time(async () => {
        const input = await ExplainerPreprocess.fitRgb(blob, size);
        return ExplainerTrace.trace(network, input.data);
    }, Math.max(10, repeats / 4));
    return {decode, fresh, reused, fit, whole, label: last.predictedLabel, blobBytes: blob.size,
            userAgent: navigator.userAgent};
}"""


def load(path: str | None) -> Network:
    from explainer_core.models.loading import load_model

    return Network.from_loaded(load_model(path))


def photo_jpeg(width: int = 640, height: int = 480) -> bytes:
    from skimage.data import coffee

    out = io.BytesIO()
    Image.fromarray(coffee()).resize((width, height), Image.Resampling.LANCZOS).save(out, "JPEG", quality=90)
    return out.getvalue()


def sizes(network: Network) -> list[tuple[str, int, int | None]]:
    """(what, raw bytes, gzip bytes) of what the forward pass adds to a page; the first row is for reference."""
    block = webmodel.network_script(network).encode()
    rows: list[tuple[str, int, int | None]] = [
        ("(weights as raw float32, for reference)", 4 * webmodel.network_payload(network)["weight_count"], None),
        ("network JSON block (base64 float32 weights)", len(block), len(gzip.compress(block, 9))),
    ]
    for path in webmodel.js_files():
        data = path.read_bytes()
        rows.append((path.name, len(data), len(gzip.compress(data, 9))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .keras/.h5/TF.js model (default: model/tiny_vgg.keras)")
    parser.add_argument("--repeats", type=int, default=100)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    network = load(args.model)
    root = Path(tempfile.mkdtemp(prefix="bench-browser-trace-"))
    for path in webmodel.js_files():
        shutil.copyfile(path, root / path.name)
    (root / "photo.jpg").write_bytes(photo_jpeg())
    (root / "index.html").write_text(
        '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">\n'
        f"{webmodel.page_script(network, js_url='')}</head><body></body></html>\n",
        encoding="utf-8",
    )
    try:
        with serve_folder(root) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"{base}index.html", wait_until="load")
            result = page.evaluate(MEASURE, [args.repeats, "photo.jpg"])
            browser.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print(f"model: {network.name}, input {network.input_shape}, {len(network.layers)} steps")
    print(f"browser: {result['userAgent']}")
    print(f"CPUs: {os.cpu_count()}, load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"(median / fastest in ms; {args.repeats} forward passes, predicted {result['label']!r})")
    rows = [
        ("decode the embedded network (once per page)", result["decode"]),
        ("forward pass alone, fresh arrays", result["fresh"]),
        ("forward pass alone, reusing the last trace's arrays", result["reused"]),
        (f"fitRgb of a 640×480 JPEG Blob ({result['blobBytes']:,} bytes)", result["fit"]),
        ("new picture: fitRgb + forward pass", result["whole"]),
    ]
    for what, timing in rows:
        print(f"  {what:55s} {timing['median']:8.2f} {timing['min']:8.2f}")
    verdict = "meets" if result["fresh"]["median"] < 30 else "misses"
    print(f"target (forward pass under 30 ms): {verdict}")
    print("page weight added (bytes, raw / gzip -9):")
    rows = sizes(network)
    for what, raw, packed in rows:
        print(f"  {what:55s} {raw:9,d}" + (f" {packed:9,d}" if packed is not None else ""))
    added = rows[1:]
    print(f"  {'total added to a page':55s} {sum(r for _, r, _ in added):9,d} {sum(g for _, _, g in added):9,d}")


if __name__ == "__main__":
    main()
