// The distribution view: the classes selected on the class map (a box, a click) or ticked in the boxes
// under it (the keyboard's way) highlight their pictures on the picture map. The two stay in step; the
// class map's row i is class i, as the pictures' class_index counts.
// Runs when the class map's selection changes (cb_obj: the selection) or a box is ticked (cb_obj: boxes).
// args: classes, images (the maps' sources), boxes (the CheckboxGroup), describe.
const sorted = (v) => Array.from(v, Number).sort((a, b) => a - b);
if (cb_obj === boxes) {
  const want = sorted(boxes.active);
  if (want.join() !== sorted(classes.selected.indices).join()) {
    classes.selected.indices = want;  // which runs this script again, for the selection
    return;
  }
}
const chosen = new Set(sorted(classes.selected.indices));
const pictures = [];
Array.from(images.data.class_index).forEach((c, i) => {
  if (chosen.has(Number(c))) pictures.push(i);
});
images.selected.indices = pictures;
const active = [...chosen];
if (active.join() !== sorted(boxes.active).join()) boxes.active = active;
describe.execute(classes);
