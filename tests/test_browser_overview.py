"""The overview in the built book: hover edges, the colour-range control, details, and a new picture.

Page: book/02_overview.html. Expected numbers come from the Python oracle
(tests/view_oracles/overview.py) on the same forward pass (default_trace()) or, after a
gallery click, on the Python trace of the same file: the page computes them only in
views/overview/fill.js, the first frame too.
"""

from __future__ import annotations

import base64

import numpy as np
import pytest

from explainer_core.arithmetic.scales import MODES, color_ranges
from explainer_core.arithmetic.trace import trace
from explainer_core.data.preprocess import prepare_image
from explainer_core.page.examples import default_trace, shipped_network
from explainer_core.views.overview import overview_layers
from tests.test_browser_formulas import hover, model_value, open_page, source_column
from tests.view_oracles.overview import overview_data

pytestmark = pytest.mark.browser

PAGE = "book/02_overview.html"


def neuron_index(page, layer: str, neuron: int) -> int:
    layers = source_column(page, "overview_neurons", "layer")
    neurons = source_column(page, "overview_neurons", "neuron")
    return next(i for i, (a, b) in enumerate(zip(layers, neurons, strict=True)) if (a, b) == (layer, neuron))


def hover_neuron(page, layer: str, neuron: int) -> None:
    i = neuron_index(page, layer, neuron)
    x = source_column(page, "overview_neurons", "x")[i]
    y = source_column(page, "overview_neurons", "y")[i]
    hover(page, "overview_plot", x, y)
    page.wait_for_timeout(150)


@pytest.mark.parametrize("kind, expected_edges", [("conv", "all"), ("relu", 1), ("maxpool", 1)])
def test_hovering_a_neuron_draws_its_edges(browser_page, kind, expected_edges):
    page = open_page(browser_page, PAGE)
    t = default_trace()
    layers = overview_layers(t)
    layer = next(name for name in layers[1:] if t.network.layer(name).kind == kind)
    before = layers[layers.index(layer) - 1]
    hover_neuron(page, layer, 2)
    xs = source_column(page, "overview_edges", "xs")
    wanted = t.outputs[before].shape[2] if expected_edges == "all" else expected_edges
    assert len(xs) == wanted
    browser_page.assert_clean()


def test_colour_range_control_changes_the_mapping(browser_page):
    page = open_page(browser_page, PAGE)
    t = default_trace()
    layer = overview_layers(t)[0]
    mapper = f"overview_mapper:{layer}"
    for mode in ("global", "layer", "module", "unit"):
        page.evaluate("(i) => { window.__model('overview_range_mode').active = i; }", MODES.index(mode))
        page.wait_for_timeout(50)
        low, high = color_ranges(t, mode)[layer]
        assert model_value(page, mapper, "low") == pytest.approx(low, abs=1e-6)
        assert model_value(page, mapper, "high") == pytest.approx(high, abs=1e-6)
    assert color_ranges(t, "global")[layer] != color_ranges(t, "layer")[layer]
    browser_page.screenshot("overview_range_unit")
    browser_page.assert_clean()


def test_show_details_and_click_open_the_detail(browser_page):
    page = open_page(browser_page, PAGE)
    assert model_value(page, "overview_dims", "visible") is False
    page.evaluate("() => { window.__model('overview_details').active = true; }")
    assert model_value(page, "overview_dims", "visible") is True
    assert model_value(page, "overview_legend_plot", "visible") is True
    t = default_trace()
    layer = overview_layers(t)[0]
    page.evaluate("(i) => { window.__model('overview_neurons').selected.indices = [i]; }",
                  neuron_index(page, layer, 3))
    assert model_value(page, "overview_detail", "visible") is True
    shown = np.asarray(page.evaluate("() => Array.from(window.__model('overview_detail_map').data.image[0])"))
    np.testing.assert_allclose(shown, t.outputs[layer][..., 3].ravel(), atol=1e-6)
    assert "04_convolutional_layers.html" in model_value(page, "overview_detail_text", "text")
    browser_page.screenshot("overview_details")
    browser_page.assert_clean()


