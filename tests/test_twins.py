"""Every Python/JavaScript twin pair of explainer_core/twins.py, checked from one registry.

``test_every_twin_resolves`` (no browser): each entry's Python side imports, its script
exists and defines the named global or function, and the test modules it names for its
cases exist. The pairs whose cases live here (no ``cases_in``) run in Chromium on a blank
page holding only kit.js, trace.js and the networks (no request leaves the page): each
case computes the Python side and the JavaScript side of the same input and compares
them, strings exactly, numbers to 1e-6 relative. ``test_a_wrong_rule_is_caught`` swaps
each JavaScript rule for a plausible wrong one and checks that its cases notice.
"""

from __future__ import annotations

import base64
import json
import math
import pkgutil
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from explainer_core.twins import TWINS, Twin

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "explainer_core"
SCRIPTS = ("arithmetic/trace.js", "views/kit/kit.js")
HERE = sorted(name for name, entry in TWINS.items() if not entry.cases_in)
REL = 1e-6


# --------------------------------------------------------------------------- the registry


def defines(text: str, expression: str) -> bool:
    """Whether script ``text`` defines ``expression``: ``Global.member`` (exported) or a function name."""
    head, *members = expression.split(".")
    exported = re.search(
        rf"\b(?:root|window|globalThis)\.{re.escape(head)}\s*=\s*(?:Object\.freeze\(\s*)?\{{(.*?)\}}", text, re.S
    )
    if not members:
        return exported is not None or re.search(rf"\bfunction\s+{re.escape(head)}\s*\(", text) is not None
    if exported is None:
        return False
    for member in members:
        if re.search(rf"\b{re.escape(member)}\b", exported.group(1)) is None:
            return False
        name = re.escape(member)
        if re.search(rf"\b(?:function\s+{name}\s*\(|(?:const|let|var)\s+{name}\s*=)", text) is None:
            return False
    return True


def test_no_product_module_imports_a_reference():
    """The references under tests/view_oracles/ check the browser; the package never computes with them."""
    imports_tests = re.compile(r"^\s*(?:from|import)\s+tests\b", re.M)
    for path in PACKAGE.rglob("*.py"):
        assert not imports_tests.search(path.read_text(encoding="utf-8")), path


def test_the_registry_is_frozen_and_complete():
    assert len(TWINS) >= 18 and {"fmt", "sig", "window_origin", "trace", "protocol"} <= set(TWINS)
    assert HERE == ["color_ranges", "fmt", "input_range", "scale_groups", "sig", "target_range", "window_origin"]
    entry = TWINS["fmt"]
    with pytest.raises(AttributeError):
        entry.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        TWINS["new"] = entry  # type: ignore[index]


@pytest.mark.parametrize("name", sorted(TWINS))
def test_every_twin_resolves(name: str):
    entry: Twin = TWINS[name]
    assert entry.name == name and entry.why.strip() and "\n" not in entry.why
    # a twin's Python side is the package's; a reference's is the tests' (the package never imports it)
    assert entry.python.startswith("tests.view_oracles." if entry.reference else "explainer_core."), entry.python
    python = pkgutil.resolve_name(entry.python)
    assert callable(python) or type(python).__name__ == "module", entry.python
    script, expression = entry.js
    path = PACKAGE / script
    assert path.is_file(), f"{name}: no script {path}"
    text = path.read_text(encoding="utf-8")
    if expression:
        assert defines(text, expression), f"{name}: {script} does not define {expression}"
    elif entry.reference:  # a view's fill: its reference says which script it checks
        module_text = (REPO / (entry.python.rsplit(".", 1)[0].replace(".", "/") + ".py")).read_text(encoding="utf-8")
        assert script.removeprefix("views/") in module_text, f"{name}: {entry.python} does not name {script}"
    else:  # the whole body of a CustomJS: it must say which Python function it mirrors
        assert entry.python.rsplit(".", 1)[1] in text, f"{name}: {script} does not name {entry.python}"
    for module in entry.cases_in:
        assert (REPO / module).is_file(), f"{name}: no test module {module}"


