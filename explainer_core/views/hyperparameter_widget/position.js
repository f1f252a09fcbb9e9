// Hyperparameter widget: put the kernel at the position slider's stop.
// Runs when the kernel position changes (play timer or drag). The output cells up to
// this stop are filled; the current one is outlined.
// args: slider, positions (the stops, from math.js), kernel, out, current (sources),
// kernel_size (slider), frame (source: where the output grid starts), colors, describe (the text alternative).
const col = colors instanceof Map ? Object.fromEntries(colors) : colors;
const stops = positions.data.top.length;
if (stops > 0) {
  const i = Math.max(0, Math.min(Math.round(slider.value), stops - 1));
  const top = positions.data.top[i];
  const left = positions.data.left[i];
  const k = kernel_size.value;
  const kc = {x: [], y: [], line: [], fill: []};
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      kc.x.push(left + b + 0.5);
      kc.y.push(-(top + a + 0.5));
      kc.line.push(col.kernel_line);  // a kernel with stops always fits
      kc.fill.push(col.kernel);
    }
  }
  kernel.data = kc;
  out.data = {...out.data, fill: out.data.fill.map((_, q) => (q <= i ? col.done : col.todo))};
  current.data = {
    x: [frame.data.out_x[0] + positions.data.output_col[i] + 0.5],
    y: [frame.data.out_top[0] - (positions.data.output_row[i] + 0.5)],
  };
}
describe.execute(slider);
