// The zoo overview: the text alternatives of its six charts, for the pinned model and group, the models
// selected in the scatter and the radar lines shown. Every number is a text written in Python.
// Runs when the page is drawn, after every pin (show.js), a new selection, and a line hidden or shown.
// args: scatter, radar, classes, group, disagree, agree (the figures), models, groups, pin,
//       disagree_bars, agree_bars (sources), lines (the radar's lines, one per model), floor (the
//       accuracy at the radar's centre).
const M = models.data;
const G = groups.data;
const m = Number(pin.data.model[0]);
const g = Number(pin.data.group[0]);
const n = M.name.length;
const best = [...Array(n).keys()].sort((a, b) => M.top1[b] - M.top1[a] || (M.name[a] < M.name[b] ? -1 : 1));
const say = (plot, text) => {
  plot.html_attributes = {...plot.html_attributes, "aria-label": text};
};
const names = (indices) => indices.map((i) => M.name[i]).join(", ");

const selected = Array.from(models.selected.indices).sort((a, b) => a - b);
say(scatter,
  `Cost and accuracy of ${n} models, one point per model: multiply-adds per picture (log scale) across, ` +
  `accuracy on the validation pictures up, most accurate first: ` +
  best.map((i) => `${M.name[i]} (${M.family[i]}) ${M.top1_text[i]} with ${M.macs_text[i]} multiply-adds`).join("; ") +
  `. Pinned: ${M.name[m]}.` + (selected.length ? ` Selected: ${names(selected)}.` : ""));

const shown = [...Array(n).keys()].filter((i) => lines[i].visible);
const hidden = [...Array(n).keys()].filter((i) => !lines[i].visible);
say(radar,
  `Accuracy per group of classes, one line per model, from ${Math.round(floor * 100)} % at the centre to ` +
  `100 % at the rim, groups clockwise from the top: ${Array.from(G.name).join(", ")}. ` +
  (shown.length ? `Lines shown: ${shown.map((i) => `${M.name[i]}: ${M.groups_text[i]}`).join("; ")}.` : "No line shown.") +
  (hidden.length ? ` Hidden: ${names(hidden)}.` : "") +
  (selected.length ? ` Selected: ${names(selected)}.` : "") +
  ` Pinned: ${M.name[m]}, and the group ${G.name[g]}.`);

say(classes, `${M.class_title[m]}: ` + Array.from(M.class_order[m]).map((c, k) =>
  `${c} ${M.class_texts[m][k]}` + (M.class_groups[m][k] === G.name[g] ? ` (${G.name[g]})` : "")).join(", ") + ".");
say(group, `${G.title[g]}: ` +
  Array.from(G.model_order[g]).map((name, k) => `${name} ${G.model_texts[g][k]}`).join(", ") + ".");

const D = disagree_bars.data;
say(disagree, `Where the ${n} models disagree, widest range of accuracy first: ` +
  Array.from(D.class_name).map((c, k) => `${c}: ${D.spread_text[k]}, from ${D.lowest[k]} to ${D.highest[k]}`)
    .join("; ") + `. The dots are ${M.name[m]}.`);
const A = agree_bars.data;
say(agree, `Where the ${n} models agree, highest mean accuracy first: ` +
  Array.from(A.class_name).map((c, k) => `${c} ${A.mean_text[k]}`).join(", ") + `. The dots are ${M.name[m]}.`);
