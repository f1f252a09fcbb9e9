// Refill the convolutional elastic view for a new picture (run by page.js, cb_data = {trace, ...}).
// Writes what conv_elastic_data in explainer_core/views/conv_view.py puts in the sources:
// the input channels, and the intermediate results plus the output map of the neuron the
// reader has chosen (of every neuron, when the page holds the neuron menu's bank). Kernel,
// bias, edges and labels belong to the network, not the picture, and stay. The colour
// ranges follow the new numbers (map_mapper, explainer_core.arithmetic.scales.color_ranges, "unit").
// The window stays where the reader left it; the readout is rewritten by running the
// slider's own callback (conv_elastic_position.js), whose promise page.js waits for.
// args: inputs, maps (sources), bank_maps (null without the neuron menu), select (menu or
// null), input_mappers (one per drawn input renderer), map_mapper, position (the slider's
// callback), slider, meta (layer, neuron).
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
const unitRanges = () => window.ExplainerKit.colorRanges(trace, "unit");

// the range map_mapper gives the input of this step: the image's own, or the previous layer's
const inputRange = (ranges) => window.ExplainerKit.inputRange(x.data, channels, index > 0 ? ranges[previous] : null);

const likeInput = inputs.data.image[0];
const likeMap = maps.data.image[0];
const positions = outH * outW;
const parts = trace.intermediates[m.layer].data;  // (F, C, H', W')
const output = trace.outputs[m.layer].data;      // (H', W', F)

// every intermediate result of neuron n, then its output map (the maps source's rows)
function mapsOf(n) {
  const rows = [];
  for (let c = 0; c < channels; c++) {
    const out = grid(likeMap, outH, outW);
    out.set(parts.subarray((n * channels + c) * positions, (n * channels + c + 1) * positions));
    rows.push(out);
  }
  rows.push(plane(output, outH, outW, filters, n, likeMap));
  return rows;
}

// The new colour ranges first, quietly: each map is then coloured once, when its image changes
// just below (page.js, presetRanges).
const ranges = unitRanges();
const inRange = inputRange(ranges);
window.ExplainerKit.presetRanges([...input_mappers.map((mapper) => [mapper, inRange]), [map_mapper, ranges[m.layer]]]);

const neuron = select != null ? Number(select.value) : m.neuron;
const images = [];
for (let c = 0; c < channels; c++) images.push(plane(x.data, height, width, channels, c, likeInput));
inputs.data = {...inputs.data, image: images};
if (bank_maps != null) {
  const bank = {};
  for (let n = 0; n < filters; n++) bank["n" + n] = mapsOf(n);
  bank_maps.data = bank;
  maps.data = {...maps.data, image: bank["n" + neuron]};
} else {
  maps.data = {...maps.data, image: mapsOf(neuron)};
}

return position.execute(slider);  // the readout, with the new numbers at the current window
