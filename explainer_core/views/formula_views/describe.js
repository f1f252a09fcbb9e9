// Formula views (convolution, ReLU, max pooling): the heatmaps' text alternatives, for the
// current picture: each heatmap's title and the range of its numbers. (The numbers under the
// window are in the formula's own text, which screen readers read as it is.)
// Runs when the page is drawn and after a new picture (page.js).
// args: plot_in, plot_out (the heatmaps), plot_zoom (the numbers under the window), src_in, src_out
//       (the heatmaps' sources), meta (picture).
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const page = window.ExplainerPage;
const picture = (cb_data && cb_data.label) || (page && page.state.last ? page.state.last.label : null) || m.picture;
const {signed} = window.ExplainerKit;
for (const [plot, source] of [[plot_in, src_in], [plot_out, src_out]]) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of source.data.image[0]) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  plot.html_attributes = {
    ...plot.html_attributes,
    "aria-label": `${plot.title.text}, on ${picture}: its numbers go from ${signed(lo, 3)} to ${signed(hi, 3)}.`,
  };
}
plot_zoom.html_attributes = {
  ...plot_zoom.html_attributes,
  "aria-label": `The numbers under the window on ${picture}, written out; the formula below reads the same numbers.`,
};
