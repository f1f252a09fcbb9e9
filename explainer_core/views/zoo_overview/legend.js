// The zoo overview: the radar's legend for the keyboard and screen readers. Bokeh draws each entry as a
// plain element that only a pointer can press; this makes each one a checkbox ("tiny_vgg's line
// shown"), reachable with Tab and pressed with Space or Enter, which does what a click does.
// Bokeh draws the entries anew whenever a line is hidden or shown, so this runs again then, once now
// and once after Bokeh has redrawn them, and gives the focus back to the entry the keyboard pressed.
// Runs when the page is drawn and after a line is hidden or shown.
// args: legend (the radar's Legend).
const view = window.Bokeh.index.find_one(legend);
function apply(redrawn) {
  for (const entry of view.entries) {
    const el = entry.el;
    const shown = entry.item.renderers.every((renderer) => renderer.visible);
    el.setAttribute("role", "checkbox");
    el.setAttribute("aria-checked", String(shown));
    el.setAttribute("aria-label", `${entry.label}'s line shown`);
    if (el.dataset.explainerKeys == null) {
      el.dataset.explainerKeys = "1";
      el.tabIndex = 0;
      el.addEventListener("keydown", (event) => {
        if (event.key === " " || event.key === "Enter") {
          event.preventDefault();
          view.explainerRefocus = entry.label;
          el.dispatchEvent(new PointerEvent("pointerdown"));
        }
      });
    }
    if (redrawn && view.explainerRefocus === entry.label) {
      view.explainerRefocus = null;
      el.focus();
    }
  }
}
if (view != null) {
  apply(false);
  setTimeout(() => apply(true), 0);
}
