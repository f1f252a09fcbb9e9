// Overview: the map menu, for the keyboard. Choosing a map in it selects that neuron, as a click
// does (select.js then opens its detail); a click on a map shows in the menu.
// Runs when the menu's value or the neurons' selection changes.
// args: neurons (one row per map and output class), menu (the Select: "" or a row of neurons).
if (cb_obj === menu) {
  const wanted = menu.value === "" ? [] : [Number(menu.value)];
  if (wanted.join() !== neurons.selected.indices.join()) neurons.selected.indices = wanted;
} else {
  const picked = neurons.selected.indices;
  const value = picked.length ? String(picked[0]) : "";
  if (menu.value !== value) menu.value = value;
}
