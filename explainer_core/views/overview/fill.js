// Draw the picture's numbers into the overview: for the first frame (cb_data.first, the view's own
// picture, traced in the browser) and after a new picture (page.js runs it with cb_data = {trace, first}).
// The only place these numbers are computed; Python builds the skeleton (positions, names, shapes)
// with placeholders: 1x1 maps, zero ranges, empty texts. tests/view_oracles/overview.py is their
// Python reference, for the tests.
// args: sources (layer -> map source, "input" -> the picture's channels), neurons, output, ranges,
//       mode, apply_mode (the colour-range callback), output_x, bar (longest bar), logit_mapper, detail,
//       select (the detail's callback), view_picture (the picture, read by page.js).
const {trace} = cb_data;
// the name of the picture drawn, for the text alternatives (describe.js)
output.tags = [cb_data.label || "the picture"];
const {plane, colorRanges, presetRanges, colourOnce} = window.ExplainerKit;
const network = trace.network;

function maps(array) {
  const [h, w, c] = array.shape;
  const like = sources.input.data.image[0];
  return Array.from({length: c}, (_, k) => plane(array.data, h, w, c, k, like));
}

const fresh = {input: maps(trace.image)};
for (const layer of ranges.data.name) fresh[layer] = maps(trace.outputs[layer]);

// Colour ranges of every mode. The reader's current mode gives the mappers their new ranges before
// the maps change, so that each map is coloured once (apply_mode, below, then finds them set).
const limits = {name: ranges.data.name};
for (const key of ["layer", "unit", "module", "global"]) {
  const r = colorRanges(trace, key);
  limits[key] = ranges.data.name.map((layer) => r[layer][1]);
}
ranges.data = limits;
const {modes, mappers} = apply_mode.args;
const current = limits[modes[mode.active]];
presetRanges(limits.name.map((layer, i) => [mappers[layer], [-current[i], current[i]]]));

// Heatmaps: only the images change; positions stay.
colourOnce(Object.values(mappers), () => {
  for (const [layer, images] of Object.entries(fresh)) {
    sources[layer].data = {...sources[layer].data, image: images};
  }
});

// The neurons' tooltips: the range of each map, and each class's probability.
const probabilities = Array.from(trace.probabilities.data);
const logits = Array.from(trace.logits.data);
const n = neurons.data;
const low = n.low.slice();
const high = n.high.slice();
const shape = n.shape.slice();
for (let i = 0; i < n.layer.length; i++) {
  const k = n.neuron[i];
  if (n.kind[i] === "output") {
    low[i] = high[i] = logits[k];
    shape[i] = `${network.className(k)}: p = ${probabilities[k].toFixed(3)}`;
  } else {
    const map = fresh[n.layer[i]][k];
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of map) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    low[i] = lo;
    high[i] = hi;
  }
}
neurons.data = {...n, low, high, shape};

// The output column.
const largest = Math.max(...probabilities);
output.data = {
  ...output.data,
  logit: logits,
  probability: probabilities,
  percent: probabilities.map((p) => `${(100 * p).toFixed(1)} %`),
  bar: probabilities.map((p) => output_x + bar * p / largest),
  weight: probabilities.map((_, i) => (i === trace.predictedClass ? "bold" : "normal")),
};
const logitLimit = Math.max(...logits.map(Math.abs)) || 1;
logit_mapper.low = -logitLimit;
logit_mapper.high = logitLimit;

// (CustomJS code is not an async function: return the promise so page.js waits for it.)
return apply_mode.execute(mode).then(() => (detail.visible ? select.execute(neurons) : undefined));
