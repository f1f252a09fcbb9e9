"""The test suite itself: a green run means the browser tests ran.

A machine without Debian's chromium used to pass ``make test`` with every browser
test skipped; now such a run stops at once with one line saying how to install it,
and leaving the browser out is something the reader asks for (``-m "not browser"``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .browser import REPO

#: One test that needs no browser and one that does, both from the real suite.
TWO_TESTS = ["tests/test_book_pages.py", "-k", "page_ids_are_unique or (icon and intro)"]


def run_suite(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """The real suite with ``args``, on a machine where the browser is missing."""
    env = {**os.environ, "EXPLAINER_CHROMIUM": str(tmp_path / "no-chromium"), "BOOK_HTML_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_a_missing_chromium_stops_the_run_with_the_way_to_install_it(tmp_path):
    result = run_suite(tmp_path, *TWO_TESTS)
    output = result.stdout + result.stderr
    assert result.returncode == 4, output
    assert "apt-get install chromium" in output
    assert "skipped" not in output and "passed" not in output


def test_the_browser_tests_can_be_left_out_on_purpose(tmp_path):
    result = run_suite(tmp_path, *TWO_TESTS, "-m", "not browser")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^1 passed, \d+ deselected", result.stdout, flags=re.M), result.stdout


def test_every_test_that_opens_chromium_carries_the_browser_mark(request):
    drivers = [item for item in request.session.items if {"chromium", "browser_page"} & set(item.fixturenames)]
    assert all(item.get_closest_marker("browser") for item in drivers)
