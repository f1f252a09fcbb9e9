// Interactive formula views (convolution, ReLU, max pooling): show the window at the
// slider's position. Runs whenever the position slider moves (timer, hover or drag).
// Moves the window on the input and the cell on the output, refills the zoom matrices
// and rewrites the formula with the window's numbers; every number is read from the
// sources (the trace's values and the network's weights), never recomputed.
// args: slider, toggle, src_in, src_out (the two heatmaps' sources), zoom (zoom cells),
// marks (outlines in the zoom), win_in, win_out (the outlines on the heatmaps), formula
// (Div), meta (sizes, window, strides, padding, kind, layer, neuron, channel), and for
// the convolution kernel (weights, then the bias) and sums (every channel's
// intermediate result, then the neuron's output map); null for the other kinds.
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const at = (img, r, c, w) => (img.shape != null ? img[r * w + c] : img[r][c]);
const {fmt} = window.ExplainerKit;
const num = (v, cls) => `<span class='xv-num ${cls}'>${fmt(v)}</span>`;
const near = (i, size) => Math.max(0, Math.min(i - 1, size - 3));

const {p, r, c, top, left} = window.ExplainerKit.windowOrigin(m, slider.value);
const img_in = src_in.data.image[0];
const img_out = src_out.data.image[0];
const inside = (y, x) => y >= 0 && y < m.in_h && x >= 0 && x < m.in_w;

// the outlines, drawn again only when the window moved (a new picture leaves it where it is)
if (win_in.__explainer_p !== p) {
  win_in.data = {x: [left + m.kw / 2], y: [m.in_h - top - m.kh / 2], width: [m.kw], height: [m.kh]};
  win_out.data = {x: [c + 0.5], y: [m.out_h - r - 0.5], width: [1], height: [1]};
  win_in.__explainer_p = p;
}

// the zoom: refill every cell that shows a number under the window
const z = zoom.data;
const value = z.value.slice();
const text = z.text.slice();
const color = z.text_color.slice();
const mark = {x: [], y: [], width: [], height: []};
const nt = near(r, m.out_h);
const nl = near(c, m.out_w);
const result = at(img_out, r, c, m.out_w);
let maxMarked = false;
for (let k = 0; k < z.role.length; k++) {
  const role = z.role[k];
  const i = z.i[k];
  const j = z.j[k];
  let v = null;
  if (role === "window") {
    if (inside(top + i, left + j)) {
      v = at(img_in, top + i, left + j, m.in_w);
    }
  } else if (role === "result") {
    v = result;
  } else if (role === "near_in") {
    v = at(img_in, nt + i, nl + j, m.in_w);
  } else if (role === "near_out") {
    v = at(img_out, nt + i, nl + j, m.out_w);
  } else {
    continue;  // the kernel's weights never change
  }
  value[k] = v == null ? NaN : v;
  text[k] = v == null ? (m.kind === "conv" ? "0" : "\u2212\u221e") : fmt(v);
  if (v == null) {
    color[k] = "#4b5563";
  } else {
    const t = (v - z.lo[k]) / ((z.hi[k] - z.lo[k]) || 1);
    const dark = z.seq[k] ? t > 0.62 : Math.abs(t - 0.5) > 0.3;
    color[k] = dark ? "white" : "#111827";
  }
  const mine = (role === "near_in" || role === "near_out") && nt + i === r && nl + j === c;
  const biggest = m.kind === "maxpool" && role === "window" && !maxMarked && v != null && v === result;
  if (mine || biggest) {
    maxMarked = maxMarked || biggest;
    mark.x.push(z.x[k]);
    mark.y.push(z.y[k]);
    mark.width.push(1);
    mark.height.push(1);
  }
}
zoom.data = {...z, value: value, text: text, text_color: color};
marks.data = mark;

// the formula, with this window's numbers
const where = `(row ${r}, column ${c})`;
let html = "";
if (m.kind === "conv") {
  const w = kernel.data.value;
  const terms = [];
  for (let i = 0; i < m.kh; i++) {
    for (let j = 0; j < m.kw; j++) {
      const xv = inside(top + i, left + j)
        ? num(at(img_in, top + i, left + j, m.in_w), "xv-x")
        : "<span class='xv-num xv-x xv-muted'>0</span>";
      terms.push(`(${xv} \u00d7 ${num(w[i * m.kw + j], "xv-w")})`);
    }
  }
  const maps = sums.data.image;
  const parts = [];
  for (let k = 0; k < maps.length - 1; k++) {
    parts.push(num(at(maps[k], r, c, m.out_w), k === m.channel ? "xv-part xv-hi" : "xv-part"));
  }
  const out = at(maps[maps.length - 1], r, c, m.out_w);
  html =
    `<div class='xv-line'>Intermediate result at ${where} = ${terms.join(" + ")} = ${num(result, "xv-result")}</div>` +
    `<div class='xv-line'>${m.layer} \u00b7 neuron ${m.neuron} at ${where} = ${parts.join(" + ")} + bias ` +
    `${num(w[w.length - 1], "xv-bias")} = ${num(out, "xv-out xv-result")}</div>`;
} else if (m.kind === "relu") {
  html =
    `<div class='xv-line'>${m.layer} \u00b7 neuron ${m.neuron} at ${where} = ` +
    `max(0, ${num(at(img_in, r, c, m.in_w), "xv-x")}) = ${num(result, "xv-result")}</div>`;
} else {
  const terms = [];
  let marked = false;
  for (let i = 0; i < m.kh; i++) {
    for (let j = 0; j < m.kw; j++) {
      if (inside(top + i, left + j)) {
        const v = at(img_in, top + i, left + j, m.in_w);
        const hi = !marked && v === result;
        marked = marked || hi;
        terms.push(num(v, hi ? "xv-x xv-hi" : "xv-x"));
      } else {
        terms.push("<span class='xv-num xv-x xv-muted'>\u2212\u221e</span>");
      }
    }
  }
  html =
    `<div class='xv-line'>${m.layer} \u00b7 neuron ${m.neuron} at ${where} = ` +
    `max(${terms.join(", ")}) = ${num(result, "xv-result")}</div>`;
}
formula.text = html;
