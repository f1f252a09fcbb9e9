// The zoo overview: show the pinned model and group everywhere. Copies their rows, ranked and written
// in Python (views/zoo_overview/__init__.py, shown_columns, is the same copy), into the marks, the two
// linked bar charts, the supplemental bars' marks, the titles, the menus and the status line, then
// rewrites the text alternatives. Computes no number.
// Runs when the pinned state changes (pin.js).
// args: pin, models, groups (sources), marks, class_bars, group_bars, disagree_bars, agree_bars (what it
//       writes), class_range, group_range (the bar charts' factor ranges), class_title, group_title,
//       model_menu, group_menu, status, faded (a class bar's opacity outside the pinned group), describe.
const m = Number(pin.data.model[0]);
const g = Number(pin.data.group[0]);
const M = models.data;
const G = groups.data;
const list = (v) => Array.from(v);
const colour = M.colour[m];
marks.data = {
  x: [M.macs[m]], y: [M.top1[m]], name: [M.name[m]], colour: [colour],
  radar_x: [list(M.radar_x[m])], radar_y: [list(M.radar_y[m])], spoke_x: [[0, G.x[g]]], spoke_y: [[0, G.y[g]]],
};
const classes = list(M.class_order[m]);
class_bars.data = {
  class_name: classes, value: list(M.class_values[m]), text: list(M.class_texts[m]),
  group: list(M.class_groups[m]), group_index: list(M.class_group_index[m]), colour: classes.map(() => colour),
  alpha: list(M.class_groups[m]).map((name) => (name === G.name[g] ? 1 : faded)),
};
class_range.factors = [...classes].reverse();
const order = list(G.model_index[g]);
group_bars.data = {
  model: list(G.model_order[g]), model_index: order, value: list(G.model_values[g]),
  text: list(G.model_texts[g]), colour: list(G.model_colours[g]), outline: order.map((i) => (i === m ? 1 : 0)),
};
group_range.factors = list(G.model_order[g]).reverse();
for (const [bars, values] of [[disagree_bars, M.disagree_marks[m]], [agree_bars, M.agree_marks[m]]]) {
  bars.data = {...bars.data, mark: list(values), mark_colour: list(values).map(() => colour)};
}
class_title.text = M.class_title[m];
group_title.text = G.title[g];
status.text = G.status[g][m];
if (model_menu.value !== String(m)) model_menu.value = String(m);
if (group_menu.value !== String(g)) group_menu.value = String(g);
describe.execute(pin);
