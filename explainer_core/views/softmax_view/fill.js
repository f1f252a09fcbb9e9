// Fill the softmax formula view with a picture's numbers (run by page.js, cb_data = {trace, ..., first}):
// once the page is drawn, with the trace of the picture the view was built for (first: true),
// then after every new picture. The only owner of these numbers: Python builds placeholders.
// Writes the classes source's logits, probabilities, e^z (double precision), their texts and the
// bars' ends; the circles' orange scale runs from the smallest to the largest logit (as
// explainer_core.arithmetic.scales.target_range). A class the reader clicked stays chosen;
// otherwise the equation follows the prediction. Then `draw` (draw.js) writes the equation.
// (softmax_data in tests/view_oracles/softmax_view.py is an independent Python reference of these
// numbers, which the browser tests use.)
// args: classes, choice (sources), mapper (the circles' colours), draw (CustomJS), meta (bar_x, bar_len).
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const {trace} = cb_data;
const {fmt, sig} = window.ExplainerKit;
const logits = Array.from(trace.logits.data);
const probabilities = Array.from(trace.probabilities.data);
const exps = logits.map((z) => Math.exp(z));
let lo = Math.min(...logits);
let hi = Math.max(...logits);
if (!(hi > lo)) [lo, hi] = [lo - 1, hi + 1];
// The circles' range and the table's numbers are written quietly: draw.js, run below, writes the
// classes source again (the chosen class), which redraws the table once, with the new range
// (ExplainerKit.presetRanges) and numbers, instead of once per range end and once per write.
window.ExplainerKit.presetRanges([[mapper, [lo, hi]]]);
classes.setv({data: {
  ...classes.data,
  logit: logits,
  probability: probabilities,
  exp: exps,
  logit_text: logits.map(fmt),
  exp_text: exps.map(sig),
  prob_text: probabilities.map(fmt),
  right: probabilities.map((p) => m.bar_x + p * m.bar_len),
}}, {silent: true});
if (choice.data.kind[0] !== "pinned") {
  let best = 0;
  for (let k = 1; k < probabilities.length; k++) if (probabilities[k] > probabilities[best]) best = k;
  choice.data = {kind: ["auto"], index: [best]};
}
return draw.execute(choice);  // writes classes.data (the table is redrawn then) and the equation; page.js waits
