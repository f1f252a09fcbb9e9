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
    const refill = refilling.then(() => isLatest() && withoutRelayout(async () => {
      const callbacks = [...allModels()];
      for (const callback of callbacks.filter((m) => m.name === REFILL)) {
        await callback.execute(callback, {trace, picture, network, label});
      }
      state.last = {label, trace, picture};
      for (const callback of callbacks.filter((m) => m.name === DESCRIBE)) {
        await callback.execute(callback, {trace, label});
      }
      return true;
    }));
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

  // The prototype BokehJS's Div views share (found once), for withoutRelayout.
  let divViewPrototype;

  function findDivViewPrototype() {
    if (divViewPrototype === undefined) {
      const index = root.Bokeh && root.Bokeh.index;
      let found = null;
      if (index != null && typeof index.query === "function") {
        for (const view of index.query((v) => v.model != null && v.model.constructor.__name__ === "Div")) {
          found = Object.getPrototypeOf(view);
          break;
        }
      }
      if (found == null) return null;  // no Div drawn yet: look again next time
      divViewPrototype = found;
    }
    return divViewPrototype;
  }

  /**
   * Run ``work()`` (async) while a change of a Div's text redraws that Div alone. BokehJS otherwise lays
   * out every figure of the page again, synchronously, after each change of a Div's text, and the
   * refills rewrite readouts and formulas. The Div's size follows from the browser's layout as before,
   * and a Div (or a column around it) whose size changes is laid out again by BokehJS's own resize
   * observer, as after any resize.
   */
  async function withoutRelayout(work) {
    const proto = findDivViewPrototype();
    if (proto == null) return work();
    const own = Object.getOwnPropertyDescriptor(proto, "rerender");
    Object.defineProperty(proto, "rerender", {
      configurable: true,
      writable: true,
      value() {
        this.render();
        this.r_after_render();
      },
    });
    try {
      return await work();
    } finally {
      if (own) Object.defineProperty(proto, "rerender", own);
      else delete proto.rerender;
    }
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

  // the largest |value| of every heatmap layer of a trace, found once per trace (every view asks)
  const largestOf = new WeakMap();

  function largestValues(trace) {
    let largest = largestOf.get(trace);
    if (largest == null) {
      largest = {};
      for (const name of scaleGroups(trace.network, "global")[0] || []) {
        const values = trace.outputs[name].data;
        let top = 0;
        for (let i = 0; i < values.length; i++) {
          const a = Math.abs(values[i]);
          if (a > top) top = a;
        }
        largest[name] = top;
      }
      largestOf.set(trace, largest);
    }
    return largest;
  }

  /** The symmetric colour range of every heatmap layer: explainer_core.arithmetic.scales.color_ranges. */
  function colorRanges(trace, mode) {
    const layerLargest = largestValues(trace);
    const ranges = {};
    for (const group of scaleGroups(trace.network, mode)) {
      let largest = 0;
      for (const name of group) if (layerLargest[name] > largest) largest = layerLargest[name];
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

  /**
   * Give colour mappers their new ranges ([[mapper, [low, high]], ...]) before the images they colour
   * are replaced, without colouring the old images again. BokehJS recolours every image of a mapper
   * on each change of its low and of its high, and again when the images change: set quietly first,
   * each new image is coloured once, with its new range (colour bars follow, as the images are
   * coloured). A later assignment of the same numbers changes nothing. Only for mappers all of whose
   * images (and glyphs coloured through them) get new data right after.
   */
  function presetRanges(pairs) {
    for (const [mapper, [low, high]] of pairs) mapper.setv({low, high}, {silent: true});
  }

  /**
   * Run ``replace()``, which gives new images to glyphs coloured by ``mappers``, with each mapper's
   * palette converted once and its colour bars redrawn once, at the end. BokehJS otherwise converts
   * the palette (hundreds of colour strings) for every image it colours, and redraws every colour bar
   * of the mapper after every image. The colours are the same: each image is still mapped by its
   * mapper, with the same palette and range. Returns what ``replace`` returns.
   */
  function colourOnce(mappers, replace) {
    const held = [];
    for (const mapper of new Set(mappers)) {
      const signal = mapper.metrics_change;
      const entry = {mapper, signal, emitted: false};
      // an own property in front of BokehJS's getter, which builds the palette anew on every read
      Object.defineProperty(mapper, "rgba_mapper", {value: mapper.rgba_mapper, configurable: true});
      if (signal != null) signal.emit = () => { entry.emitted = true; };
      held.push(entry);
    }
    try {
      return replace();
    } finally {
      for (const {mapper, signal, emitted} of held) {
        delete mapper.rgba_mapper;
        if (signal != null) {
          delete signal.emit;
          if (emitted) signal.emit();
        }
      }
    }
  }

  root.ExplainerPage = {showImage, refillCallbacks, state, REFILL, STATUS, grid, plane, scaleGroups, colorRanges,
                        inputRange, presetRanges, colourOnce};
})(window);
