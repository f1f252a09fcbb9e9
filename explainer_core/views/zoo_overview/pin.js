// The zoo overview: a click or a menu's choice pins a model or a group of classes. The pinned state
// is one source, `pin` (model, group); show.js follows it and shows it everywhere.
// Runs when a tap tool hits something (cb_data.source: the source it hit) or a menu's value changes.
// args: pin (the pinned state), kind ("model", "group", or null on the radar: a line pins its model,
//       a group's square its group), column (the hit source's column holding the index, or null:
//       the hit row is the index), groups (the groups' source).
let what = kind;
let index = null;
if (cb_data != null && cb_data.source != null) {
  const source = cb_data.source;
  const hit = source.selected.indices.length ? source.selected.indices : source.inspected.indices;
  // several lines under one click (where they cross) pin none of them
  if (hit.length === 1) index = column == null ? hit[0] : Number(source.data[column][hit[0]]);
  if (what == null) what = source === groups ? "group" : "model";
} else if (cb_obj.value !== "") {
  index = Number(cb_obj.value);
}
if (index != null && Number(pin.data[what][0]) !== index) {
  pin.data = {...pin.data, [what]: [index]};
}
