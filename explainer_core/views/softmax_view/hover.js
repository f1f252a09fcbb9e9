// Softmax formula view: link the classes and the equation's terms both ways.
// Runs on mouse moves over the table or the equation, and when the pointer leaves them.
// Over a table row (a class: its circle, its numbers or its bar), or over a term e^{z_j} of
// the equation, that class is highlighted in both: its row and circle (classes.hl) and
// every term that belongs to it (terms.hl). Elsewhere, or on leaving, nothing is.
// args: classes, terms (sources), which ("table" or "equation"), row, header (table sizes, px).
let k = -1;
if (cb_obj.event_name !== "mouseleave") {
  if (which === "table") {
    const i = Math.floor((-cb_obj.y - header) / row);
    if (i >= 0 && i < classes.data.hl.length) k = i;
  } else {
    const t = terms.data;
    for (let i = 0; i < t.cls.length; i++) {
      if (t.role[i] === "term" && Math.abs(cb_obj.x - t.rx[i]) <= t.rw[i] / 2 &&
          Math.abs(cb_obj.y - t.ry[i]) <= t.rh[i] / 2) {
        k = Number(t.cls[i]);
        break;
      }
    }
  }
}
const hl = Array.from(classes.data.hl, (_, i) => (i === k ? 1 : 0));
if (hl.some((v, i) => v !== classes.data.hl[i])) {
  classes.data = {...classes.data, hl};
  terms.data = {...terms.data, hl: Array.from(terms.data.cls, (j, i) => (k >= 0 && terms.data.role[i] === "term" &&
    Number(j) === k ? 1 : 0))};
}
