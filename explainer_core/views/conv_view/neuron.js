// Convolutional elastic view: show another neuron of the same layer.
// Runs when the neuron menu changes. Its kernel and bias are the network's, held for every
// neuron (bank_kernel: one column per neuron, named n0, n1, ...); its maps are drawn by the
// view's fill (fill.js) from the trace that fill last drew (kept on the menu), so a neuron
// chosen after a new picture shows that picture.
// args: select, kernel, labels, bank_kernel, meta, describe (the text alternative), fill (the
// view's fill callback), slider.
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const n = select.value;
kernel.data = {...kernel.data, value: bank_kernel.data["n" + n]};
const text = labels.data.text.slice();
for (let i = 0; i < text.length; i++) {
  if (labels.data.kind[i].startsWith("neuron")) {
    text[i] = `${m.layer} \u00b7 neuron ${n}`;
  }
}
labels.data = {...labels.data, text: text};
const trace = select.explainer_trace;
if (trace == null) {
  slider.properties.value.change.emit();  // no picture drawn yet: the window and the kernel only
  describe.execute(select);
} else {
  Promise.resolve(fill.execute(fill, {trace, first: false})).then(() => describe.execute(select));
}