def test_the_resolver_rejects_what_is_not_there():
    text = (PACKAGE / "views/kit/kit.js").read_text(encoding="utf-8")
    assert defines(text, "ExplainerKit.fmt") and defines(text, "ExplainerKit.windowOrigin")
    assert not defines(text, "ExplainerKit.fmtx") and not defines(text, "ExplainerTrace.fmt")
    assert defines(text, "ExplainerKit") and not defines(text, "check_hyperparameters")


# --------------------------------------------------------------------------- the browser side


@pytest.fixture(scope="module")
def world():
    """The Python side of every case: the shipped network and the default trace, and a network
    with 'same' padding and strides (tests/conftest.py strided_cnn) traced on a random picture."""
    from explainer_core.arithmetic.network import Network
    from explainer_core.arithmetic.trace import trace
    from explainer_core.page.examples import default_trace, shipped_network

    from .conftest import seed_weights, strided_cnn

    strided = Network.from_keras(seed_weights(strided_cnn(), seed=1))
    picture = np.random.default_rng(3).random(strided.input_shape, dtype=np.float32)
    return SimpleNamespace(
        networks={"explainer-network": shipped_network(), "strided": strided},
        traces={"explainer-network": default_trace(), "strided": trace(strided, picture)},
    )


@pytest.fixture
def page(chromium, world):
    """A blank page with trace.js, kit.js and both networks; any request is refused and recorded."""
    from explainer_core.page.protocol import NETWORKS_GLOBAL
    from explainer_core.page.webmodel import network_json

    context = chromium.new_context(service_workers="block")
    requests: list[str] = []
    errors: list[str] = []

    def refuse(route) -> None:
        requests.append(route.request.url)
        route.abort("blockedbyclient")

    context.route("**/*", refuse)
    tab = context.new_page()
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        tab.set_content("<!doctype html><html><head><meta charset='utf-8'><title>twins</title></head></html>")
        networks = ",".join(f"{json.dumps(key)}:{network_json(net)}" for key, net in world.networks.items())
        tab.add_script_tag(content=f"window.{NETWORKS_GLOBAL} = {{{networks}}};")
        for script in SCRIPTS:
            tab.add_script_tag(content=(PACKAGE / script).read_text(encoding="utf-8"))
        assert tab.evaluate("() => [ExplainerKit.fmt, ExplainerTrace.trace].every((f) => typeof f === 'function')")
        yield tab
        assert not requests, f"the page made requests: {requests}"
        assert not errors, f"the page had errors: {errors}"
    finally:
        context.close()


def same(python, js) -> bool:
    """Strings and booleans exactly, numbers to 1e-6 relative, containers item by item."""
    if isinstance(python, str) or isinstance(js, str) or isinstance(python, bool):
        return type(python) is type(js) and python == js
    if isinstance(python, dict):
        return isinstance(js, dict) and python.keys() == js.keys() and all(same(python[k], js[k]) for k in python)
    if isinstance(python, list | tuple):
        return isinstance(js, list | tuple) and len(python) == len(js) and all(map(same, python, js))
    if isinstance(python, int | float) and isinstance(js, int | float) and not isinstance(js, bool):
        if math.isnan(python) or math.isnan(js):
            return math.isnan(python) and math.isnan(js)
        return python == js or math.isclose(python, js, rel_tol=REL, abs_tol=0.0)
    return False


def b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def trace_values(t, per_layer: int = 6) -> list[float]:
    """Float32 numbers of a trace: a few of every output, its extremes, the logits and probabilities."""
    rng = np.random.default_rng(11)
    values: list[float] = []
    for array in t.outputs.values():
        flat = np.asarray(array, dtype=np.float32).reshape(-1)
        values += [float(v) for v in rng.choice(flat, per_layer)] + [float(flat.min()), float(flat.max())]
    return values + [float(v) for v in t.logits] + [float(v) for v in t.probabilities]


