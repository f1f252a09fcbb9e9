// Convolutional elastic view: the pointer moves the kernel.
// Runs on mouse moves and taps over the figure. Over an intermediate result or the output
// map, the kernel goes to the pixel under the pointer; over an input channel, to the window
// centred on the pixel under the pointer. Elsewhere nothing changes.
// args: slider, toggle, maps, inputs (sources with each map's top-left x, y and size dw, dh), meta.
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const px = cb_obj.x;
const py = cb_obj.y;
const clamp = (v, hi) => Math.max(0, Math.min(v, hi));
const inside = (src, i) =>
  px >= src.data.x[i] && px < src.data.x[i] + src.data.dw[i] &&
  py <= src.data.y[i] && py > src.data.y[i] - src.data.dh[i];
let cell = null;
for (let i = 0; i < maps.data.x.length && cell == null; i++) {
  if (inside(maps, i)) {
    const u = maps.data.dw[i] / m.out_w;
    cell = [Math.floor((maps.data.y[i] - py) / u), Math.floor((px - maps.data.x[i]) / u)];
  }
}
for (let i = 0; i < inputs.data.x.length && cell == null; i++) {
  if (inside(inputs, i)) {
    const u = inputs.data.dw[i] / m.in_w;
    const row = Math.floor((inputs.data.y[i] - py) / u);
    const col = Math.floor((px - inputs.data.x[i]) / u);
    // the window whose centre is nearest the pixel under the pointer
    const p = window.ExplainerKit.windowNearest(m, row, col);
    cell = [Math.floor(p / m.out_w), p % m.out_w];
  }
}
if (cell != null) {
  const r = clamp(cell[0], m.out_h - 1);
  const c = clamp(cell[1], m.out_w - 1);
  if (toggle.active) {
    toggle.active = false;
  }
  slider.value = r * m.out_w + c;
}
