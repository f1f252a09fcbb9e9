// The distribution view: show the chosen model and colouring. Copies the model's columns, computed in
// Python (views/distribution_view/__init__.py, shown_columns, is the same copy), into the class map and
// the picture map, swaps the picture map's legend, then rewrites the status line and the text
// alternatives. Computes no number.
// Runs when the model menu or the colour menu changes.
// args: models (one row per model), classes, images (what the maps draw), model_menu, colour_menu,
//       legends (the picture map's legend per colouring, HTML), legend (its Div), class_title, image_title
//       (the maps' titles), describe.
const m = Number(model_menu.value);
const mode = colour_menu.value;
const M = models.data;
const I = images.data;
const list = (v) => Array.from(v);
classes.data = {
  ...classes.data, x: list(M.class_x[m]), y: list(M.class_y[m]), label_place: list(M.label_place[m]),
  label_align: list(M.label_align[m]), label_baseline: list(M.label_baseline[m]), label_dx: list(M.label_dx[m]),
  label_dy: list(M.label_dy[m]),
  accuracy_text: list(M.class_accuracy_text[m]), nearest_text: list(M.nearest_text[m]),
};
const colour = mode === "class" ? I.class_colour : mode === "outcome" ? M.outcome_colour[m] : I.group_colour;
images.data = {
  ...I, x: list(M.image_x[m]), y: list(M.image_y[m]), predicted: list(M.predicted[m]),
  confidence_text: list(M.confidence_text[m]), outcome: list(M.outcome[m]), colour: list(colour),
};
legend.text = legends[mode];
class_title.text = M.class_title[m];
image_title.text = M.image_title[m];
describe.execute(model_menu);