#: Zeros, halves at the third decimal (ties and near-ties), large and tiny numbers, float32 values.
FMT_VALUES = [
    *map(float, "0 -0 1e-9 -1e-9 -0.0004 -0.0005 0.0005 -0.0005000001 2.5e-3 -2.5e-3 0.0625 -0.0625".split()),
    *map(float, "1.0005 2.0005 123.4565 -123.4565 -1e6 1e-7 99999.5 255 1000000000000000.5".split()),
    0.1 + 0.2,
    1 / 3,
    -2 / 3,
    *(float(np.float32(v)) for v in (0.0005, -0.0005, 2.5e-3, 0.1)),
]
#: And for four significant digits: the edges of the plain range, mantissas that round up to 10, infinities.
SIG_VALUES = [
    *FMT_VALUES,
    *map(float, "0.001 0.00099995 9.9996e-5 99999.99 100000 99999.9999 1.2345e20 -6.02e23 1e-300 5e-7".split()),
    *map(float, "12.34565 inf -inf".split()),
]


def run_fmt(page, world) -> list:
    from explainer_core.views.kit.numbers import fmt

    values = FMT_VALUES + trace_values(world.traces["explainer-network"]) + trace_values(world.traces["strided"])
    got = page.evaluate("(vs) => vs.map((v) => [Object.is(v, -0), ExplainerKit.fmt(v)])", values)
    assert [negative_zero for negative_zero, _ in got] == [math.copysign(1, v) < 0 and v == 0 for v in values]
    return [(f"fmt({v!r})", fmt(v), text) for v, (_, text) in zip(values, got, strict=True)]


def run_sig(page, world) -> list:
    from tests.view_oracles.softmax_view import sig

    t = world.traces["explainer-network"]
    exps = [float(math.exp(float(z))) for z in t.logits]
    values = SIG_VALUES + trace_values(t) + exps + trace_values(world.traces["strided"])
    got = page.evaluate("(vs) => vs.map((v) => ExplainerKit.sig(v))", values)
    return [(f"sig({v!r})", sig(v), text) for v, text in zip(values, got, strict=True)]


