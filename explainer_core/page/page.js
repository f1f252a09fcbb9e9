/* One page, one picture: change the image every view on the page explains.
 *
 * A plain script loaded once per page after BokehJS, trace.js and
 * preprocess.js. It defines window.ExplainerPage:
 *
 *   await ExplainerPage.showImage(blob, {label})  // decode, fit, trace, refill every view
 *
 * Views take part by carrying a CustomJS named "explainer-refill" (see
 * explainer_core/views/refill.py); showImage runs each with
 * cb_data = {trace, picture, network}. Nothing is changed unless the new picture
 * was decoded and traced without error, so a broken upload leaves the page as
 * it was and only the message changes. When the reader chooses again before a
 * picture is shown (a large photo decodes slowly), only the last choice is shown.
 */
(function (root) {
  "use strict";
  if (root.ExplainerPage) return;

  // The page protocol: the same names as explainer_core/page/protocol.py (a test keeps them equal).
  const REFILL = "explainer-refill";
  const STATUS = "explainer-status";
  // Text alternatives of the views (explainer_core/views/access.py), rewritten after every refill.
  const DESCRIBE = "explainer-describe";

  function* allModels() {
    const bokeh = root.Bokeh;
    if (!bokeh || !bokeh.documents) return;
    for (const doc of bokeh.documents) {
      for (const model of doc.all_models) yield model;
    }
  }

  /** Every view's refill callback on the page, in document order. */
  function refillCallbacks() {
    return [...allModels()].filter((m) => m.name === REFILL);
  }

  /** Every status message (a Bokeh Div named "explainer-status") on the page. */
  function statusDivs() {
    return [...allModels()].filter((m) => m.name === STATUS);
  }

  function say(text, kind) {
    const colour = kind === "error" ? "#b2182b" : "#333";
    for (const div of statusDivs()) {
      div.text = text;
      div.styles = {...div.styles, color: colour};
    }
  }

  // latest: the number of the newest request; pending: requests not finished yet (shown, dropped or failed).
  const state = {busy: false, latest: 0, pending: 0, last: null, timings: null};
  // Refills run one request at a time, each to the end, so the views never mix two pictures.
  let refilling = Promise.resolve();

  /**
   * Decode, fit and trace a picture, then refill every view; returns the trace.
   *
   * The latest request wins. One overtaken by a newer request resolves to null and leaves the
   * message alone; overtaken before its refill began (while decoding, say), it changes nothing.
   */
  async function showImage(blob, options = {}) {
    const request = ++state.latest;
    const isLatest = () => request === state.latest;
    state.pending++;
    state.busy = true;
    try {
      return await fitTraceRefill(blob, options, isLatest);
    } finally {
      state.pending--;
      state.busy = state.pending > 0;
    }
  }

  async function fitTraceRefill(blob, options, isLatest) {
    const label = options.label || (blob && blob.name) || "your picture";
    const network = root.ExplainerTrace.loadNetwork();
    const [height, width] = network.inputShape;
    const started = performance.now();
    let picture;
    try {
      picture = await root.ExplainerPreprocess.fitRgb(blob, [height, width], {
        maxPixels: network.preprocess.max_pixels,
        background: network.preprocess.background,
      });
    } catch (error) {
      if (!isLatest()) return null;
      say(`${label} cannot be used: ${error.message} The views still show the previous picture.`, "error");
      throw error;
    }
    if (!isLatest()) return null;
    const fitted = performance.now();
    const trace = root.ExplainerTrace.trace(network, picture.data);
    const traced = performance.now();
    const refill = refilling.then(async () => {
      if (!isLatest()) return false;
      for (const callback of refillCallbacks()) {
        await callback.execute(callback, {trace, picture, network, label});
      }
      state.last = {label, trace, picture};
      for (const callback of [...allModels()].filter((m) => m.name === DESCRIBE)) {
        await callback.execute(callback, {trace, label});
      }
      return true;
    });
    refilling = refill.catch(() => {});
    if (!(await refill)) return null;
    const refilled = performance.now();
    state.timings = {fit: fitted - started, trace: traced - fitted, refill: refilled - traced,
                     total: refilled - started};
    if (!isLatest()) return null; // a newer request started while the views refilled; it speaks next
    const p = trace.probabilities.data[trace.predictedClass];
    say(`Showing ${label}: the network says ${trace.predictedLabel} (${(100 * p).toFixed(1)} %).`, "info");
    return trace;
  }

  // -- helpers the views' refill callbacks share ------------------------------

  /** A new (h, w) image column value of the same kind (a Bokeh NDArray) as ``like``. */
  function grid(like, h, w) {
    return new like.constructor(h * w, [h, w]);
  }

  /** Channel ``c`` of a channels-last (h, w, count) array as an (h, w) grid like ``like``, rows top first. */
  function plane(values, h, w, count, c, like) {
    const out = grid(like, h, w);
    for (let i = 0, k = c; i < h * w; i++, k += count) out[i] = values[k];
    return out;
  }

  const MODES = ["layer", "unit", "module", "global"];

  /** The heatmap layers grouped as explainer_core.arithmetic.scales.scale_groups groups them. */
  function scaleGroups(network, mode) {
    if (!MODES.includes(mode)) throw new Error(`mode must be one of ${MODES.join(", ")}, not ${mode}.`);
    const groups = [];
    let current = [];
    for (const step of network.layers) {
      if (!["conv", "relu", "maxpool"].includes(step.kind) || step.outputShape.length !== 3) continue;
      const starts = mode === "layer" || (mode === "unit" && step.kind === "conv");
      if (starts && current.length) {
        groups.push(current);
        current = [];
      }
      current.push(step.name);
      if (mode === "module" && step.kind === "maxpool") {
        groups.push(current);
        current = [];
      }
    }
    if (current.length) groups.push(current);
    return mode === "global" ? [groups.flat()] : groups;
  }

  /** The symmetric colour range of every heatmap layer: explainer_core.arithmetic.scales.color_ranges. */
  function colorRanges(trace, mode) {
    const ranges = {};
    for (const group of scaleGroups(trace.network, mode)) {
      let largest = 0;
      for (const name of group) {
        const values = trace.outputs[name].data;
        for (let i = 0; i < values.length; i++) {
          const a = Math.abs(values[i]);
          if (a > largest) largest = a;
        }
      }
      for (const name of group) ranges[name] = largest === 0 ? [-1, 1] : [-largest, largest];
    }
    return ranges;
  }

  /**
   * The colour range of a step's input, as conv_view.map_mapper chooses it: the previous
   * layer's range (``previousRange``) when there is one, else the picture's own values
   * (at least [0, 1] for a colour picture, else symmetric around zero).
   */
  function inputRange(values, channels, previousRange) {
    if (previousRange) return previousRange;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (channels === 3) return [Math.min(0, lo), Math.max(1, hi)];
    const limit = Math.max(Math.abs(lo), Math.abs(hi)) || 1e-6;
    return [-limit, limit];
  }

  root.ExplainerPage = {showImage, refillCallbacks, state, REFILL, STATUS, grid, plane, scaleGroups, colorRanges,
                        inputRange};
})(window);
