// Fill the flatten elastic view with a picture's numbers (run by page.js, cb_data = {trace, ..., first}):
// once the page is drawn, with the trace of the picture the view was built for (first: true), then
// after every new picture. The only owner of these numbers: Python builds placeholders. Writes the
// maps of the step before the flatten layer, the flatten units' values, and the dense layer's
// outputs (logits) with their probabilities and texts. Positions, weights and labels belong to the
// network and stay. The colour ranges follow the numbers (as explainer_core.arithmetic.scales's
// color_ranges for the source layer, and target_range). A focus the reader chose by hovering stays;
// the automatic one moves to the largest output (the predicted class). Then `draw` (focus.js) draws
// the edges and the readout. (flatten_data in tests/view_oracles/flatten_view.py is an independent
// Python reference of these numbers, which the browser tests use.)
// args: maps, units, targets, focus (sources), activation, target_mapper (colour mappers),
// draw (CustomJS), meta (names and sizes from the view).
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const {trace} = cb_data;
const network = trace.network;
const {fmt} = window.ExplainerKit;

const flattenAt = network.layers.findIndex((s) => s.kind === "flatten");
const source = flattenAt > 0 ? trace.outputs[network.layers[flattenAt - 1].name] : trace.image;
const dense = network.layers[flattenAt + 1];
const [height, wide, channels] = source.shape;

// the dense layer's outputs
const values = Array.from(trace.outputs[dense.name].data);

// colour ranges: source_range (the source layer's own range) and target_range, given first,
// quietly, so that the maps and the output units are coloured once, as their data change below
// (page.js, presetRanges)
const ranges = window.ExplainerKit.colorRanges(trace, "layer");
let range = ranges[m.source];
if (range == null) {
  let largest = 0;
  for (const v of source.data) largest = Math.max(largest, Math.abs(v));
  range = [-(largest || 1e-6), largest || 1e-6];
}
let lo = Math.min(...values);
let hi = Math.max(...values);
if (!m.is_logit) {
  const limit = Math.max(Math.abs(lo), Math.abs(hi)) || 1e-6;
  [lo, hi] = [-limit, limit];
} else if (!(hi > lo)) {
  [lo, hi] = [lo - 1, hi + 1];
}
window.ExplainerKit.presetRanges([[activation, range], [target_mapper, [lo, hi]]]);

// the maps, top row first, and the flatten units (the input of the dense layer), each palette
// converted once (ExplainerKit.colourOnce)
const {plane} = window.ExplainerKit;
const like = maps.data.image[0];
const images = [];
for (let c = 0; c < channels; c++) images.push(plane(source.data, height, wide, channels, c, like));
window.ExplainerKit.colourOnce([activation], () => {
  maps.data = {...maps.data, image: images};
  units.data = {...units.data, value: Float32Array.from(trace.flattened.data)};
});

// the probabilities, when the dense layer's outputs are the logits; written quietly: `draw`, run
// below, writes the targets again (the focus), which redraws them once, with these numbers
const probabilities = m.is_logit ? Array.from(trace.probabilities.data) : values.map(() => 0);
const numbers = m.numbers;  // room under each output unit to write its numbers
targets.setv({data: {
  ...targets.data,
  value: values,
  probability: probabilities,
  value_text: values.map((v) => (numbers ? (m.is_logit ? `z = ${fmt(v)}` : fmt(v)) : "")),
  prob_text: probabilities.map((p) => (numbers && m.is_logit ? `p = ${fmt(p)}` : "")),
}}, {silent: true});

if (focus.data.kind[0] === "auto") {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k] > values[best]) best = k;
  focus.data = {kind: ["auto"], index: [best]};
}
return draw.execute(focus);  // the edges, outlines and readout, and the targets' new numbers; page.js waits
