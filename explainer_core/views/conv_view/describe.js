// Convolutional elastic view: the figure's text alternative, for the current picture and neuron.
// Runs when the page is drawn, after a new picture (page.js) and after another neuron is chosen
// (neuron.js).
// args: plot, maps (intermediate results, then the output map), kernel (weights, then the bias),
//       select (the neuron menu, or null), meta (picture, layer, neuron, inputs (the channels'
//       names), channels, in_h, in_w, kh, kw, marked (whether the kernel cells carry their signs)).
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const page = window.ExplainerPage;
const picture = (cb_data && cb_data.label) || (page && page.state.last ? page.state.last.label : null) || m.picture;
const {signed} = window.ExplainerKit;
const neuron = select != null ? select.value : m.neuron;
const images = maps.data.image;
const output = images[images.length - 1];
const [h, w] = output.shape;
let lo = Infinity;
let hi = -Infinity;
for (const v of output) {
  if (v < lo) lo = v;
  if (v > hi) hi = v;
}
const values = kernel.data.value;
const bias = values[values.length - 1];
let negative = 0;
for (let i = 0; i < values.length - 1; i++) if (values[i] < 0) negative += 1;
const n = m.channels;
plot.html_attributes = {
  ...plot.html_attributes,
  "aria-label":
    `How ${m.layer} \u00b7 neuron ${neuron} computes its ${h}×${w} output map on ${picture}. ` +
    `Each of its ${n} input ${n === 1 ? "channel" : "channels"} (${m.inputs}, ${m.in_h}×${m.in_w}) is convolved ` +
    `with its own ${m.kh}×${m.kw} kernel slice into an intermediate result; the ${n} intermediate ` +
    `${n === 1 ? "result" : "results"} plus the bias ${signed(bias, 3)} add up to the output, whose numbers go ` +
    `from ${signed(lo, 3)} to ${signed(hi, 3)}. Of the kernel's ${values.length - 1} weights, ${negative} ` +
    (m.marked ? "are negative (marked \u2212 on the kernel) and the rest positive (marked +)." : "are negative."),
};
