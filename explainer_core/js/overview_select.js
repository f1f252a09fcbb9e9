// Overview: clicking a neuron opens its detail below: the map enlarged, and where it is explained.
// args: neurons, sources (layer -> map source; "input" for the picture's channels), mappers,
//       input_mappers, detail (the row), detail_source, detail_mapper, detail_plot, detail_text,
//       chapters (kind -> [page, title]), output (the output column's source).
const picked = neurons.selected.indices;
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
    detail_text.text = `<b>output</b>, class <b>${output.data.label[neuron]}</b>: logit ${z.toFixed(3)}, ` +
      `probability ${(100 * p).toFixed(1)} %. How it is computed: ${link}.`;
  } else {
    const map = sources[layer].data.image[neuron];
    const [h, w] = map.shape;
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
    detail_text.text = `${name}: ${what}, ${w}×${h}. ` +
      `Hover over it to read its numbers. How it is computed: ${link}.`;
  }
  detail.visible = true;
}
