// Overview: which layers share a colour scale (one per layer, unit, module, or global).
// args: mode (the RadioButtonGroup), modes (its labels' keys), ranges (name + one limit column
//       per mode, from explainer_core.arithmetic.scales.color_ranges), mappers (layer -> colour mapper),
//       describe (the text alternatives: the legend's numbers change with the range).
const key = modes[mode.active];
const d = ranges.data;
d.name.forEach((layer, i) => {
  const limit = d[key][i];
  mappers[layer].low = -limit;
  mappers[layer].high = limit;
});
describe.execute(mode);
