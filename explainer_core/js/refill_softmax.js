// Refill the softmax formula view for a new picture (run by page.js, cb_data = {trace, ...}).
// Writes what softmax_data in explainer_core/views/softmax_view.py puts in the classes source:
// logits, probabilities, e^z (double precision), their texts and the bars' ends; the circles'
// orange scale runs from the new smallest to the new largest logit (target_range). A class the
// reader clicked stays chosen; otherwise the equation follows the new prediction. Then `draw`
// (softmax_draw.js) rewrites the equation.
// args: classes, choice (sources), mapper (the circles' colours), draw (CustomJS), meta (bar_x, bar_len).
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const {trace} = cb_data;
const fmt = (v) => {
  const s = Number(v).toFixed(3);
  return (s === "-0.000" ? "0.000" : s).replace("-", "\u2212");
};
const logits = Array.from(trace.logits.data);
const probabilities = Array.from(trace.probabilities.data);
const exps = logits.map((z) => Math.exp(z));
// the same four significant digits as softmax_draw.js (which owns sig); recomputed there for the equation
const sig = (v) => {
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return v > 0 ? "\u221e" : "\u2212\u221e";
  const a = Math.abs(v);
  const sign = v < 0 ? "\u2212" : "";
  if (a >= 1e-3 && a < 1e5) return sign + a.toFixed(Math.max(0, 3 - Math.floor(Math.log10(a))));
  const sup = {"-": "\u207b", 0: "\u2070", 1: "\u00b9", 2: "\u00b2", 3: "\u00b3", 4: "\u2074",
    5: "\u2075", 6: "\u2076", 7: "\u2077", 8: "\u2078", 9: "\u2079"};
  let exponent = Math.floor(Math.log10(a));
  let mantissa = (a / 10 ** exponent).toFixed(3);
  if (mantissa === "10.000") {
    exponent += 1;
    mantissa = "1.000";
  }
  return `${sign}${mantissa}\u00d710${String(exponent).split("").map((d) => sup[d]).join("")}`;
};
classes.data = {
  ...classes.data,
  logit: logits,
  probability: probabilities,
  exp: exps,
  logit_text: logits.map(fmt),
  exp_text: exps.map(sig),
  prob_text: probabilities.map(fmt),
  right: probabilities.map((p) => m.bar_x + p * m.bar_len),
};
let lo = Math.min(...logits);
let hi = Math.max(...logits);
if (!(hi > lo)) [lo, hi] = [lo - 1, hi + 1];
mapper.low = lo;
mapper.high = hi;
if (choice.data.kind[0] !== "pinned") {
  let best = 0;
  for (let k = 1; k < probabilities.length; k++) if (probabilities[k] > probabilities[best]) best = k;
  choice.data = {kind: ["auto"], index: [best]};
}
draw.execute(choice);
