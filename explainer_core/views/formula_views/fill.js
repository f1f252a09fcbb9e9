// The picture's numbers in a formula view (convolution, ReLU or max pooling), the only place
// they are computed (run by page.js with cb_data = {trace, ...}: for the view's own picture when
// the page is drawn, and after the reader chooses a new one). Writes:
//   conv:          input = input channel meta.channel, output = its intermediate result with
//                  neuron meta.neuron's kernel slice, sums = every channel's intermediate result
//                  of that neuron, then its output map (the kernel source holds weights: it stays);
//   relu, maxpool: input = map meta.neuron before the step, output = the same map after it.
// The colour mappers (shared by the heatmaps and the zoom) take the ranges map_mapper gives
// the trace, and so do the zoom cells' lo/hi columns. The window stays where the reader left
// it (on the first frame: where the view was built to start): running the slider's own callback
// (position.js) draws it and writes the zoom and the formula; page.js waits for its promise.
// tests/view_oracles/formula_views.py is an independent Python reference of what this writes.
// args: src_in, src_out, sums (conv only, else null), zoom (zoom cells), in_mapper, out_mapper,
// numbers_in, numbers_out (sources of the numbers written on small heatmaps, or null),
// position (the slider's callback), slider, meta (kind, layer, neuron, channel).
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const {trace} = cb_data;
const {index, step, previous, x} = window.ExplainerKit.stepInput(trace, m.layer);
const [height, width, channels] = step.inputShape;
const [outH, outW, depth] = step.outputShape;
const {fmt} = window.ExplainerKit;

const {grid, plane, colourRgba} = window.ExplainerKit;
const unitRanges = () => window.ExplainerKit.colorRanges(trace, "unit");

// the range map_mapper gives the input of this step: the image's own, or the previous layer's
const inputRange = (ranges) => window.ExplainerKit.inputRange(x.data, channels, index > 0 ? ranges[previous] : null);

// The new colour ranges first, quietly: the heatmaps are coloured with them below, and the zoom's
// cells when position.js rewrites them (page.js, presetRanges).
const ranges = unitRanges();
const inRange = inputRange(ranges);
const outRange = ranges[m.layer];
window.ExplainerKit.presetRanges([[in_mapper, inRange], [out_mapper, outRange]]);

const likeIn = src_in.data.image[0];
const likeOut = src_out.data.image[0];
let imageIn;
let imageOut;
if (m.kind === "conv") {
  const positions = outH * outW;
  const parts = trace.intermediates[m.layer].data;  // (F, C, H', W')
  const rows = [];
  for (let c = 0; c < channels; c++) {
    const out = grid(likeOut, outH, outW);
    out.set(parts.subarray((m.neuron * channels + c) * positions, (m.neuron * channels + c + 1) * positions));
    rows.push(out);
  }
  rows.push(plane(trace.outputs[m.layer].data, outH, outW, depth, m.neuron, likeOut));
  imageIn = plane(x.data, height, width, channels, m.channel, likeIn);
  imageOut = grid(likeOut, outH, outW);
  imageOut.set(rows[m.channel]);
  // no glyph draws sums (position.js reads them for the formula): written quietly
  sums.setv({data: {...sums.data, image: rows}}, {silent: true});
} else {
  imageIn = plane(x.data, height, width, channels, m.neuron, likeIn);
  imageOut = plane(trace.outputs[m.layer].data, outH, outW, depth, m.neuron, likeOut);
}
// the numbers (image) and their colours as drawn (rgba: the mappers' colours, ExplainerKit.colourRgba;
// BokehJS maps no heatmap to colours)
const rgbaIn = colourRgba(in_mapper, imageIn, grid(src_in.data.rgba[0], height, width));
const rgbaOut = colourRgba(out_mapper, imageOut, grid(src_out.data.rgba[0], outH, outW));
src_in.data = {...src_in.data, image: [imageIn], rgba: [rgbaIn]};
src_out.data = {...src_out.data, image: [imageOut], rgba: [rgbaOut]};
for (const [numbers, image] of [[numbers_in, imageIn], [numbers_out, imageOut]]) {
  if (numbers != null) numbers.data = {...numbers.data, text: Array.from(image, fmt)};
}

// the zoom's cells keep their mapper's range beside them (position.js picks text colours by
// it). Written quietly: position.js, run below, writes the zoom's data again, and that
// redraws the cells once, with the new ranges and numbers.
const z = zoom.data;
const lo = Array.from(z.lo);
const hi = Array.from(z.hi);
for (let k = 0; k < z.role.length; k++) {
  const role = z.role[k];
  const range = role === "window" || role === "near_in" ? inRange
    : role === "result" || role === "near_out" ? outRange : null;
  if (range != null) [lo[k], hi[k]] = range;
}
zoom.setv({data: {...z, lo: lo, hi: hi}}, {silent: true});

return position.execute(slider);  // the zoom and the formula, with the new numbers at the current window
