"""The local preview server: loopback only, serves the folder, says plainly when there is no book."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from explainer_core.page.serve import main, serve_folder


def test_serves_the_folder_on_loopback(tmp_path):
    (tmp_path / "index.html").write_text("<p>hello</p>")
    with serve_folder(tmp_path) as url:
        assert url.startswith("http://127.0.0.1:")
        assert urllib.request.urlopen(url + "index.html", timeout=5).read() == b"<p>hello</p>"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(url + "favicon.ico", timeout=5)
        assert missing.value.code == 404


def test_cli_refuses_a_folder_without_a_book(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert "no built book" in capsys.readouterr().out
