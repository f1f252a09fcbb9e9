// Convolutional elastic view: show another neuron of the same layer.
// Runs when the neuron menu changes. The page holds every neuron's intermediate results,
// output map, kernel and bias (bank_maps, bank_kernel: one column per neuron, named n0,
// n1, ...); this swaps the chosen neuron's columns into the sources the glyphs draw.
// args: select, maps, kernel, labels, slider, bank_maps, bank_kernel, meta, describe (the text alternative).
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const n = select.value;
maps.data = {...maps.data, image: bank_maps.data["n" + n]};
kernel.data = {...kernel.data, value: bank_kernel.data["n" + n]};
const text = labels.data.text.slice();
for (let i = 0; i < text.length; i++) {
  if (labels.data.kind[i].startsWith("neuron")) {
    text[i] = `${m.layer} \u00b7 neuron ${n}`;
  }
}
labels.data = {...labels.data, text: text};
slider.properties.value.change.emit();  // redraw the window and the numbers under the view
describe.execute(select);