def run_window_origin(page, world) -> list:
    """Every conv and max pooling step of both networks, with the m the views give position.js."""
    from explainer_core.arithmetic.formulas import window_origin

    cases = []
    for key, network in world.networks.items():
        for spec in network.layers:
            if spec.kind not in ("conv", "maxpool"):
                continue
            out_h, out_w = spec.output_shape[:2]
            (sh, sw), ((pt, _), (pl, _)) = spec.strides, spec.pads
            m = dict(out_h=out_h, out_w=out_w, sh=sh, sw=sw, pt=pt, pl=pl)
            last = out_h * out_w - 1
            positions = sorted({0, 1, out_w - 1, out_w, last // 2, (out_h // 2) * out_w + out_w // 2, last - 1, last})
            got = page.evaluate("([m, ps]) => ps.map((p) => ExplainerKit.windowOrigin(m, p))", [m, positions])
            for p, js in zip(positions, got, strict=True):
                r, c = divmod(p, out_w)
                top, left = window_origin(spec, r, c)
                cases.append((f"{key}/{spec.name} p={p}", dict(p=p, r=r, c=c, top=top, left=left), js))
    return cases


def run_scale_groups(page, world) -> list:
    from explainer_core.arithmetic.scales import MODES, scale_groups

    cases = []
    for key, network in world.networks.items():
        for mode in MODES:
            js = page.evaluate("([id, m]) => ExplainerKit.scaleGroups(ExplainerTrace.loadNetwork(id), m)", [key, mode])
            cases.append((f"{key} {mode}", [list(g) for g in scale_groups(network, mode)], js))
        with pytest.raises(ValueError):
            scale_groups(network, "bogus")
        refused = page.evaluate(
            "(id) => { try { ExplainerKit.scaleGroups(ExplainerTrace.loadNetwork(id), 'bogus'); return false; }"
            " catch (e) { return true; } }",
            key,
        )
        cases.append((f"{key} refuses an unknown mode", True, refused))
    return cases


JS_TRACE = """([id, image]) => {
    window.__traces = window.__traces || {};
    return (window.__traces[id] = window.__traces[id]
        || ExplainerTrace.trace(ExplainerTrace.loadNetwork(id), Float32Array.from(image)));
}"""


def run_color_ranges(page, world) -> list:
    """Every mode, on the browser's own trace of the same picture and on the Python trace's numbers."""
    from explainer_core.arithmetic.scales import MODES, color_ranges

    cases = []
    for key, t in world.traces.items():
        page.evaluate(f"(args) => {{ ({JS_TRACE})(args); }}", [key, t.image.reshape(-1).tolist()])
        outputs = {name: b64(array) for name, array in t.outputs.items() if np.ndim(array) == 3}
        for mode in MODES:
            python = {name: list(pair) for name, pair in color_ranges(t, mode).items()}
            js = page.evaluate("([id, mode]) => ExplainerKit.colorRanges(window.__traces[id], mode)", [key, mode])
            cases.append((f"{key} {mode} (browser trace)", python, js))
            js = page.evaluate(
                """([id, outputs, mode]) => {
                    const network = ExplainerTrace.loadNetwork(id);
                    const decoded = {};
                    for (const [name, text] of Object.entries(outputs)) {
                        const data = ExplainerTrace.decodeBase64Float32(text);
                        decoded[name] = {shape: network.layer(name).outputShape, data};
                    }
                    return ExplainerKit.colorRanges({network, outputs: decoded}, mode);
                }""",
                [key, outputs, mode],
            )
            cases.append((f"{key} {mode} (Python trace)", python, js))
    # an all-zero layer gets (-1, 1) on both sides
    t = world.traces["strided"]
    zeroed = {name: np.zeros_like(array) if name == "conv_a" else array for name, array in t.outputs.items()}
    quiet = SimpleNamespace(network=t.network, outputs=zeroed)
    python = {name: list(pair) for name, pair in color_ranges(quiet, "layer").items()}
    js = page.evaluate(
        """([id, outputs]) => {
            const network = ExplainerTrace.loadNetwork(id);
            const decoded = {};
            for (const [name, text] of Object.entries(outputs)) {
                decoded[name] = {data: ExplainerTrace.decodeBase64Float32(text)};
            }
            return ExplainerKit.colorRanges({network, outputs: decoded}, "layer");
        }""",
        ["strided", {name: b64(a) for name, a in zeroed.items() if np.ndim(a) == 3}],
    )
    cases.append(("strided layer, conv_a all zero", python, js))
    return cases


def run_input_range(page, world) -> list:
    from explainer_core.arithmetic.scales import input_range

    rng = np.random.default_rng(5)
    pictures = {key: t.image for key, t in world.traces.items()}
    pictures.update(
        {
            "colour inside (0.2, 0.8)": rng.uniform(0.2, 0.8, (6, 5, 3)),
            "colour centred (-0.6, 1.7)": rng.uniform(-0.6, 1.7, (6, 5, 3)),
            "grey (-0.3, 0.7)": rng.uniform(-0.3, 0.7, (7, 4, 1)),
            "grey all zero": np.zeros((3, 3, 1)),
            "two channels (-2, 0.5)": rng.uniform(-2.0, 0.5, (4, 4, 2)),
        }
    )
    cases = []
    for label, image in pictures.items():
        image = np.asarray(image, dtype=np.float32)
        channels = int(image.shape[-1])
        js = page.evaluate(
            "([text, channels]) => ExplainerKit.inputRange(ExplainerTrace.decodeBase64Float32(text), channels, null)",
            [b64(image), channels],
        )
        cases.append((f"{label}", list(input_range(SimpleNamespace(image=image))), js))
    for key, t in world.traces.items():  # the picture as the browser's own trace holds it
        js = page.evaluate(
            f"""(args) => {{
                const t = ({JS_TRACE})(args);
                return ExplainerKit.inputRange(t.image.data, t.image.shape[2], null);
            }}""",
            [key, t.image.reshape(-1).tolist()],
        )
        cases.append((f"{key} (browser trace)", list(input_range(t)), js))
    return cases


def run_target_range(page, world) -> list:
    from explainer_core.arithmetic.scales import target_range

    rng = np.random.default_rng(7)
    vectors = {}
    for key, t in world.traces.items():
        vectors[f"{key} logits"] = (t.logits, True)
        vectors[f"{key} probabilities as a hidden layer"] = (t.probabilities, False)
    vectors.update(
        {
            "all equal logits": (np.full(10, 2.5), True),
            "one logit": (np.array([-3.25]), True),
            "negative logits": (rng.uniform(-9, -1, 10), True),
            "hidden units around zero": (rng.normal(0, 3, 32), False),
            "hidden units all zero": (np.zeros(8), False),
            "hidden units negative": (rng.uniform(-5, -0.5, 16), False),
        }
    )
    cases = []
    for label, (values, is_logit) in vectors.items():
        values = np.asarray(values, dtype=np.float32)
        js = page.evaluate(
            "([text, isLogit]) => ExplainerKit.targetRange(ExplainerTrace.decodeBase64Float32(text), isLogit)",
            [b64(values), is_logit],
        )
        cases.append((label, list(target_range(values, is_logit)), js))
    return cases


RUNNERS = {
    "fmt": run_fmt,
    "target_range": run_target_range,
    "sig": run_sig,
    "window_origin": run_window_origin,
    "scale_groups": run_scale_groups,
    "color_ranges": run_color_ranges,
    "input_range": run_input_range,
}

#: For each pair, a plausible wrong JavaScript rule that its cases must catch.
WRONG = {
    "fmt": "K.fmt = (v) => Number(v).toFixed(3).replace('-', '\\u2212');",  # writes −0.000
    "sig": "K.sig = (v) => (v === 0 ? '0' : Number(v).toPrecision(4));",
    "window_origin": "const f = K.windowOrigin; K.windowOrigin = (m, p) => f({...m, pt: 0, pl: 0}, p);",
    "scale_groups": "const f = K.scaleGroups; K.scaleGroups = (n, mode) => f(n, mode === 'unit' ? 'module' : mode);",
    "color_ranges": "const f = K.colorRanges; K.colorRanges = (t, mode) => f(t, 'layer');",
    "input_range": "K.inputRange = (values) => [Math.min(...values), Math.max(...values)];",
    "target_range": "const f = K.targetRange; K.targetRange = (values, isLogit) => f(values, !isLogit);",
}


def test_every_pair_here_has_cases_and_a_wrong_rule():
    assert sorted(RUNNERS) == HERE and sorted(WRONG) == HERE


@pytest.mark.browser
@pytest.mark.parametrize("name", HERE)
def test_twins_agree(page, world, name: str):
    cases = RUNNERS[name](page, world)
    assert len(cases) >= 8, f"{name}: only {len(cases)} cases"
    wrong = [f"{label}: Python {python!r}, JavaScript {js!r}" for label, python, js in cases if not same(python, js)]
    assert not wrong, f"{name}: {len(wrong)} of {len(cases)} cases disagree:\n" + "\n".join(wrong[:20])


@pytest.mark.browser
@pytest.mark.parametrize("name", HERE)
def test_a_wrong_rule_is_caught(page, world, name: str):
    page.evaluate(f"() => {{ const K = window.ExplainerKit; {WRONG[name]} }}")
    cases = RUNNERS[name](page, world)
    assert any(not same(python, js) for _, python, js in cases), f"{name}: a wrong JavaScript rule went unnoticed"
