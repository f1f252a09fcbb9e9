// Interactive formula views: the pointer moves the window.
// Runs on mouse moves and taps over the input or the output heatmap. Over the output,
// the window goes to the cell under the pointer; over the input, to the window centred
// nearest the pixel under the pointer (with padding and stride taken into account).
// args: slider, toggle, which ("input" or "output"), meta (sizes, window, strides, padding).
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const h = which === "input" ? m.in_h : m.out_h;
const w = which === "input" ? m.in_w : m.out_w;
const row = Math.floor(h - cb_obj.y);
const col = Math.floor(cb_obj.x);
const pad = which === "input";
if (row >= (pad ? -m.pt : 0) && row < h + (pad ? m.pt : 0) && col >= (pad ? -m.pl : 0) && col < w + (pad ? m.pl : 0)) {
  if (toggle.active) {
    toggle.active = false;
  }
  const p = which === "input" ? window.ExplainerKit.windowNearest(m, row, col)
    : Math.max(0, Math.min(row, m.out_h - 1)) * m.out_w + Math.max(0, Math.min(col, m.out_w - 1));
  if (slider.value !== p) {
    slider.value = p;
  }
}
