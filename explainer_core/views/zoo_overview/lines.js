// The zoo overview: which models' lines the radar shows, kept in step between the radar's legend (a
// click hides or shows a line, pointer only) and the checkboxes under the radar (the keyboard's way).
// Runs when a checkbox changes (cb_obj: the checkboxes) or a line is hidden or shown (cb_obj: the line).
// args: lines (the radar's lines, one per model, in the models' order), boxes (the CheckboxGroup).
if (cb_obj === boxes) {
  lines.forEach((line, i) => {
    const shown = boxes.active.includes(i);
    if (line.visible !== shown) line.visible = shown;
  });
} else {
  const active = lines.flatMap((line, i) => (line.visible ? [i] : []));
  if (active.join() !== Array.from(boxes.active).join()) boxes.active = active;
}
