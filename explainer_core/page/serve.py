"""Serve a built book (or any folder) on 127.0.0.1, quietly, from a background thread.

    python -m explainer_core.page.serve _build/html      # then open the printed address

Opening the built pages over HTTP rather than from disk is how a reader's
browser sees them online; the browser tests and the benchmarks use the same
server. It listens on the loopback address only.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A browser that closes a connection early (e.g. after asking for a missing
        # favicon) is normal here, not an error worth a traceback.
        pass


@contextlib.contextmanager
def serve_folder(folder: str | Path, port: int = 0) -> Iterator[str]:
    """Serve ``folder`` while the block runs; yields its base URL (``http://127.0.0.1:<port>/``)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = _QuietServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, name="explainer-serve", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="_build/html", type=Path)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if not (args.folder / "index.html").is_file():
        print(f"error: {args.folder} holds no built book (index.html); run `make book` first.")
        return 2
    with serve_folder(args.folder, args.port) as url:
        print(f"The book is at {url}  (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
