// Softmax formula view: write the equation for the chosen class.
// Run after a click on a class (choose.js) and after a new picture (fill.js).
// Writes the texts Python leaves empty (tests/view_oracles/softmax_view.py is their reference): the left
// side p(class) =, the numerator e^{z_k}, every denominator term e^{z_j}, then e^{z_k} and the
// sum of all e^{z_j} (double precision, four significant digits) and the probability; in the
// table, the chosen class's name is bold. Positions never change (Python's), only texts.
// args: classes, terms (sources), choice (kind, index).
const k = Number(choice.data.index[0]);
const c = classes.data;
const {fmt, sig} = window.ExplainerKit;

const n = c.logit.length;
const t = terms.data;
const text = Array.from(t.text);
const sup = Array.from(t.sup);
const cls = Array.from(t.cls);
let term = 0;
let value = 0;
let total = 0;
for (let j = 0; j < n; j++) total += c.exp[j];
for (let i = 0; i < text.length; i++) {
  const role = t.role[i];
  if (role === "lhs") {
    text[i] = `p(${c.name[k]}) =`;
  } else if (role === "term") {
    const j = term === 0 ? k : term - 1; // the numerator comes first, then the denominator's terms
    sup[i] = fmt(c.logit[j]);
    cls[i] = j;
    term += 1;
  } else if (role === "value") {
    text[i] = sig(value === 0 ? c.exp[k] : total);
    value += 1;
  } else if (role === "result") {
    text[i] = `= ${fmt(c.probability[k])}`;
  }
}
terms.data = {...t, text, sup, cls};
classes.data = {
  ...c,
  chosen: c.name.map((_, i) => (i === k ? 1 : 0)),
  style: c.name.map((_, i) => (i === k ? "bold" : "normal")),
};
