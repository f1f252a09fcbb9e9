// Flatten elastic view: the pointer chooses what the edges show.
// Runs on mouse moves and taps over the figure (data units are screen pixels, y upwards).
// Over a pixel of a map or over a flatten unit: that unit is the focus; over an output unit
// (its circle or its labels): that output unit. Elsewhere the focus stays, so the reader
// can read the readout. A new focus is drawn by `draw` (focus.js).
// args: units, targets, maps (sources), focus (kind, index: written), draw (CustomJS), meta.
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const px = cb_obj.x;
const py = cb_obj.y;
let found = null;

// a pixel of one of the maps: row-major, channels fastest, as Keras flattens channels-last arrays
const md = maps.data;
for (let c = 0; c < md.x.length && found == null; c++) {
  if (px >= md.x[c] && px < md.x[c] + md.dw[c] && py <= md.y[c] && py > md.y[c] - md.dh[c]) {
    const col = Math.min(m.wide - 1, Math.floor((px - md.x[c]) / m.cell));
    const row = Math.min(m.height - 1, Math.floor((md.y[c] - py) / m.cell));
    found = ["unit", (row * m.wide + col) * m.channels + c];
  }
}
// a short line of the flatten layer (the gaps between lines count as the line above)
if (found == null) {
  const u = units.data;
  for (let i = 0; i < u.x.length; i++) {
    if (Math.abs(px - u.x[i]) <= m.unit_w / 2 && py <= u.y[i] + m.bar_h / 2 && py > u.y[i] - m.bar_h / 2 - 4) {
      found = ["unit", i];
      break;
    }
  }
}
// an output unit: its column, from just above the circle to the bottom of its labels
if (found == null) {
  const t = targets.data;
  for (let k = 0; k < t.x.length; k++) {
    if (Math.abs(px - t.x[k]) <= m.spacing / 2 && py <= t.y[k] + m.radius + 14 && py >= t.y[k] - m.label_h) {
      found = ["target", k];
      break;
    }
  }
}
if (found != null && (found[0] !== focus.data.kind[0] || found[1] !== Number(focus.data.index[0]))) {
  focus.data = {kind: [found[0]], index: [found[1]]};
  draw.execute(focus);
}
