"""The network payload for the browser: a lossless, compact, HTML-safe copy of the weights."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace

import numpy as np
import pytest

from explainer_core.arithmetic.network import Network
from explainer_core.data.preprocess import BACKGROUND, MAX_PIXELS
from explainer_core.page import protocol, webmodel


@pytest.fixture(scope="module")
def network(cnn_model) -> Network:
    return Network.from_keras(cnn_model)


def test_payload_round_trip_gives_back_every_weight(network):
    payload = json.loads(json.dumps(webmodel.network_payload(network)))  # through real JSON
    decoded = webmodel.decode_weights(payload)
    with_weights = [spec for spec in network.layers if spec.kernel is not None]
    assert sorted(decoded) == sorted(spec.name for spec in with_weights)
    for spec in with_weights:
        np.testing.assert_array_equal(decoded[spec.name]["kernel"], spec.kernel)
        np.testing.assert_array_equal(decoded[spec.name]["bias"], spec.bias)
        assert decoded[spec.name]["kernel"].dtype == np.float32


def test_payload_describes_every_step(network):
    payload = webmodel.network_payload(network)
    assert payload["format"] == webmodel.FORMAT
    assert payload["input_shape"] == list(network.input_shape)
    assert [layer["name"] for layer in payload["layers"]] == list(network.layer_names)
    for layer, spec in zip(payload["layers"], network.layers, strict=True):
        assert (layer["kind"], layer["keras_name"]) == (spec.kind, spec.keras_name)
        assert tuple(layer["input_shape"]) == spec.input_shape
        assert tuple(layer["output_shape"]) == spec.output_shape
        if spec.kind in ("conv", "maxpool"):
            assert tuple(layer["window"]) == spec.window
            assert tuple(layer["strides"]) == spec.strides
            assert tuple(tuple(p) for p in layer["pads"]) == spec.pads
    assert payload["preprocess"] == {"max_pixels": MAX_PIXELS, "background": list(BACKGROUND)}


def test_weights_are_one_base64_float32_block(network):
    payload = webmodel.network_payload(network)
    count = sum(spec.kernel.size + spec.bias.size for spec in network.layers if spec.kernel is not None)
    assert payload["weight_count"] == count
    assert len(base64.b64decode(payload["weights"])) == 4 * count
    # Offsets tile the block without gaps, in layer order.
    refs = [layer[part] for layer in payload["layers"] if "kernel" in layer for part in ("kernel", "bias")]
    ends = [ref["offset"] + int(np.prod(ref["shape"])) for ref in refs]
    assert [ref["offset"] for ref in refs] == [0, *ends[:-1]] and ends[-1] == count


def test_payload_is_little_endian_whatever_the_machine(network):
    spec = next(s for s in network.layers if s.kernel is not None)
    big_endian = replace(spec, kernel=spec.kernel.astype(">f4"), bias=spec.bias.astype(">f4"))
    layers = tuple(big_endian if s is spec else s for s in network.layers)
    payload = webmodel.network_payload(replace(network, layers=layers))
    np.testing.assert_array_equal(webmodel.decode_weights(payload)[spec.name]["kernel"], spec.kernel)


def test_class_names_cannot_break_out_of_the_script_element(network):
    hostile = replace(network, class_names=("</script><script>alert(1)</script>", *(["x"] * (network.num_classes - 1))))
    block = webmodel.network_script(hostile)
    assert block.count("</script>") == 1 and block.endswith("</script>")
    body = re.fullmatch(r'<script type="application/json" id="explainer-network">(.*)</script>', block).group(1)
    assert json.loads(body)["class_names"][0] == hostile.class_names[0]


def test_page_script_embeds_the_network_once_and_loads_the_scripts(network):
    served = webmodel.page_script(network, js_url="_static/explainer/")
    assert served.count('type="application/json"') == 1
    assert re.findall(r'<script src="([^"]+)"></script>', served) == [
        "_static/explainer/trace.js",
        "_static/explainer/preprocess.js",
        "_static/explainer/kit.js",
        "_static/explainer/page.js",
    ]
    inline = webmodel.page_script(network)
    assert all(f"window.Explainer{name}" in inline for name in ("Trace", "Preprocess", "Kit", "Page"))
    assert "<script src=" not in inline


def test_network_js_registers_the_payload(network):
    """Under the page's name and under the fingerprint name the views' pictures use."""
    from explainer_core.views.kit.refill import network_id

    text = webmodel.network_js(network, element_id="tiny")
    prefix = (f'(function (networks, payload) {{ networks["tiny"] = networks["{network_id(network)}"] = payload; }})'
              "(window.ExplainerNetworks = window.ExplainerNetworks || {}, ")
    assert text.startswith(prefix) and text.endswith(");\n")
    assert json.loads(text[len(prefix) : -3]) == webmodel.network_payload(network)


def test_the_scripts_ship_with_the_package():
    paths = webmodel.js_files()
    assert [p.name for p in paths] == list(protocol.PAGE_SCRIPTS)
    for path in paths:
        assert path.is_file() and "</script" not in path.read_text(encoding="utf-8").lower()
    # The browser refuses pictures above the same limit as preprocess.py.
    assert f"const MAX_PIXELS = {MAX_PIXELS};" in webmodel.js_source("preprocess.js")
    with pytest.raises(ValueError):
        webmodel.js_source("play.js")
