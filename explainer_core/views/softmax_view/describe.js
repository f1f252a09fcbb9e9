// Softmax formula view: the text alternatives of the table and of the equation, for the current
// picture: every class's logit and probability, most probable first, and the chosen class's
// equation with its numbers. Runs when the page is drawn, after a new picture (page.js) and
// after a click chooses another class (choose.js).
// args: table, equation (the figures), classes, terms, choice (sources), meta (picture).
const m = meta instanceof Map ? Object.fromEntries(meta) : meta;
const page = window.ExplainerPage;
const picture = (cb_data && cb_data.label) || (page && page.state.last ? page.state.last.label : null) || m.picture;
const {signed} = window.ExplainerKit;
const c = classes.data;
const order = c.name.map((_, i) => i).sort((a, b) => c.probability[b] - c.probability[a]);
const rows = order.map((i) => `${c.name[i]}: logit ${signed(c.logit[i], 3)}, probability ${signed(c.probability[i], 3)}`);
table.html_attributes = {
  ...table.html_attributes,
  "aria-label": `The ${c.name.length} classes on ${picture}, most probable first. ${rows.join("; ")}.`,
};
const k = Number(choice.data.index[0]);
// e^z of the class and the sum, as the equation writes them (draw.js)
const [numerator, denominator] = terms.data.text.filter((_, i) => terms.data.role[i] === "value");
equation.html_attributes = {
  ...equation.html_attributes,
  "aria-label":
    `On ${picture}, p(${c.name[k]}) = e to the power ${signed(c.logit[k], 3)}, divided by the sum of e to the power of ` +
    `every class's logit: ${numerator} / ${denominator} = ` +
    `${signed(c.probability[k], 3)}.`,
};
