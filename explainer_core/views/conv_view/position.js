// Convolutional elastic view: draw the kernel window at the slider's position.
// Runs when the position slider moves (timer, hover or drag) and when play is toggled.
// args: slider, toggle, maps (intermediate results, then the output map, as its last row),
// inputs (input channels), windows, covers (sources this callback rewrites), edges (the
// edges' glyph: dashed and flowing while playing), kernel (weights, then the bias, last),
// readout (Div), meta (sizes, strides, padding of the layer), select (neuron menu or null).
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const at = (img, r, c, w) => (img.shape != null ? img[r * w + c] : img[r][c]);
const {fmt} = window.ExplainerKit;
const {p, r, c, top, left} = window.ExplainerKit.windowOrigin(m, slider.value);

// the window on every input channel, and the current cell on every map (each map has its
// own drawn size: a map pixel is dw / width units wide); drawn again only when the window moved
// (a new picture or neuron leaves it where it is)
const moved = windows.__explainer_p !== p;
const win = {x: [], y: [], width: [], height: []};
for (let i = 0; i < inputs.data.x.length; i++) {
  const u = inputs.data.dw[i] / m.in_w;
  win.x.push(inputs.data.x[i] + (left + m.kw / 2) * u);
  win.y.push(inputs.data.y[i] - (top + m.kh / 2) * u);
  win.width.push(m.kw * u);
  win.height.push(m.kh * u);
}
// cover what the kernel has not computed yet: the rest of this row, and every row below
const cov = {x: [], y: [], width: [], height: []};
for (let i = 0; i < maps.data.x.length; i++) {
  const u = maps.data.dw[i] / m.out_w;
  const x0 = maps.data.x[i];
  const y0 = maps.data.y[i];
  win.x.push(x0 + (c + 0.5) * u);
  win.y.push(y0 - (r + 0.5) * u);
  win.width.push(u);
  win.height.push(u);
  if (c + 1 < m.out_w) {
    cov.x.push(x0 + ((c + 1 + m.out_w) / 2) * u);
    cov.y.push(y0 - (r + 0.5) * u);
    cov.width.push((m.out_w - c - 1) * u);
    cov.height.push(u);
  }
  if (r + 1 < m.out_h) {
    cov.x.push(x0 + (m.out_w / 2) * u);
    cov.y.push(y0 - ((r + 1 + m.out_h) / 2) * u);
    cov.width.push(m.out_w * u);
    cov.height.push((m.out_h - r - 1) * u);
  }
}
if (moved) {
  windows.data = win;
  covers.data = cov;
  windows.__explainer_p = p;
}

// edges flow (dashed, moving) while the kernel slides, and are solid when it rests
if (toggle.active) {
  edges.line_dash = [6, 4];
  edges.line_dash_offset = -p;
} else if (edges.line_dash.length !== 0) {
  edges.line_dash = [];
}

// the numbers behind the current output pixel
const n = maps.data.image.length - 1;
const terms = [];
for (let i = 0; i < n; i++) {
  terms.push(`<span class='xv-num'>${fmt(at(maps.data.image[i], r, c, m.out_w))}</span>`);
}
const bias = kernel.data.value[kernel.data.value.length - 1];
const out = at(maps.data.image[n], r, c, m.out_w);
const neuron = select != null ? select.value : m.neuron;
readout.text =
  `<div class='xv-line'>Output pixel (row ${r}, column ${c}) of ${m.layer} \u00b7 neuron ${neuron}: ` +
  `intermediate results ${terms.join(" + ")} + bias <span class='xv-num'>${fmt(bias)}</span> = ` +
  `<span class='xv-num xv-result'>${fmt(out)}</span></div>`;
