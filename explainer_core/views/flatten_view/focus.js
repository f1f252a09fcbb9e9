// Flatten elastic view: draw the edges, outlines and readout of the current focus.
// Run by hover.js when the pointer finds a new focus, and by fill.js for the first frame and after
// a new picture. The only owner of these columns and of the readout (Python leaves them empty;
// tests/view_oracles/flatten_view.py computes the same as an independent reference):
//   focus "unit" u:            its edges to every output unit (width by |weight|), an outline on
//                              the unit and on its source pixel, and a dashed link between them;
//   focus "target"/"auto" k:   the edges of output unit k's meta.top largest non-zero terms
//                              |value × weight| (float32 products, ties to the lower unit), width
//                              by the term's size, with outlines on those units and their pixels.
// args: units, weights, targets, maps (sources read), edges, marks, links (sources written),
// focus (kind, index), readout (Div), meta (sizes and names from the view).
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const fround = Math.fround;
const {fmt} = window.ExplainerKit;
const num = (v, cls) => `<span class='xv-num${cls ? " " + cls : ""}'>${fmt(v)}</span>`;

const kind = focus.data.kind[0];
const index = Number(focus.data.index[0]);
const u = units.data;
const kernel = weights.data.kernel[0];
const bias = weights.data.bias[0];
const n = m.targets;
const count = u.x.length;
const tx = targets.data.x;
const ty = targets.data.y;

// the largest non-zero terms of output k, as [unit, |term|] pairs, largest first
function topTerms(k) {
  const found = [];
  for (let i = 0; i < count; i++) {
    const t = Math.abs(fround(u.value[i] * kernel[i * n + k]));
    if (t > 0) found.push([i, t]);
  }
  found.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return found.slice(0, m.top);
}

const e = {x0: [], y0: [], x1: [], y1: [], weight: [], width: [], casing: [], unit: [], target: []};
const mk = {x: [], y: [], w: [], h: [], kind: []};
const ln = {x0: [], y0: [], x1: [], y1: []};
const targetFocus = new Array(n).fill(0);

function pixelCentre(i) {
  const c = u.channel[i];
  return [maps.data.x[c] + (u.col[i] + 0.5) * m.cell, maps.data.y[c] - (u.row[i] + 0.5) * m.cell];
}
function markUnit(i) {
  mk.x.push(u.x[i]);
  mk.y.push(u.y[i]);
  mk.w.push(m.unit_w + 1.5);
  mk.h.push(m.bar_h + 3);
  mk.kind.push("unit");
  const [px, py] = pixelCentre(i);
  mk.x.push(px);
  mk.y.push(py);
  mk.w.push(m.cell + 1.5);
  mk.h.push(m.cell + 1.5);
  mk.kind.push("pixel");
}
function edge(i, k, w, strength) {
  e.x0.push(u.x[i]);
  e.y0.push(u.y[i] - m.bar_h / 2);
  e.x1.push(tx[k]);
  e.y1.push(ty[k] + m.radius);
  e.weight.push(w);
  e.width.push(0.8 + 2.7 * strength);
  e.casing.push(2.2 + 2.7 * strength);
  e.unit.push(i);
  e.target.push(k);
}

let html;
if (kind === "unit") {
  let wlim = 0;  // the largest |weight|: the edges' widths are relative to it
  for (let i = 0; i < kernel.length; i++) wlim = Math.max(wlim, Math.abs(kernel[i]));
  wlim = wlim || 1;
  for (let k = 0; k < n; k++) {
    const w = kernel[index * n + k];
    edge(index, k, w, Math.min(1, Math.abs(w) / wlim));
  }
  markUnit(index);
  const [px, py] = pixelCentre(index);
  ln.x0.push(px);
  ln.y0.push(py);
  ln.x1.push(u.x[index]);
  ln.y1.push(u.y[index] + m.bar_h / 2);
  const effect = u.value[index] === 0
    ? `It is zero, so none of its ${n} edges changes an output, whatever its weight.`
    : `Its ${n} edges carry it to every output unit, each with its own weight: green, solid edges add; ` +
      "brown, dashed ones subtract.";
  html =
    `<div class='xv-line'>Flatten unit ${index} is pixel (row ${u.row[index]}, column ${u.col[index]}) of ` +
    `${m.source} · channel ${u.channel[index]}, value ${num(u.value[index], "xv-x")}. ${effect}</div>`;
} else {
  const k = index;
  targetFocus[k] = 1;
  const top = topTerms(k);
  const largest = top.length ? top[0][1] : 1;
  for (const [i, t] of top) edge(i, k, kernel[i * n + k], t / largest);
  for (const [i] of top) markUnit(i);
  let total = 0;
  for (let i = 0; i < count; i++) total += fround(u.value[i] * kernel[i * n + k]);
  let shown = 0;
  for (const [i] of top) shown += fround(u.value[i] * kernel[i * n + k]);
  const name = m.is_logit ? "logit" : "value";
  html =
    `<div class='xv-line'><b>${m.labels[k]}</b>: ${name} = Σ value × weight over all ` +
    `${count.toLocaleString("en-US")} flatten units + bias = ${num(fround(total), "xv-part")} + ` +
    `${num(bias[k], "xv-bias")} = ${num(targets.data.value[k], "xv-result")}. The ${top.length} edges drawn ` +
    `are its largest terms; together they add up to ${num(top.length ? fround(shown) : 0, "xv-part")}.</div>`;
}

edges.data = e;
marks.data = mk;
links.data = ln;
targets.data = {...targets.data, focus: targetFocus};
readout.text = html;
