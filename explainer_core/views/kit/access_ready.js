// Access for everyone, once Bokeh has drawn a document (its DocumentReady event; views/kit/access.py).
// Bokeh draws every widget inside its own shadow DOM, where the page cannot name what it draws.
// This script does, for the models of this document:
//  - a slider's handle (the element with role "slider") takes the slider's title as its name,
//    and a whole-number slider says its value as a whole number ("12", not "12.00");
//  - each button of a button group says whether it is the pressed one (aria-pressed);
//  - a view wider than its column scrolls inside its box (explainer.css) and can then be
//    focused, so that the keyboard can scroll it too;
//  - the views draw their first picture (page.js fillDocument), then every text alternative (the
//    callbacks named `describe`) is written for it.
// args: root (the embedded layout), describe (the name of the description callbacks).
const models = [...root.document.all_models];
const kind = (model) => model.constructor.__name__;
const viewOf = (model) => window.Bokeh.index.find_one(model);

function nameHandle(slider) {
  const view = viewOf(slider);
  if (view == null || view.shadow_el == null) return;
  const label = () => {
    const handle = view.shadow_el.querySelector(".noUi-handle");
    if (handle == null) return;
    handle.setAttribute("aria-label", slider.title || slider.name || "slider");
    if (Number.isInteger(slider.step) && Number.isInteger(slider.start)) {
      handle.setAttribute("aria-valuetext", String(Math.round(slider.value)));
    }
  };
  label();
  if (view._noUiSlider != null) view._noUiSlider.on("update.explainer", label);
}

function pressButtons(group) {
  const view = viewOf(group);
  if (view == null || view.shadow_el == null) return;
  const press = () => {
    view.shadow_el.querySelectorAll("button").forEach((button, i) => {
      button.setAttribute("aria-pressed", String(i === group.active));
    });
  };
  press();
  group.properties.active.change.connect(press);
}

for (const model of models) {
  if (kind(model) === "Slider") nameHandle(model);
  else if (kind(model) === "RadioButtonGroup") pressButtons(model);
}

const rootView = viewOf(root);
const box = rootView != null && rootView.el != null ? rootView.el.closest(".explainer-bokeh") : null;
if (box != null && window.ResizeObserver != null) {
  const scrollable = () => {
    if (box.scrollWidth > box.clientWidth + 1) {
      box.tabIndex = 0;
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", "A wide view: scroll sideways to see all of it");
    } else if (box.hasAttribute("tabindex")) {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  };
  // Watch the box and what Bokeh draws in it: the drawing can grow wider after this script
  // has run (a late layout pass), and then only the content changes size, not the box.
  const observer = new ResizeObserver(scrollable);
  observer.observe(box);
  if (rootView.el !== box) observer.observe(rootView.el);
}

// The first frame: every view that carries its own picture draws it (page.js), then the text
// alternatives are written for it. Without page.js (a page of views that do not follow a picture)
// there is nothing to fill.
const page = window.ExplainerPage;
const filled = page != null ? page.fillDocument(root.document) : Promise.resolve(0);
filled.then(
  () => {
    for (const model of models) {
      if (model.name === describe) model.execute(model, {});
    }
    if (box != null) box.dataset.explainerAccess = "ready";  // for tests: everything above is done
  },
  (error) => console.error("The views could not draw their picture:", error),
);