READ_OVERVIEW = """() => {
  const models = [...Bokeh.documents].flatMap((d) => [...d.all_models]);
  const named = (name) => models.find((m) => m.name === name);
  const plain = (v) => (v != null && typeof v === "object" && v.length != null ? Array.from(v) : v);
  const columns = (source) => Object.fromEntries([...Object.entries(source.data)].map(
    ([key, values]) => [key, Array.from(values, (v) => (key === "image" ? Array.from(v) : plain(v)))]));
  const sources = {};
  for (const m of models) {
    if (m.name && m.name.startsWith("overview_") && m.data != null && m.selected != null) sources[m.name] = columns(m);
  }
  const mappers = {};
  for (const m of models) {
    if (m.name && m.name.startsWith("overview_mapper:")) mappers[m.name.slice(16)] = [m.low, m.high];
  }
  const logit = named("overview_logit_mapper");
  mappers.logit = [logit.low, logit.high];
  return {sources, mappers, status: named("explainer-status").text};
}"""


def assert_page_shows(shown: dict, expected: dict) -> None:
    """Every picture-dependent number of the page (read with READ_OVERVIEW) is the oracle's."""
    sources = shown["sources"]
    for name in ["input", *(f"layer:{layer}" for layer in expected["ranges"]["name"])]:
        source = sources["overview_input" if name == "input" else f"overview_{name}"]
        np.testing.assert_allclose(np.asarray(source["image"]),
                                   np.stack([m.ravel() for m in expected[name]["image"]]), atol=1e-5, err_msg=name)
    for column in ("probability", "logit", "bar"):
        np.testing.assert_allclose(sources["overview_output"][column], expected["output"][column], atol=1e-5)
    for column in ("weight", "percent", "label"):
        assert sources["overview_output"][column] == expected["output"][column]
    for mode in MODES:
        np.testing.assert_allclose(sources["overview_ranges"][mode], expected["ranges"][mode], atol=1e-5)
    for column in ("low", "high"):
        np.testing.assert_allclose(sources["overview_neurons"][column], expected["neurons"][column], atol=1e-5)
    assert sources["overview_neurons"]["shape"] == expected["neurons"]["shape"]
    for layer, limits in expected["mappers"].items():
        np.testing.assert_allclose(shown["mappers"][layer], limits, atol=1e-5, err_msg=layer)


def test_the_first_frame_is_the_default_pictures(browser_page):
    """Python embeds placeholders only: the first frame is drawn by fill.js, and equals the oracle."""
    page = open_page(browser_page, PAGE)
    assert_page_shows(page.evaluate(READ_OVERVIEW), overview_data(default_trace()))
    assert_colours_are_the_mappers(page)
    browser_page.assert_clean()


