// Text alternatives of figures whose view gave them none (views/kit/access.py, prepare): the
// figure's title (read now: a refill may have rewritten it) or else the words drawn on it,
// and, when the layout follows the picture, the name of the picture the page shows.
// args: plots (the figures), bases (for each: its name, or "" to use its title), follows (bool).
const page = window.ExplainerPage;
const picture = (cb_data && cb_data.label) || (page && page.state.last ? page.state.last.label : null);
plots.forEach((plot, i) => {
  const base = bases[i] || (plot.title != null ? plot.title.text : "") || "Plot";
  const label = follows && picture ? `${base}, ${picture}` : base;
  plot.html_attributes = {...plot.html_attributes, "aria-label": label};
});
