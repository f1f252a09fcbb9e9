// Draw the picture's numbers into the overview: for the first frame (cb_data.first, the view's own
// picture, traced in the browser) and after a new picture (page.js runs it with cb_data = {trace, first}).
// The only place these numbers are computed; Python builds the skeleton (positions, names, shapes)
// with placeholders: 1x1 maps, zero ranges, empty texts. tests/view_oracles/overview.py is their
// Python reference, for the tests.
// args: sources (layer -> map source, "input" -> the picture's channels), neurons, output, ranges,
//       mode, apply_mode (the colour-range callback, which also sets the new maps and draws them),
//       output_x, bar (longest bar), logit_mapper, detail, select (the detail's callback),
//       view_picture (the picture, read by page.js).
const {trace} = cb_data;
// the name of the picture drawn, for the text alternatives (describe.js)
output.tags = [cb_data.label || "the picture"];
const {plane, colorRanges} = window.ExplainerKit;
const network = trace.network;

function maps(array) {
  const [h, w, c] = array.shape;
  const like = sources.input.data.image[0];
  return Array.from({length: c}, (_, k) => plane(array.data, h, w, c, k, like));
}

const fresh = {input: maps(trace.image)};
for (const layer of ranges.data.name) fresh[layer] = maps(trace.outputs[layer]);

// Colour ranges of every mode; apply_mode (mode.js, below) gives the mappers the reader's mode's
// and sets the new maps with their colours.
const limits = {name: ranges.data.name};
for (const key of ["layer", "unit", "module", "global"]) {
  const r = colorRanges(trace, key);
  limits[key] = ranges.data.name.map((layer) => r[layer][1]);
}
ranges.data = limits;

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
    shape[i] = `${network.className(k)}: p = ${window.ExplainerKit.fmt(probabilities[k])}`;
  } else {
    const map = fresh[n.layer[i]][k];
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < map.length; j++) {
      const v = map[j];
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
  percent: probabilities.map(window.ExplainerKit.percent),
  bar: probabilities.map((p) => output_x + bar * p / largest),
  weight: probabilities.map((_, i) => (i === trace.predictedClass ? "bold" : "normal")),
};
const logitLimit = Math.max(...logits.map(Math.abs)) || 1;
logit_mapper.low = -logitLimit;
logit_mapper.high = logitLimit;

// (CustomJS code is not an async function: return the promise so page.js waits for it.)
return apply_mode.execute(mode, {images: fresh}).then(() => (detail.visible ? select.execute(neurons) : undefined));
