// Flatten elastic view: the figure's text alternative, for the current picture. (What the edges
// of the hovered unit show is in the readout under the figure, which screen readers read as it is.)
// Runs when the page is drawn and after a new picture (page.js).
// args: plot, units (the flatten units' values), targets (the dense layer's values), meta (picture,
//       source, dense (layer names), channels, height, wide, is_logit, labels (output names)).
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const page = window.ExplainerPage;
const picture = (cb_data && cb_data.label) || (page && page.state.last ? page.state.last.label : null) || m.picture;
const {signed} = window.ExplainerKit;
const values = units.data.value;
let zeros = 0;
for (const v of values) if (v === 0) zeros += 1;
const t = targets.data.value;
let best = 0;
for (let k = 1; k < t.length; k++) if (t[k] > t[best]) best = k;
const count = values.length.toLocaleString("en-US");
const what = m.is_logit ? "logits" : "units";
plot.html_attributes = {
  ...plot.html_attributes,
  "aria-label":
    `The flatten layer on ${picture}: the ${m.channels} activation maps of ${m.source}, ${m.height}×${m.wide} ` +
    `each, read row by row into one vector of ${count} units (${zeros.toLocaleString("en-US")} of them zero), ` +
    `each connected by a weight to every one of the ${t.length} ${what} of ${m.dense}. The largest is ` +
    `${m.labels[best]}, ${m.is_logit ? "logit " : ""}${signed(t[best], 3)}.`,
};
