// The picture's numbers in the convolutional elastic view, the only place they are computed
// (run by page.js with cb_data = {trace, ...}: for the view's own picture when the page is drawn,
// and after the reader chooses a new one; and by neuron.js, with the same trace, for another neuron).
// Writes the input channels, the intermediate results plus the output map of the neuron the
// menu shows, and the colour ranges (map_mapper's: explainer_core.arithmetic.scales.color_ranges,
// "unit"). Kernel, bias, edges and labels belong to the network and stay. The window stays where
// the reader left it; the readout is written by running the slider's own callback
// (conv_view/position.js), whose promise page.js waits for.
// tests/view_oracles/conv_view.py is an independent Python reference of what this writes.
// args: inputs, maps (sources), select (the neuron menu or null), input_mappers (one per drawn
// input renderer), map_mapper, position (the slider's callback), slider, meta (layer, neuron).
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const {trace} = cb_data;
const network = trace.network;
const index = network.layerNames.indexOf(m.layer);
const step = network.layers[index];
const previous = index > 0 ? network.layers[index - 1].name : null;
const x = index === 0 ? trace.image : trace.outputs[previous];
const [height, width, channels] = step.inputShape;
const [outH, outW, filters] = step.outputShape;
const {grid, plane} = window.ExplainerKit;

// The new colour ranges first, quietly: each map is then coloured once, when its image changes
// just below (presetRanges). The input's range is the image's own, or the previous layer's.
const ranges = window.ExplainerKit.colorRanges(trace, "unit");
const inRange = window.ExplainerKit.inputRange(x.data, channels, index > 0 ? ranges[previous] : null);
window.ExplainerKit.presetRanges([...input_mappers.map((mapper) => [mapper, inRange]), [map_mapper, ranges[m.layer]]]);

const likeInput = inputs.data.image[0];
const likeMap = maps.data.image[0];
const images = [];
for (let c = 0; c < channels; c++) images.push(plane(x.data, height, width, channels, c, likeInput));

// every intermediate result of the neuron (trace.intermediates: (F, C, H', W')), then its output map
const neuron = select != null ? Number(select.value) : m.neuron;
const positions = outH * outW;
const parts = trace.intermediates[m.layer].data;
const rows = [];
for (let c = 0; c < channels; c++) {
  const out = grid(likeMap, outH, outW);
  out.set(parts.subarray((neuron * channels + c) * positions, (neuron * channels + c + 1) * positions));
  rows.push(out);
}
rows.push(plane(trace.outputs[m.layer].data, outH, outW, filters, neuron, likeMap));
// every image coloured once, each mapper's palette converted once (ExplainerKit.colourOnce)
window.ExplainerKit.colourOnce([...input_mappers, map_mapper], () => {
  inputs.data = {...inputs.data, image: images};
  maps.data = {...maps.data, image: rows};
});

// the trace the menu draws its other neurons from (neuron.js runs this fill again with it)
if (select != null) select.explainer_trace = trace;

return position.execute(slider);  // the window and the readout, with these numbers
