// Overview: the text alternatives of the heatmaps and of the colour legend, for the current
// picture. Runs when the page is drawn, after a new picture (page.js), and when the legend
// shows another layer or another colour range, or the detail another map (hover.js,
// mode.js, select.js).
// args: plot, legend_plot, detail_plot (the figures), legend (the ColorBar), output (classes,
//       probabilities), ranges (the heatmap layers, in order), detail_source (the enlarged map),
//       meta (picture, network, channels).
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
// the picture's name: given after a new picture, else the one fill.js drew (output.tags, see fill.js)
const shown = output.tags.length ? output.tags[0] : null;
const picture = (cb_data && cb_data.label) || shown || m.picture;
const {signed} = window.ExplainerKit;
const {percent} = window.ExplainerKit;

const layers = ranges.data.name;
const o = output.data;
const order = o.probability.map((_, i) => i).sort((a, b) => o.probability[b] - o.probability[a]);
const next = order.slice(1, 3).map((i) => `${o.label[i]}, ${percent(o.probability[i])}`);
const channels = m.channels === 3 ? "3 colour channels" : `${m.channels} channels`;
plot.html_attributes = {
  ...plot.html_attributes,
  "aria-label":
    `The overview of ${m.network} on ${picture}: the input's ${channels}, then ${layers.length} layers ` +
    `of activation maps from ${layers[0]} to ${layers[layers.length - 1]}, then ${o.label.length} classes. ` +
    `Predicted ${o.label[order[0]]}, ${percent(o.probability[order[0]])}` +
    (next.length ? `; next ${next.join(" and ")}. ` : ". ") +
    "The menu below the overview opens any map's detail.",
};
const {low, high} = legend.color_mapper;
legend_plot.html_attributes = {
  ...legend_plot.html_attributes,
  "aria-label":
    `Colour legend, ${legend.title}: red for negative numbers down to ${signed(low, 2)}, white for zero, ` +
    `blue for positive numbers up to ${signed(high, 2)}.`,
};

if (detail_plot.visible) {
  const map = detail_source.data.image[0];
  const [h, w] = map.shape;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of map) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const name = detail_plot.title.text;
  const colours = name.startsWith("input")
    ? "from white for 0 to full colour for 1"
    : "red for negative numbers, white for zero, blue for positive ones";
  detail_plot.html_attributes = {
    ...detail_plot.html_attributes,
    "aria-label": `${name} on ${picture}, enlarged: a ${w}×${h} map, ${colours}; ` +
      `its numbers go from ${signed(lo, 3)} to ${signed(hi, 3)}.`,
  };
}
