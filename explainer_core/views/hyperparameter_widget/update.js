// Hyperparameter widget: rebuild everything when a hyperparameter slider moves.
// Twin of hyperparameter_data() and _message() in explainer_core/views/hyperparameter_widget/__init__.py:
// Python computes the first frame, this script every later one (the same seven sources, column for
// column, the kernel at its last stop). The pair is listed in explainer_core/twins.py under
// "hyperparameters" (with the arithmetic both sides call), and test_the_browser_draws_what_python_draws
// in tests/test_browser_hyperparameters.py compares this script's columns with hyperparameter_data()'s.
// Change one side, change both. The arithmetic comes from `math` (math.js, the port of
// explainer_core/arithmetic/hyperparams.py).
// args: math (CustomJS returning the arithmetic), input_size_slider, padding_slider,
// kernel_size_slider, stride_slider, toggle, slider (kernel position), message (Div),
// cells, positions, kernel, out, current, titles, frame (sources), x_range, y_range (the
// figure's ranges, moved so the grids fill the drawing area), frame_px ([width, height] of
// that area in pixels), max_cell (largest cell in pixels), colors, describe (the text alternative).
const col = colors instanceof Map ? Object.fromEntries(colors) : colors;
math.execute(cb_obj).then((hp) => {
  const n = input_size_slider.value;
  const p = padding_slider.value;
  const k = kernel_size_slider.value;
  const s = stride_slider.value;
  if (toggle.active) {
    toggle.active = false;
  }
  const check = hp.check_hyperparameters(n, k, s, p);
  const padded = n + 2 * p;
  const stops = check.output_size != null ? hp.window_positions(n, k, s, p) : [];
  const last = stops.length - 1;
  const reach = padded - check.left_out;

  const c = {x: [], y: [], kind: [], fill: [], text: [], hatch: []};
  for (let i = 0; i < padded; i++) {
    for (let j = 0; j < padded; j++) {
      const pad = !(i >= p && i < p + n && j >= p && j < p + n);
      c.x.push(j + 0.5);
      c.y.push(-(i + 0.5));
      c.kind.push(pad ? "padding" : "input");
      c.fill.push(pad ? col.padding : col.input);
      c.text.push(pad ? "0" : "");
      c.hatch.push(i >= reach || j >= reach ? "/" : " ");
    }
  }
  cells.data = c;
  positions.data = {
    output_row: stops.map((w) => w.output_row),
    output_col: stops.map((w) => w.output_col),
    top: stops.map((w) => w.top),
    left: stops.map((w) => w.left),
  };

  const size = check.output_size || 0;
  // where the grids go and how large a cell is: _frame() in hyperparameter_widget/__init__.py
  const side = Math.max(padded, k);
  const out_x = side + 3;
  const out_top = size ? -(padded - size) / 2 : 0;
  const wide = out_x + Math.max(size, 3) + 1.2;
  const tall = side + 1.9;
  const cell = Math.min(frame_px[0] / wide, frame_px[1] / tall, max_cell);
  const x0 = -0.6 - (frame_px[0] / cell - wide) / 2;  // centred across the drawing area
  const f = {x0: [x0], x1: [x0 + frame_px[0] / cell], y0: [1.3 - frame_px[1] / cell], y1: [1.3],
             out_x: [out_x], out_top: [out_top]};
  frame.data = f;
  x_range.setv({start: f.x0[0], end: f.x1[0]});
  y_range.setv({start: f.y0[0], end: f.y1[0]});

  const o = {x: [], y: [], fill: []};
  for (let r = 0; r < size; r++) {
    for (let q = 0; q < size; q++) {
      o.x.push(out_x + q + 0.5);
      o.y.push(out_top - (r + 0.5));
      o.fill.push(col.done);
    }
  }
  out.data = o;
  const kc = {x: [], y: [], line: [], fill: []};
  const top = stops.length ? stops[last].top : 0;
  const left = stops.length ? stops[last].left : 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const outside = top + i >= padded || left + j >= padded;  // only when the kernel does not fit
      kc.x.push(left + j + 0.5);
      kc.y.push(-(top + i + 0.5));
      kc.line.push(outside ? col.outside : col.kernel_line);
      kc.fill.push(outside ? col.outside_fill : col.kernel);
    }
  }
  kernel.data = kc;
  current.data = stops.length
    ? {x: [out_x + stops[last].output_col + 0.5], y: [out_top - (stops[last].output_row + 0.5)]}
    : {x: [], y: []};
  titles.data = {
    x: [0, out_x],
    y: [0.45, out_top + 0.45],
    text: [
      `Input ${n}\u00d7${n}` + (p ? `, padded to ${padded}\u00d7${padded}` : ""),
      size ? `Output ${size}\u00d7${size}` : "No output",
    ],
  };

  // the position slider: one stop per output cell, starting at the last (the output complete)
  slider.tags = [Math.max(last, 0)];
  slider.end = Math.max(last, 1);
  slider.disabled = stops.length < 2;
  toggle.disabled = stops.length < 2;
  slider.value = Math.max(last, 0);

  if (check.valid) {
    message.text =
      "<div class='xv-line xv-good'>Valid: the kernel visits every cell.</div>" +
      `<div class='xv-line'>Output size = (n + 2p \u2212 k) / s + 1 = (${n} + 2\u00b7${p} \u2212 ${k}) / ${s} + 1 = ` +
      `<b>${check.output_size}</b>, so the output is ${check.output_size}\u00d7${check.output_size}.</div>`;
  } else {
    message.text = `<div class='xv-line xv-bad'>Invalid: <span class='xv-reason'>${check.reason}</span></div>`;
  }
  describe.execute(cb_obj);
});
