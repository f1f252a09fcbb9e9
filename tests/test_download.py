"""Fetching the data set (explainer_core.data.download), against a local HTTP server only."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from explainer_core.data import download
from explainer_core.data.download import OFFICIAL_URL, fetch_dataset, main
from explainer_core.data.tiny_imagenet import OFFICIAL_ARCHIVE, PAPER_WNIDS, TinyImageNet, locate_dataset
from explainer_core.errors import DatasetError, DownloadError

STALL_SECONDS = 3.0


class _Handler(BaseHTTPRequestHandler):
    """Serves the shared zip well, cut short, altered, slowly, or not at all, by path prefix."""

    def do_GET(self):  # noqa: N802 - the name http.server calls
        server = self.server
        server.hits.append(self.path)
        payload = server.payload
        if self.path.endswith("/missing.zip"):
            self.send_error(404, "Not Found")
            return
        if self.path.startswith("/page/"):
            self._send(b"<!DOCTYPE html><html><body>Please log in to the Wi-Fi</body></html>", "text/html")
            return
        body = server.corrupt if self.path.startswith("/corrupt/") else payload
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.path.startswith("/truncated/"):
            self.wfile.write(body[: len(body) // 3])  # then the connection is closed
        elif self.path.startswith("/stall/"):
            self.wfile.write(body[:1000])
            self.wfile.flush()
            time.sleep(STALL_SECONDS)
        else:
            self.wfile.write(body)

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # keep the test output clean
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """Clients that give up early (the timeout and interrupt tests) are expected."""


@pytest.fixture(scope="module")
def server(tiny_imagenet_zip):
    """A local server on 127.0.0.1 and an ephemeral port; its base URL is ``server.url``."""
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.payload = tiny_imagenet_zip.read_bytes()
    corrupt = bytearray(httpd.payload)
    middle = len(corrupt) // 2
    corrupt[middle : middle + 64] = bytes(b ^ 0xFF for b in corrupt[middle : middle + 64])
    httpd.corrupt = bytes(corrupt)
    httpd.hits = []
    httpd.sha256 = hashlib.sha256(httpd.payload).hexdigest()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """A proxy set for the registries must not see requests to the local server."""
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


def _left_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- good downloads ----------------------------------------------------------------
def test_a_good_download_is_verified_and_usable(server, tmp_path):
    dest = tmp_path / "data" / "tiny.zip"
    path = fetch_dataset(f"{server.url}/tiny-imagenet-10.zip", dest, sha256=server.sha256, progress=False)
    assert path == dest
    assert path.read_bytes() == server.payload
    assert _left_in(dest.parent) == ["tiny.zip"]
    data = TinyImageNet(path)
    assert data.wnids == PAPER_WNIDS
    assert data.load("val", limit_per_class=1).images.shape == (10, 64, 64, 3)


def test_by_default_it_lands_in_the_cache_where_the_loader_looks(server, isolated_data_env):
    path = fetch_dataset(f"{server.url}/{OFFICIAL_ARCHIVE}", sha256=server.sha256.upper(), progress=False)
    assert path == isolated_data_env / OFFICIAL_ARCHIVE
    assert locate_dataset() == path
    assert TinyImageNet().path == path


def test_a_folder_as_destination_keeps_the_archive_name(server, tmp_path):
    path = fetch_dataset(f"{server.url}/tiny-imagenet-10.zip", tmp_path, progress=False)
    assert path == tmp_path / "tiny-imagenet-10.zip" and path.read_bytes() == server.payload


def test_the_progress_bar_goes_to_stderr(server, tmp_path, capsys):
    fetch_dataset(f"{server.url}/tiny-imagenet-10.zip", tmp_path / "a.zip", progress=True)
    err = capsys.readouterr().err
    assert "a.zip" in err and "100%" in err
    fetch_dataset(f"{server.url}/tiny-imagenet-10.zip", tmp_path / "b.zip", progress=False)
    assert capsys.readouterr().err == ""


def test_a_file_that_already_matches_is_not_fetched_again(server, tmp_path):
    dest = tmp_path / "tiny.zip"
    dest.write_bytes(server.payload)
    before = len(server.hits)
    assert fetch_dataset(f"{server.url}/missing.zip", dest, sha256=server.sha256, progress=False) == dest
    assert len(server.hits) == before


def test_the_official_address_is_the_cs231n_archive():
    assert OFFICIAL_URL == "http://cs231n.stanford.edu/tiny-imagenet-200.zip"
    assert OFFICIAL_URL.endswith(OFFICIAL_ARCHIVE)


# -- failed downloads leave nothing behind -------------------------------------------
FAILURES = {
    "interrupted": ("/truncated/tiny.zip", None, "interrupted"),
    "corrupted": ("/corrupt/tiny.zip", "expected", "corrupt: its sha256 is"),
    "not-found": ("/missing.zip", None, "answered 404"),
    "error-page": ("/page/tiny.zip", None, "did not send a zip archive"),
}


@pytest.mark.parametrize("case", FAILURES)
def test_a_failed_download_leaves_no_file_and_no_temporary_file(server, tmp_path, case):
    route, checksum, message = FAILURES[case]
    dest = tmp_path / "cache" / "tiny.zip"
    with pytest.raises(DownloadError, match=message) as caught:
        fetch_dataset(server.url + route, dest, sha256=server.sha256 if checksum else None, progress=False)
    assert isinstance(caught.value, DatasetError)  # callers catching data problems catch this too
    assert _left_in(dest.parent) == []


def test_without_a_checksum_an_altered_download_cannot_be_told_apart(server, tmp_path):
    """Why the checksum matters: the same altered bytes are accepted when none is given."""
    path = fetch_dataset(f"{server.url}/corrupt/tiny.zip", tmp_path / "tiny.zip", progress=False)
    assert path.read_bytes() == server.corrupt != server.payload


@pytest.mark.parametrize("case", FAILURES)
def test_a_failed_download_leaves_an_existing_file_untouched(server, tmp_path, case):
    route, checksum, message = FAILURES[case]
    dest = tmp_path / "tiny.zip"
    dest.write_bytes(server.payload)
    stamp = dest.stat().st_mtime_ns
    # A checksum the old file does not have, so that the download is really attempted.
    other = hashlib.sha256(b"another release").hexdigest() if checksum else None
    with pytest.raises(DownloadError, match="sha256" if checksum else message):
        fetch_dataset(server.url + route, dest, sha256=other, progress=False)
    assert dest.read_bytes() == server.payload and dest.stat().st_mtime_ns == stamp
    assert _left_in(tmp_path) == ["tiny.zip"]
    assert TinyImageNet(dest).wnids == PAPER_WNIDS


def test_a_stalled_server_times_out_instead_of_hanging(server, tmp_path):
    started = time.monotonic()
    with pytest.raises(DownloadError, match="stalled"):
        fetch_dataset(f"{server.url}/stall/tiny.zip", tmp_path / "tiny.zip", progress=False, timeout=0.5)
    assert time.monotonic() - started < STALL_SECONDS
    assert _left_in(tmp_path) == []


def test_an_unreachable_server_is_a_download_error(tmp_path):
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DownloadError, match="Could not reach"):
        fetch_dataset(f"http://127.0.0.1:{port}/tiny.zip", tmp_path / "tiny.zip", progress=False, timeout=2)
    assert _left_in(tmp_path) == []


def test_an_interrupt_from_the_keyboard_also_cleans_up(server, tmp_path, monkeypatch):
    class Interrupting:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            raise KeyboardInterrupt

    monkeypatch.setattr(download, "tqdm", Interrupting)
    with pytest.raises(KeyboardInterrupt):
        fetch_dataset(f"{server.url}/tiny.zip", tmp_path / "tiny.zip", progress=False)
    assert _left_in(tmp_path) == []


@pytest.mark.parametrize("checksum", ["abc", "g" * 64, "d0a6" * 15])
def test_a_malformed_checksum_is_refused_before_downloading(server, tmp_path, checksum):
    before = len(server.hits)
    with pytest.raises(DownloadError, match="not a sha256 checksum"):
        fetch_dataset(f"{server.url}/tiny.zip", tmp_path / "tiny.zip", sha256=checksum, progress=False)
    assert len(server.hits) == before


def test_an_address_that_is_not_a_url_is_a_download_error(tmp_path):
    with pytest.raises(DownloadError, match="not a URL"):
        fetch_dataset("tiny-imagenet-200.zip", tmp_path / "tiny.zip", progress=False)


# -- the command line -------------------------------------------------------------------
def test_the_command_saves_and_prints_the_path(server, tmp_path, capsys):
    dest = tmp_path / "tiny.zip"
    code = main(["--url", f"{server.url}/tiny.zip", "--dest", str(dest), "--sha256", server.sha256, "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0 and out.strip() == str(dest) and dest.read_bytes() == server.payload
    assert f"CNN_EXPLAINER_DATA={dest}" in err


def test_the_command_reports_a_failure_in_one_line_and_exits_2(server, tmp_path, capsys):
    code = main(["--url", f"{server.url}/missing.zip", "--dest", str(tmp_path / "tiny.zip"), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("error: ") and "404" in err and "Traceback" not in err


def test_python_dash_m_exits_2_without_a_traceback(server, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "explainer_core.data.download",
            "--url",
            f"{server.url}/truncated/tiny.zip",
            "--dest",
            str(tmp_path / "out" / "tiny.zip"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "", "no_proxy": "*", "HOME": str(tmp_path)},
    )
    assert result.returncode == 2
    assert "interrupted" in result.stderr and "Traceback" not in result.stderr
    assert _left_in(tmp_path / "out") == []


def test_temporary_files_abandoned_by_a_killed_download_are_removed(server, tmp_path):
    stale, live = tmp_path / ".tiny.zip.0a1b2c.part", tmp_path / ".tiny.zip.3d4e5f.part"
    unrelated = tmp_path / ".other.zip.0a1b2c.part"
    for part in (stale, live, unrelated):
        part.write_bytes(b"half a download")
    day_ago = time.time() - 86_400
    for part in (stale, unrelated):
        os.utime(part, (day_ago, day_ago))
    fetch_dataset(f"{server.url}/tiny.zip", tmp_path / "tiny.zip", progress=False)
    assert _left_in(tmp_path) == sorted([live.name, unrelated.name, "tiny.zip"])


def test_the_archive_gets_ordinary_file_permissions(server, tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    path = fetch_dataset(f"{server.url}/tiny.zip", tmp_path / "tiny.zip", progress=False)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
