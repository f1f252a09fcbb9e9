// The distribution view: the text alternatives of its two maps and the status line, for the model shown
// and the classes highlighted. Every number is a text written in Python, per model.
// Runs when the page is drawn, after a new model or colouring (show.js) and a new highlight (brush.js).
// args: class_map, image_map (the figures), models (one row per model), classes (the class map's
//       source), model_menu, status.
const m = Number(model_menu.value);
const M = models.data;
const names = Array.from(classes.selected.indices, Number).sort((a, b) => a - b)
  .map((i) => classes.data.class_name[i]);
const say = (plot, text) => {
  plot.html_attributes = {...plot.html_attributes, "aria-label": text};
};
const picked = names.length ? ` Highlighted: the pictures of ${names.join(", ")}.` : "";
say(class_map, M.class_label[m] + (names.length ? ` Selected: ${names.join(", ")}.` : ""));
say(image_map, M.image_label[m] + picked);
status.text = M.status[m] + picked;
