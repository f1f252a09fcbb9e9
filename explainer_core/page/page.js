/* One page, one picture: change the image every view on the page explains.
 *
 * A plain script loaded once per page after BokehJS, trace.js and
 * preprocess.js. It defines window.ExplainerPage:
 *
 *   await ExplainerPage.showImage(blob, {label})  // decode, fit, trace, refill every view
 *
 *   await ExplainerPage.fillDocument(doc)         // a document's first frame, from its views' own pictures
 *
 * Views take part by carrying a CustomJS named "explainer-refill", their fill (see
 * explainer_core/views/kit/refill.py); both run each with
 * cb_data = {trace, picture, network, label, first}. Nothing is changed unless the new picture
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
  // Text alternatives of the views (explainer_core/views/kit/access.py), rewritten after every refill.
  const DESCRIBE = "explainer-describe";
  // The source holding the picture a view was built for (explainer_core/views/kit/refill.py).
  const PICTURE = "explainer-picture";

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
        await callback.execute(callback, {trace, picture, network, label, first: false});
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
    // the status line redraws itself alone too (a change of its height is laid out by BokehJS's resize observer)
    await withoutRelayout(async () =>
      say(`Showing ${label}: the network says ${trace.predictedLabel} (${root.ExplainerKit.percent(p)}).`, "info"));
    return trace;
  }

  /** Bytes of a base64 string. */
  function bytesOf(text) {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }

  /**
   * A view's own picture (a source named PICTURE, its numbers in the page's JSON block of the same
   * name: views/kit/refill.py) as the picture of cb_data, shaped like what fitRgb gives.
   */
  function pictureOf(source) {
    const column = (name) => source.data[name][0];
    const identifier = column("picture");
    const block = root.document.getElementById(identifier);
    if (block == null) throw new Error(`This page does not hold the picture ${identifier}.`);
    const payload = JSON.parse(block.textContent);
    const shape = Array.from(column("shape"));
    const data = payload.pixels != null ? bytesOf(payload.pixels) : new Float32Array(bytesOf(payload.values).buffer);
    const picture = {shape, data, network: column("network"), label: column("label") || "the picture"};
    if (payload.photo_shape != null) {
      const [height, width, channels] = payload.photo_shape;
      const [originalWidth, originalHeight] = payload.original_size;
      const pixels = payload.photo != null ? bytesOf(payload.photo) : data;  // else the photo is the input
      picture.original = {pixels, width, height, channels, originalWidth, originalHeight};
    }
    return picture;
  }

  /**
   * Draw the first frame of every view of ``doc`` that carries its own picture: trace each picture
   * once (on the network the picture names) and run those views' fills with it, in document order.
   * Run once the document is drawn (views/kit/access_ready.js), before the text alternatives.
   */
  // The first frames' traces by picture name: views of the same picture in several documents share one.
  const firstTraces = new Map();

  async function fillDocument(doc) {
    let filled = 0;
    for (const callback of [...doc.all_models].filter((m) => m.name === REFILL)) {
      const args = callback.args instanceof Map ? callback.args : new Map(Object.entries(callback.args || {}));
      const source = args.get("view_picture");
      if (source == null || source.name !== PICTURE) continue;
      const name = JSON.stringify([source.data.picture[0], source.data.network[0], source.data.label[0]]);
      if (!firstTraces.has(name)) {
        const picture = pictureOf(source);
        const network = root.ExplainerTrace.loadNetwork(picture.network);
        firstTraces.set(name, {picture, network, trace: root.ExplainerTrace.trace(network, picture.data)});
      }
      const {picture, network, trace} = firstTraces.get(name);
      filled++;
      await callback.execute(callback, {trace, picture, network, label: picture.label, first: true});
      if (state.last == null) state.last = {label: picture.label, trace, picture};
    }
    return filled;
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
        // what DivView.render writes, into the element it already drew (a full render rebuilds the
        // element and its stylesheets first)
        if (this.markup_el != null && this.markup_el.isConnected && !this.model.render_as_text) {
          const text = this.model.text;
          this.markup_el.innerHTML = this.has_math_disabled() ? text : this.process_tex(text);
          return;
        }
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

  root.ExplainerPage = {showImage, fillDocument, refillCallbacks, state, REFILL, STATUS};
})(window);
