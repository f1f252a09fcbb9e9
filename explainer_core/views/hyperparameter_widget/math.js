// Hyperparameter arithmetic, ported line by line from explainer_core/arithmetic/hyperparams.py
// (check_hyperparameters, conv_output_size, window_positions): the validity rule, the
// output size and the student's one-sentence reasons must be exactly the same, and
// tests/test_browser_hyperparameters.py compares the two over a grid of small values.
// The body of a CustomJS that returns the functions; the widget's callback (update.js)
// and the tests call `execute` on it.

function size_text(n) {
  return `${n}\u00d7${n}`;
}

// {valid, output_size, left_out, reason}; output_size is null when the kernel does not fit.
function check_hyperparameters(input_size, kernel_size, stride = 1, padding = 0) {
  const n = input_size;
  const k = kernel_size;
  const s = stride;
  const p = padding;
  const verdict = (valid, output_size, left_out, reason) => ({valid, output_size, left_out, reason});
  if (n < 1) {
    return verdict(false, null, 0, "The input must be at least 1\u00d71.");
  }
  if (k < 1) {
    return verdict(false, null, 0, "The kernel must be at least 1\u00d71.");
  }
  if (s < 1) {
    return verdict(false, null, 0, "The stride must be at least 1, or the kernel never moves.");
  }
  if (p < 0) {
    return verdict(false, null, 0, "Padding cannot be negative.");
  }
  const padded = n + 2 * p;
  if (k > padded) {
    const where = p === 0
      ? `the ${size_text(n)} input`
      : `the ${size_text(padded)} padded input (${size_text(n)} plus ${p} on each side)`;
    return verdict(false, null, 0, `The ${size_text(k)} kernel does not fit inside ${where}.`);
  }
  const output_size = Math.floor((padded - k) / s) + 1;
  const left_out = (padded - k) % s;
  if (left_out) {
    const lines = left_out === 1 ? "column and row" : `${left_out} columns and rows`;
    const of = p === 0 ? "input" : "padded input";
    const reason =
      `With stride ${s} the ${size_text(k)} kernel cannot reach the edge: ` +
      `${n} + 2\u00b7${p} \u2212 ${k} = ${padded - k} is not a multiple of ${s}, ` +
      `so the last ${lines} of the ${of} are never visited.`;
    return verdict(false, output_size, left_out, reason);
  }
  return verdict(true, output_size, 0, null);
}

// Pixels per side of the output; throws the student's sentence when the kernel does not fit.
function conv_output_size(input_size, kernel_size, stride = 1, padding = 0) {
  const check = check_hyperparameters(input_size, kernel_size, stride, padding);
  if (check.output_size == null) {
    throw new Error(check.reason);
  }
  return check.output_size;
}

// Every stop of the sliding kernel, row by row: {output_row, output_col, top, left},
// with top and left counted in the padded input.
function window_positions(input_size, kernel_size, stride = 1, padding = 0) {
  const size = conv_output_size(input_size, kernel_size, stride, padding);
  const positions = [];
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      positions.push({output_row: r, output_col: c, top: r * stride, left: c * stride});
    }
  }
  return positions;
}

return {check_hyperparameters, conv_output_size, window_positions};
