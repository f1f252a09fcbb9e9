// The sliding-window player shared by the elastic view, the formula views and the
// hyperparameter widget. Runs when the play toggle is pressed or released.
// args: toggle (Toggle), slider (Slider holding the window position), step (positions
// per tick), interval (ms per tick), last (final position), play / pause (labels).
// The timer is kept on window, keyed by the toggle's id, so pressing again or a
// second view on the page never starts a second timer for the same toggle.
const timers = window.__explainer_timers || (window.__explainer_timers = {});
const key = toggle.id;
if (timers[key] != null) {
  clearInterval(timers[key]);
  timers[key] = null;
}
if (toggle.active) {
  // the last position is kept in the slider's tags: the hyperparameter widget changes it
  const end = () => (slider.tags.length > 0 ? slider.tags[0] : last);
  if (slider.value >= end()) {
    slider.value = 0;  // start again from the first position
  }
  toggle.label = pause;
  timers[key] = setInterval(() => {
    const stop = end();
    const next = Math.min(slider.value + step, stop);
    slider.value = next;
    if (next >= stop) {
      toggle.active = false;  // runs this callback again, which clears the timer
    }
  }, interval);
} else {
  toggle.label = play;
}
