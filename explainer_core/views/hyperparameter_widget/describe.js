// Hyperparameter widget: the figure's text alternative for the current sliders and kernel position.
// Runs when the page is drawn, when a hyperparameter changes (update.js) and when the kernel
// moves (position.js). Whether the combination is valid, and why not, is the message's text.
// args: plot, input_size, padding, kernel_size, stride (the sliders), slider (kernel position),
//       positions (the kernel's stops).
const n = input_size.value;
const p = padding.value;
const k = kernel_size.value;
const s = stride.value;
const padded = n + 2 * p;
const stops = positions.data.top.length;
const size = (x) => `${x}\u00d7${x}`;
let text =
  `Input ${size(n)}` + (p ? `, padded with ${p} on each side to ${size(padded)}` : "") +
  `; kernel ${size(k)}, stride ${s}. `;
if (stops === 0) {
  text += "The kernel does not fit, so there is no output.";
} else {
  const i = Math.max(0, Math.min(Math.round(slider.value), stops - 1));
  const out = Math.round(Math.sqrt(stops));
  text +=
    `Output ${size(out)}. The kernel covers rows ${positions.data.top[i]} to ${positions.data.top[i] + k - 1} ` +
    `and columns ${positions.data.left[i]} to ${positions.data.left[i] + k - 1} of the padded input, for output ` +
    `row ${positions.data.output_row[i]}, column ${positions.data.output_col[i]} (position ${i + 1} of ${stops}).`;
}
plot.html_attributes = {...plot.html_attributes, "aria-label": text};
