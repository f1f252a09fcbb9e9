// The picture's numbers in the convolutional elastic view, the only place they are computed
// (run by page.js with cb_data = {trace, ...}: for the view's own picture when the page is drawn,
// and after the reader chooses a new one; and by neuron.js, with the same trace, for another neuron).
// Writes the input channels, the intermediate results plus the output map of the neuron the
// menu shows, and the colour ranges (map_mapper's: explainer_core.arithmetic.scales.color_ranges,
// "unit"). Kernel, bias, edges and labels belong to the network and stay. The window stays where
// the reader left it; the readout is written by running the slider's own callback
// (conv_view/position.js), whose promise page.js waits for.
// tests/view_oracles/conv_view.py is an independent Python reference of what this writes.
// args: inputs, maps (sources), select (the neuron menu or null), input_mappers (one per channel
// of a colour picture, else one for all), map_mapper, position (the slider's callback), slider, meta (layer, neuron).
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const {trace} = cb_data;
const {index, step, previous, x} = window.ExplainerKit.stepInput(trace, m.layer);
const [height, width, channels] = step.inputShape;
const [outH, outW, filters] = step.outputShape;
const {grid, plane, colourRgba} = window.ExplainerKit;

// The new colour ranges (quietly: no glyph colours with the mappers, fill colours the maps with them
// below). The input's range is the image's own, or the previous layer's.
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
// the numbers (image: hover, readout) and their colours as drawn (rgba: the mappers' colours,
// ExplainerKit.colourRgba, each palette converted once; BokehJS maps no image to colours)
const likeInRgba = inputs.data.rgba[0];
const likeMapRgba = maps.data.rgba[0];
const inputRgba = images.map((image, c) =>
  colourRgba(input_mappers[input_mappers.length > 1 ? c : 0], image, grid(likeInRgba, height, width)));
const mapRgba = rows.map((image) => colourRgba(map_mapper, image, grid(likeMapRgba, outH, outW)));
inputs.data = {...inputs.data, image: images, rgba: inputRgba};
maps.data = {...maps.data, image: rows, rgba: mapRgba};

// the trace the menu draws its other neurons from (neuron.js runs this fill again with it)
if (select != null) select.explainer_trace = trace;

return position.execute(slider);  // the window and the readout, with these numbers
