"""Fetch the official Tiny ImageNet archive into the cache, safely.

The archive is large (about 240 MB) and connections drop, so a download is
written to a temporary file beside its destination, flushed to disk, checked,
and only then renamed into place (``os.replace`` is atomic on one file
system). Whatever goes wrong, the destination is either the complete,
verified file or exactly what was there before, and no temporary file stays.

Command line::

    python -m explainer_core.data.download [--dest PATH] [--sha256 HEX]
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import http.client
import os
import re
import secrets
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from tqdm import tqdm

from ..errors import DownloadError, ExplainerError
from .tiny_imagenet import ENV_VAR, cache_dir

#: Where the Tiny ImageNet authors (Stanford CS231n) publish the data set.
OFFICIAL_URL = "http://cs231n.stanford.edu/tiny-imagenet-200.zip"

#: Seconds to wait for the server to connect or send the next bytes, so a
#: stalled connection fails instead of hanging a notebook for ever.
TIMEOUT = 60.0

_CHUNK = 1 << 16


def fetch_dataset(
    url: str = OFFICIAL_URL,
    dest: str | os.PathLike | None = None,
    sha256: str | None = None,
    progress: bool = True,
    *,
    timeout: float = TIMEOUT,
) -> Path:
    """Download ``url`` to ``dest`` and return its path.

    ``dest`` defaults to the archive's name in :func:`explainer_core.data.tiny_imagenet.cache_dir`,
    where :func:`explainer_core.data.tiny_imagenet.locate_dataset` looks; an existing folder
    means "keep the archive's name, in that folder". With ``sha256`` the
    download is refused unless it matches, and a file already there that
    matches is kept without downloading again; without it the file is fetched
    again and replaces the old one only once complete. Raises
    :class:`DownloadError`.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DownloadError(f"{url!r} is not a URL that can be downloaded: it must start with http:// or https://.")
    name = PurePosixPath(parts.path).name or "download"
    target = Path(dest).expanduser() if dest is not None else cache_dir() / name
    if target.is_dir():
        target = target / name
    expected = _normalise_checksum(sha256)
    if expected and _file_sha256(target) == expected:
        return target
    temp = target.parent / f".{target.name}.{secrets.token_hex(6)}.part"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_parts(target, older_than=max(2 * timeout, 600.0))
        out = open(temp, "xb")  # a plain new file, so the archive gets the usual permissions
    except OSError as exc:
        raise DownloadError(f"Cannot write into {target.parent} ({exc}).") from exc
    try:
        with out:
            digest = _copy_url(url, out, timeout=timeout, progress=progress, label=target.name)
            out.flush()
            os.fsync(out.fileno())
        if expected and digest != expected:
            raise DownloadError(
                f"The file downloaded from {url} is corrupt: its sha256 is {digest}, "
                f"not the expected {expected}. Nothing was saved; try again."
            )
        if target.suffix.lower() == ".zip" and not zipfile.is_zipfile(temp):
            raise DownloadError(f"{url} did not send a zip archive (perhaps an error page). Nothing was saved.")
        os.replace(temp, target)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, (DownloadError, KeyboardInterrupt, SystemExit)):
            raise
        if isinstance(exc, OSError):
            raise DownloadError(f"Could not save the download to {target} ({exc}). Nothing was saved.") from exc
        raise
    _sync_folder(target.parent)
    return target


def _copy_url(url: str, out, *, timeout: float, progress: bool, label: str) -> str:
    """Stream ``url`` into ``out``; return the sha256 of what arrived, complete or raise."""
    digest = hashlib.sha256()
    received = 0
    expected_size = None
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "cnn-explainer-book"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            expected_size = int(length) if length and length.isdigit() else None
            with tqdm(
                total=expected_size,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=label,
                disable=not progress,
            ) as bar:
                while block := response.read(_CHUNK):
                    out.write(block)
                    digest.update(block)
                    received += len(block)
                    bar.update(len(block))
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the connection open for its body
        raise DownloadError(f"The server answered {exc.code} {exc.reason} for {url}. Nothing was saved.") from exc
    except urllib.error.URLError as exc:
        raise DownloadError(f"Could not reach {url} ({exc.reason}). Check the address and your connection.") from exc
    except TimeoutError as exc:
        raise DownloadError(f"The download from {url} stalled for {timeout:g} s and was stopped. Try again.") from exc
    except (http.client.HTTPException, ConnectionError) as exc:
        raise DownloadError(f"The download from {url} was interrupted ({exc!r}). Try again.") from exc
    except ValueError as exc:  # urllib's answer to an address it cannot parse
        raise DownloadError(f"{url!r} is not a URL that can be downloaded ({exc}).") from exc
    if expected_size is not None and received != expected_size:
        raise DownloadError(
            f"The download from {url} was interrupted after {received:,} of {expected_size:,} bytes. "
            "Nothing was saved; try again."
        )
    return digest.hexdigest()


def _normalise_checksum(sha256: str | None) -> str | None:
    if sha256 is None:
        return None
    value = sha256.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise DownloadError(f"{sha256!r} is not a sha256 checksum (64 hexadecimal digits).")
    return value


def _file_sha256(path: Path) -> str | None:
    """The file's sha256, or None when there is no readable file."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _remove_stale_parts(target: Path, older_than: float) -> None:
    """Delete temporary files left by a download that was killed outright.

    A live download writes to its temporary file at least once per timeout
    (or stops and removes it), so one untouched for longer is abandoned.
    """
    now = time.time()
    for part in target.parent.glob(f".{glob.escape(target.name)}.*.part"):
        try:
            if now - part.stat().st_mtime > older_than:
                part.unlink()
        except OSError:
            pass


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); best effort elsewhere."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def main(argv: list[str] | None = None) -> int:
    """Command line: download, print where the archive is, exit 2 with a message on failure."""
    parser = argparse.ArgumentParser(
        prog="python -m explainer_core.data.download",
        description="Download the official Tiny ImageNet archive into the cache folder.",
    )
    parser.add_argument("--url", default=OFFICIAL_URL, help="archive to fetch (default: %(default)s)")
    parser.add_argument("--dest", help=f"file or folder to save it to (default: {cache_dir()})")
    parser.add_argument("--sha256", help="expected checksum; the download is refused if it differs")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds to wait for data")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        path = fetch_dataset(args.url, args.dest, args.sha256, progress=not args.quiet, timeout=args.timeout)
    except ExplainerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted; nothing was saved.", file=sys.stderr)
        return 130
    print(path)
    if path.parent != cache_dir():
        print(f"To use it, set {ENV_VAR}={path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