# The overview draws each column of maps as one RGBA image (overview_mosaic) coloured by mode.js:
# each map's block must be what BokehJS's own colour mapper (rgba_mapper, as an image glyph uses it)
# gives for the same map, palette and range, in the map's place, the gaps between maps transparent.
READ_COLOURS = """() => {
  const models = [...Bokeh.documents].flatMap((d) => [...d.all_models]);
  const named = (name) => models.find((m) => m.name === name);
  const arg = (args, key) => (args instanceof Map ? args.get(key) : args[key]);
  const mode = models.find((m) => m.code != null && m.args != null && arg(m.args, "input_mappers") != null);
  const inputMappers = arg(mode.args, "input_mappers");
  const mosaic = named("overview_mosaic");
  const result = {maps: 0, colours: 0, wrong: [], layers: [], drawn: false};
  const seen = new Set();
  mosaic.data.layer.forEach((layer, row) => {
    result.layers.push(layer);
    const source = named(layer === "input" ? "overview_input" : `overview_layer:${layer}`);
    const {image, x, y, dw, dh} = source.data;
    const rgba = mosaic.data.rgba[row];
    const [h, w] = image[0].shape;
    const count = image.length;
    const gap = count > 1 ? (rgba.shape[0] - count * h) / (count - 1) : 0;
    const place = [mosaic.data.x[row] - x[0], mosaic.data.y[row] - y[0], mosaic.data.dw[row] - dw[0],
                   mosaic.data.dh[row] - (y[count - 1] + dh[count - 1] - y[0])];
    if (rgba.shape[1] !== w || gap !== Math.round((y[1] - y[0] - dw[0]) * h / dw[0]) ||
        place.some((e) => Math.abs(e) > 1e-9)) result.wrong.push(`${layer}: shape or place`);
    const bytes = new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength);
    const drawn = new Uint8Array(rgba.length * 4);  // what the mosaic must be: maps and transparent gaps
    image.forEach((map, k) => {
      const mapper = layer === "input" ? inputMappers[k] : named(`overview_mapper:${layer}`);
      const want = mapper.rgba_mapper.v_compute(map);
      if (map.shape.join() !== `${h},${w}`) result.wrong.push(`${layer} ${k}: shape`);
      drawn.set(want, k * (h + gap) * w * 4);
      result.maps += 1;
    });
    bytes.forEach((b, i) => {
      if (b !== drawn[i] && result.wrong.length < 20) result.wrong.push(`${layer} byte ${i}`);
    });
    for (const v of rgba) seen.add(v);
  });
  // the mosaic is drawn (and the map sources are not drawn again under it)
  const renderers = models.filter((m) => m.glyph != null && m.data_source != null);
  const drawing = renderers.filter((r) => r.data_source === mosaic);
  result.drawn = drawing.length === 1 && drawing[0].glyph.type === "ImageRGBA" &&
    drawing[0].glyph.image.field === "rgba" && Bokeh.index.find_one(drawing[0]) != null &&
    !renderers.some((r) => /^overview_(input|layer:)/.test(r.data_source.name || ""));
  result.colours = seen.size;
  return result;
}"""


def assert_colours_are_the_mappers(page) -> None:
    """Every map is drawn in its place with its mapper's colouring of its numbers."""
    shown = page.evaluate(READ_COLOURS)
    t = default_trace()
    assert shown["wrong"] == []
    assert shown["layers"] == ["input", *overview_layers(t)]
    assert shown["maps"] == len(source_column(page, "overview_neurons", "layer")) - t.network.num_classes
    assert shown["drawn"] is True
    assert shown["colours"] > 100  # real pictures, not placeholders


def test_the_maps_colours_are_the_mappers_for_every_range_mode(browser_page):
    page = open_page(browser_page, PAGE)
    t = default_trace()
    layer = overview_layers(t)[0]
    for mode in ("global", "layer", "module", "unit"):
        page.evaluate("(i) => { window.__model('overview_range_mode').active = i; }", MODES.index(mode))
        page.wait_for_timeout(50)
        assert model_value(page, f"overview_mapper:{layer}", "high") == pytest.approx(color_ranges(t, mode)[layer][1])
        assert_colours_are_the_mappers(page)
    browser_page.assert_clean()


def test_a_new_picture_refills_the_overview_like_python(browser_page):
    page = open_page(browser_page, PAGE)
    files = source_column(page, "gallery", "file")
    index = len(files) - 1  # a photo of another class than the default one, with or without the data set
    page.evaluate("(i) => { window.__model('gallery').selected.indices = [i]; }", index)
    page.wait_for_function("() => window.__model('explainer-status').text.startsWith('Showing')")
    expected = overview_data(trace(shipped_network(), prepare_image(base64.b64decode(files[index]))))
    assert_page_shows(page.evaluate(READ_OVERVIEW), expected)
    assert_colours_are_the_mappers(page)
    browser_page.screenshot("overview_after_new_picture")
    browser_page.assert_clean()
