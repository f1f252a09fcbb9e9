// Softmax formula view: a click on a class writes the equation for it.
// The choice is "pinned": it stays when the reader picks another picture.
// args: classes, choice (sources), draw (draw.js), describe (the text alternatives),
//       row, header (table sizes, px).
const i = Math.floor((-cb_obj.y - header) / row);
if (i >= 0 && i < classes.data.name.length) {
  choice.data = {kind: ["pinned"], index: [i]};
  draw.execute(choice);
  describe.execute(choice);
}
