// Overview: hovering a neuron draws its edges to the neurons it reads from.
// args: neurons (one row per neuron: x, y, column, neuron, layer, one_to_one), edges (multi_line
//       source), highlight (outline source), cell (heatmap size), legend, mappers (layer -> mapper),
//       describe (the text alternatives, rewritten when the legend shows another layer).
const hovered = cb_data.index.indices;
if (!hovered.length) {
  edges.data = {xs: [], ys: []};
  highlight.data = {x: [], y: []};
} else {
  const d = neurons.data;
  const k = hovered[0];
  const xs = [];
  const ys = [];
  for (let i = 0; i < d.x.length; i++) {
    if (d.column[i] !== d.column[k] - 1) continue;
    if (d.one_to_one[k] && d.neuron[i] !== d.neuron[k]) continue;
    xs.push([d.x[i] + cell / 2, d.x[k] - cell / 2]);
    ys.push([d.y[i], d.y[k]]);
  }
  edges.data = {xs, ys};
  highlight.data = {x: [d.x[k]], y: [d.y[k]]};
  if (mappers[d.layer[k]] && legend.color_mapper !== mappers[d.layer[k]]) {
    legend.color_mapper = mappers[d.layer[k]];
    legend.title = `activation, ${d.layer[k]}`;
    describe.execute(legend);
  }
}
