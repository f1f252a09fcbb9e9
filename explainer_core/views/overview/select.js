// Overview: clicking a neuron opens its detail below: the map enlarged, and where it is explained.
// The detail says in words what the map shows (its size and its smallest and largest number),
// and so does the enlarged map's text alternative (describe.js), for readers who cannot hover.
// args: neurons, sources (layer -> map source; "input" for the picture's channels), mappers,
//       input_mappers, detail (the row), detail_source, detail_mapper, detail_plot, detail_text,
//       chapters (kind -> [page, title]), output (the output column's source), describe.
const picked = neurons.selected.indices;
const {signed} = window.ExplainerKit;
if (!picked.length) {
  detail.visible = false;
} else {
  const d = neurons.data;
  const k = picked[0];
  const layer = d.layer[k];
  const kind = d.kind[k];
  const neuron = d.neuron[k];
  const [page, title] = chapters[kind];
  const link = `<a href="${page}">${title}</a>`;
  if (kind === "output") {
    const p = output.data.probability[neuron];
    const z = output.data.logit[neuron];
    detail_plot.visible = false;
    detail_text.text = `<b>output</b>, class <b>${output.data.label[neuron]}</b>: logit ${signed(z, 3)}, ` +
      `probability ${window.ExplainerKit.percent(p)}. How it is computed: ${link}.`;
  } else {
    const map = sources[layer].data.image[neuron];
    const [h, w] = map.shape;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of map) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const mapper = kind === "input" ? input_mappers[neuron] : mappers[layer];
    detail_mapper.palette = mapper.palette;
    detail_mapper.low = mapper.low;
    detail_mapper.high = mapper.high;
    detail_source.data = {image: [map], x: [0], y: [0], dw: [w], dh: [h]};
    detail_plot.x_range.end = w;
    detail_plot.y_range.start = h;
    detail_plot.title.text = kind === "input" ? `input, channel ${neuron}` : `${layer}, neuron ${neuron}`;
    detail_plot.visible = true;
    const what = {input: "an input channel", conv: "a convolution map", relu: "a ReLU map",
                  maxpool: "a max pooling map"}[kind];
    const name = kind === "input" ? `<b>input</b>, channel ${neuron}` : `<b>${layer}</b>, neuron ${neuron}`;
    const range = `its numbers go from ${signed(lo, 3)} to ${signed(hi, 3)}`;
    detail_text.text = `${name}: ${what}, ${w}×${h}; ${range}. ` +
      `Hover over it to read single numbers. How it is computed: ${link}.`;
  }
  detail.visible = true;
}
describe.execute(neurons);  // the enlarged map's text alternative
