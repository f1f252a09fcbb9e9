"""The page protocol and its twin agree: explainer_core/page/protocol.py and page.js (issue 9).

Every name Python writes into a page and the browser looks for lives in
``protocol.py``; ``page.js`` repeats the ones it uses as ``const`` lines. These
tests read the scripts as text, so a renamed callback, class or folder fails here
rather than in a browser.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest

from explainer_core.page import protocol

PACKAGE = Path(str(files("explainer_core")))
PAGE_JS = PACKAGE / "page" / "page.js"

#: ``const NAME = "value";`` lines (upper-case names with a string value).
_CONST_RE = re.compile(r'^\s*const ([A-Z][A-Z0-9_]*) = "([^"]*)";', re.MULTILINE)
#: A quoted page name (or CSS selector of one) anywhere in a script: 'explainer-...', ".explainer-...".
_QUOTED_NAME_RE = re.compile(r"""["'`]\.?((?:data-)?explainer-[a-z][a-z-]*)["'`]""")
_CSS_CLASS_RE = re.compile(r"\.(explainer-[a-z][a-z-]*)")


def _shared_strings() -> set[str]:
    return {value for name in protocol.__all__ if isinstance(value := getattr(protocol, name), str)}


def _scripts() -> list[Path]:
    return sorted(PACKAGE.rglob("*.js"))


def test_protocol_is_a_registry_of_constants():
    assert sorted(protocol.__all__) == sorted(n for n in vars(protocol) if n.isupper())
    values = [getattr(protocol, name) for name in protocol.__all__ if isinstance(getattr(protocol, name), str)]
    assert len(values) == len(set(values)), "two protocol names share one value"
    with pytest.raises(TypeError):
        protocol.SCRIPT_HOMES["page.js"] = "elsewhere"  # type: ignore[index]


def test_page_js_constants_equal_protocol():
    constants = dict(_CONST_RE.findall(PAGE_JS.read_text(encoding="utf-8")))
    assert {"REFILL", "STATUS", "DESCRIBE"} <= constants.keys()
    for name, value in constants.items():
        assert hasattr(protocol, name), f"page.js declares {name} = {value!r}, which protocol.py lacks"
        assert getattr(protocol, name) == value, f"page.js and protocol.py disagree on {name}"


@pytest.mark.parametrize("script", _scripts(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_scripts_spell_only_protocol_names(script):
    used = set(_QUOTED_NAME_RE.findall(script.read_text(encoding="utf-8")))
    assert used <= _shared_strings(), f"{script.name} uses page names protocol.py lacks: {used - _shared_strings()}"


def test_page_js_uses_its_names_only_through_constants():
    code = "\n".join(line for line in PAGE_JS.read_text(encoding="utf-8").splitlines() if "const " not in line)
    # Comments may mention a name; code must not spell it again.
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", code, flags=re.DOTALL)
    assert not _QUOTED_NAME_RE.findall(code)


def test_stylesheet_and_scripts_find_the_marker_class():
    css = (PACKAGE / "page" / "assets" / "explainer.css").read_text(encoding="utf-8")
    assert set(_CSS_CLASS_RE.findall(css)) == {protocol.MARKER_CLASS}
    ready = (PACKAGE / "views" / "kit" / "kit.js").read_text(encoding="utf-8")  # ExplainerKit.ready
    assert f'".{protocol.MARKER_CLASS}"' in ready


def test_page_scripts_and_network_global():
    assert tuple(protocol.SCRIPT_HOMES) == protocol.PAGE_SCRIPTS
    for name, home in protocol.SCRIPT_HOMES.items():
        assert (PACKAGE / home / name).is_file()
    trace_js = (PACKAGE / "arithmetic" / "trace.js").read_text(encoding="utf-8")
    assert f"root.{protocol.NETWORKS_GLOBAL}" in trace_js
    assert f'"{protocol.NETWORK_ELEMENT_ID}"' in trace_js
