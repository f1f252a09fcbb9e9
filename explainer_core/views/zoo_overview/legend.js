// The zoo overview: the radar's legend for the keyboard and screen readers. Bokeh draws each entry as a
// plain element that only a pointer can press; this makes each one a checkbox ("tiny_vgg's line
// shown"), reachable with Tab and pressed with Space or Enter, which does what a click does.
// Runs when the page is drawn and after a line is hidden or shown.
// args: legend (the radar's Legend).
const view = window.Bokeh.index.find_one(legend);
if (view != null) {
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
          el.dispatchEvent(new PointerEvent("pointerdown"));
        }
      });
    }
  }
}
