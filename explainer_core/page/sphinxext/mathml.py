"""Render LaTeX math to MathML at build time (math renderer ``mathml``, via latex2mathml).

Browsers draw MathML natively, so no MathJax and no CDN are needed; unsupported
commands are build warnings, not silently wrong output. Select it in the config
with ``html_math_renderer: mathml``.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from typing import Any
from xml.etree.ElementTree import SubElement, tostring

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

@functools.cache
def _known_commands() -> frozenset[str]:
    from latex2mathml import commands

    known: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, str):
            if value.startswith("\\"):
                known.add(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                collect(key)
                collect(item)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                collect(item)

    for name in dir(commands):
        if not name.startswith("_"):
            collect(getattr(commands, name))
    return frozenset(known)


_COMMAND_RE = re.compile(r"\\([A-Za-z]+)")
_ENVIRONMENT_RE = re.compile(r"\\(begin|end)\{([A-Za-z]+\*?)\}")
#: amsmath environments latex2mathml lacks, mapped to ones it draws the same way.
_ENVIRONMENT_ALIASES = {"aligned": "split", "equation": None, "equation*": None}
_NUMERIC_ENTITY_RE = re.compile(r"&amp;(#x[0-9A-Fa-f]+;)")


class MathError(ValueError):
    """LaTeX that the MathML renderer cannot draw faithfully."""


def latex_to_mathml(latex: str, display: str = "inline") -> str:
    """MathML for ``latex``, with the source kept as an annotation for copy and screen readers.

    Raises :class:`MathError` for commands or environments latex2mathml does not know,
    because it would otherwise print them as plain letters.
    """
    from latex2mathml import symbols_parser
    from latex2mathml.converter import convert_to_element

    def alias(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in _ENVIRONMENT_ALIASES:
            return match.group(0)
        target = _ENVIRONMENT_ALIASES[name]
        return "" if target is None else f"\\{match.group(1)}{{{target}}}"

    source = _ENVIRONMENT_RE.sub(alias, latex.strip())
    known = _known_commands()
    unknown = sorted(
        {
            f"\\{name}"
            for name in _COMMAND_RE.findall(source)
            if f"\\{name}" not in known and symbols_parser.convert_symbol(f"\\{name}") is None
        }
        | {
            f"\\begin{{{env}}}"
            for kind, env in _ENVIRONMENT_RE.findall(source)
            if kind == "begin" and f"\\{env}" not in known
        }
    )
    if unknown:
        raise MathError(f"unsupported LaTeX for MathML: {', '.join(unknown)} in {latex!r}")
    try:
        math = convert_to_element(source, display=display)
    except Exception as error:  # latex2mathml raises several unrelated types
        raise MathError(f"cannot convert {latex!r} to MathML: {error}") from error

    row = math[0]
    math.remove(row)
    semantics = SubElement(math, "semantics")
    semantics.append(row)
    annotation = SubElement(semantics, "annotation", {"encoding": "application/x-tex"})
    annotation.text = latex.strip()
    math.set("alttext", latex.strip())
    # latex2mathml stores symbols as "&#x...;" text; keep those as character references
    # but leave every other "&" and "<" escaped, so the result is valid HTML.
    return _NUMERIC_ENTITY_RE.sub(r"&\1", tostring(math, encoding="unicode"))


def _math_or_source(translator: Any, node: nodes.Element, latex: str, display: str) -> str:
    try:
        return latex_to_mathml(latex, display)
    except MathError as error:
        logger.warning(str(error), location=node, type="explainer", subtype="math")
        return f'<code class="math-error">{translator.encode(latex)}</code>'


def _visit_math(self: Any, node: nodes.math) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate nohighlight"))
    self.body.append(_math_or_source(self, node, node.astext(), "inline"))
    self.body.append("</span>")
    raise nodes.SkipNode


def _visit_math_block(self: Any, node: nodes.math_block) -> None:
    from sphinx.locale import _
    from sphinx.util.math import get_node_equation_number

    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node.get("number"):
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    # Sphinx's convention: a blank line separates equations in one block.
    for part in (p for p in node.astext().split("\n\n") if p.strip()):
        if r"\\" in part and r"\begin" not in part:
            part = r"\begin{split}" + part + r"\end{split}"
        self.body.append(_math_or_source(self, node, part, "block"))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict[str, Any]:
    if importlib.util.find_spec("latex2mathml") is None:
        raise ExtensionError(
            f"{__name__} renders math with latex2mathml, which is not installed: pip install -e '.[book]'"
        )
    app.add_html_math_renderer(
        "mathml", inline_renderers=(_visit_math, None), block_renderers=(_visit_math_block, None)
    )
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
