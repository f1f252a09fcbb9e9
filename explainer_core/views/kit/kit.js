/* The views' JavaScript kit: what every view's callbacks share, written once.
 *
 * A plain script loaded once per page (the book's Sphinx extension serves it from
 * _static; outside the book explainer_core.page.embed.show puts it beside the view),
 * before any view is drawn. It defines window.ExplainerKit:
 *
 *   fmt(v)                 a number as every view writes it: 3 decimals, a true minus sign, never "−0.000"
 *   signed(v, places)      the same with `places` decimals (text alternatives)
 *   percent(p)             a probability as "87.5 %"
 *   sig(v)                 four significant digits, ×10ⁿ outside [0.001, 100000) (softmax terms)
 *   windowOrigin(m, p)     the sliding-window rule: output pixel p's row, column and window origin
 *   windowNearest(m, r, c) its inverse for the pointer: the output pixel whose window is centred nearest
 *   stepInput(trace, layer) a step of a trace and the values it reads
 *   grid, plane            image columns of the right kind (a Bokeh NDArray), rows top first
 *   scaleGroups, colorRanges, inputRange, targetRange   the colour ranges of explainer_core/arithmetic/scales.py
 *   presetRanges, colourOnce               recolour many images at the cost of one
 *   colourRgba(mapper, values, out?, at?)  values as packed RGBA, coloured exactly as a LinearColorMapper colours them
 *   ready(root, describe)                  once a document is drawn: name controls, draw the first frame, describe
 *
 * Python twins: explainer_core.views.kit.numbers.fmt, explainer_core.arithmetic.formulas.window_origin
 * and explainer_core.arithmetic.scales; explainer_core/twins.py lists every pair and
 * tests/test_twins.py keeps each pair equal.
 */
(function (root) {
  "use strict";
  if (root.ExplainerKit) return;

  const MINUS = "\u2212";

  /** ``v`` with ``places`` decimals (half away from zero, like toFixed), a true minus sign, no "−0". */
  function signed(v, places) {
    const s = Number(v).toFixed(places);
    return (/^-0(\.0*)?$/.test(s) ? s.slice(1) : s).replace("-", MINUS);
  }

  /** A probability as a percentage with one decimal ("87.5 %"), as the views and the status line say it. */
  function percent(p) {
    return `${signed(100 * p, 1)} %`;
  }

  /** A number as every view writes it: views/kit/numbers.py fmt. */
  function fmt(v) {
    return signed(v, 3);
  }

  const SUPERSCRIPT = {"-": "\u207b", 0: "\u2070", 1: "\u00b9", 2: "\u00b2", 3: "\u00b3", 4: "\u2074",
    5: "\u2075", 6: "\u2076", 7: "\u2077", 8: "\u2078", 9: "\u2079"};

  /** Four significant digits: views/softmax_view sig. */
  function sig(v) {
    if (v === 0) return "0";
    if (!Number.isFinite(v)) return v > 0 ? "\u221e" : MINUS + "\u221e";
    const a = Math.abs(v);
    const sign = v < 0 ? MINUS : "";
    if (a >= 1e-3 && a < 1e5) return sign + a.toFixed(Math.max(0, 3 - Math.floor(Math.log10(a))));
    let exponent = Math.floor(Math.log10(a));
    let mantissa = (a / 10 ** exponent).toFixed(3);
    if (mantissa === "10.000") {
      exponent += 1;
      mantissa = "1.000";
    }
    return `${sign}${mantissa}\u00d710${String(exponent).split("").map((d) => SUPERSCRIPT[d]).join("")}`;
  }

  /**
   * The sliding-window rule (explainer_core.arithmetic.formulas.window_origin): output pixel ``p``
   * (counted row by row, clamped to the map) of a step with ``m`` = {out_h, out_w, sh, sw, pt, pl}
   * sits at (r, c), and its window starts at input pixel (top, left), which may be in the padding.
   */
  function windowOrigin(m, p) {
    const last = m.out_h * m.out_w - 1;
    const q = Math.max(0, Math.min(Math.round(p), last));
    const r = Math.floor(q / m.out_w);
    const c = q % m.out_w;
    return {p: q, r, c, top: r * m.sh - m.pt, left: c * m.sw - m.pl};
  }

  /**
   * The inverse of the window rule, for the pointer: the output pixel (counted row by row) whose
   * window is centred nearest input pixel (row, col), clamped to the map.
   */
  function windowNearest(m, row, col) {
    const r = Math.round((row + m.pt - (m.kh - 1) / 2) / m.sh);
    const c = Math.round((col + m.pl - (m.kw - 1) / 2) / m.sw);
    return Math.max(0, Math.min(r, m.out_h - 1)) * m.out_w + Math.max(0, Math.min(c, m.out_w - 1));
  }

  /**
   * Step ``layer`` of a trace and what it reads: {index, step, previous (the step before, or null),
   * x (its input: the picture for the first step, else the previous step's output)}.
   */
  function stepInput(trace, layer) {
    const network = trace.network;
    const index = network.layerNames.indexOf(layer);
    const previous = index > 0 ? network.layers[index - 1].name : null;
    return {index, step: network.layers[index], previous, x: index === 0 ? trace.image : trace.outputs[previous]};
  }

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
   * The colour range of a step's input (explainer_core.arithmetic.scales.input_range): the previous
   * layer's range (``previousRange``) when there is one, else the picture's own values (at least
   * [0, 1] for a colour picture, else symmetric around zero).
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
   * The colour range of a dense layer's units (explainer_core.arithmetic.scales.target_range): logits
   * from the smallest to the largest (widened by 1 each way when all are equal); a hidden layer's
   * values symmetric around zero.
   */
  function targetRange(values, isLogit) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!isLogit) {
      const limit = Math.max(Math.abs(lo), Math.abs(hi)) || 1e-6;
      return [-limit, limit];
    }
    return hi > lo ? [lo, hi] : [lo - 1, hi + 1];
  }

  /**
   * Give colour mappers their new ranges ([[mapper, [low, high]], ...]) before the images they colour
   * are replaced, without colouring the old images again. BokehJS recolours every image of a mapper
   * on each change of its low and of its high, and again when the images change: set quietly first,
   * each new image is coloured once, with its new range (colour bars follow, as the images are
   * coloured). Only for mappers all of whose images get new data right after.
   */
  function presetRanges(pairs) {
    for (const [mapper, [low, high]] of pairs) mapper.setv({low, high}, {silent: true});
  }

  /**
   * Run ``replace()``, which gives new images to glyphs coloured by ``mappers``, with each mapper's
   * palette converted once and its colour bars redrawn once, at the end. BokehJS otherwise converts
   * the palette (hundreds of colour strings) for every image it colours, and redraws every colour bar
   * of the mapper after every image. The colours are the same. Returns what ``replace`` returns.
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

  // A CSS colour as the 4 bytes (r, g, b, a) BokehJS paints: hex written out, others as a canvas paints them.
  function bytesOf(colour) {
    const hex = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.exec(String(colour).trim());
    if (hex) {
      let h = hex[1];
      if (h.length <= 4) h = h.split("").map((x) => x + x).join("");
      if (h.length === 6) h += "ff";
      return [0, 2, 4, 6].map((i) => parseInt(h.slice(i, i + 2), 16));
    }
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.fillStyle = colour;
    ctx.fillRect(0, 0, 1, 1);
    return Array.from(ctx.getImageData(0, 0, 1, 1).data);
  }

  // A mapper's palette as packed RGBA values (as image_rgba reads them: bytes r, g, b, a in memory),
  // then its nan_color, low_color and high_color (the palette's ends unless set); kept on the mapper
  // while these stay the same.
  function packedPalette(mapper) {
    const {palette, nan_color, low_color, high_color} = mapper;
    const kept = mapper.__explainer_rgba;
    if (kept && kept.palette === palette && kept.nan === nan_color && kept.low === low_color &&
        kept.high === high_color) return kept.lut;
    const n = palette.length;
    const colours = [...palette, nan_color, low_color ?? palette[0], high_color ?? palette[n - 1]];
    const lut = new Uint32Array(colours.length);
    const bytes = new Uint8Array(lut.buffer);
    colours.forEach((c, i) => bytes.set(bytesOf(c), 4 * i));
    mapper.__explainer_rgba = {palette, nan: nan_color, low: low_color, high: high_color, lut};
    return lut;
  }

  /**
   * ``values`` coloured by ``mapper`` (a LinearColorMapper) exactly as BokehJS colours them (its
   * rgba_mapper.v_compute): index floor((v - low) / (high - low) * N) of its N-colour palette, computed
   * with BokehJS's own float operations, below the range its low_color (else the first colour), above
   * it its high_color (else the last), v == high the last colour, NaN its nan_color. Written as
   * packed RGBA (what image_rgba draws) into ``out`` from index ``at`` on (a new Uint32Array when
   * ``out`` is not given); returns ``out``. The palette is converted once per mapper (kept while
   * palette and colours stay), so drawing with image_rgba leaves BokehJS no colour mapping to do.
   */
  function colourRgba(mapper, values, out, at = 0) {
    const target = out ?? new Uint32Array(values.length);
    const lut = packedPalette(mapper);
    const n = lut.length - 3;
    const [nan, below, above] = [lut[n], lut[n + 1], lut[n + 2]];
    const {low, high} = mapper;
    // BokehJS's LinearColorMapper: scan gives norm_factor and normed_interval, value_to_index uses them
    const normFactor = 1 / (high - low);
    const normedInterval = 1 / n;
    for (let i = 0, end = values.length; i < end; i++) {
      const v = values[i];
      if (isNaN(v)) {
        target[at + i] = nan;
      } else if (v == high) {  // eslint-disable-line eqeqeq
        target[at + i] = lut[n - 1];
      } else {
        const index = Math.floor((v - low) * normFactor / normedInterval);
        target[at + i] = index < 0 ? below : index >= n ? above : lut[index];
      }
    }
    return target;
  }

  /**
   * Access for everyone, once Bokeh has drawn a document (its DocumentReady event; views/kit/access.py).
   * Bokeh draws every widget inside its own shadow DOM, where the page cannot name what it draws.
   * This does it, for the models of ``root``'s document:
   *  - a slider's handle (the element with role "slider") takes the slider's title as its name,
   *    and a whole-number slider says its value as a whole number ("12", not "12.00");
   *  - each button of a button group says whether it is the pressed one (aria-pressed);
   *  - a view wider than its column scrolls inside its box (explainer.css) and can then be
   *    focused, so that the keyboard can scroll it too;
   *  - the views draw their first picture (page.js fillDocument), then every text alternative (the
   *    callbacks named `describe`) is written for it.
   * ``root``: the embedded layout; ``describe``: the name of the description callbacks.
   */
  function ready(root, describe) {
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
  }

  /**
   * Text alternatives of figures whose view gave them none (views/kit/access.py, prepare): each
   * figure's title (read now: a refill may have rewritten it) or else the words drawn on it
   * (``bases``), and, when the layout follows the picture (``follows``), the name of the picture
   * the page shows (``label``, else the page's last).
   */
  function describePlots(plots, bases, follows, label) {
    const page = root.ExplainerPage;
    const picture = label || (page && page.state.last ? page.state.last.label : null);
    plots.forEach((plot, i) => {
      const base = bases[i] || (plot.title != null ? plot.title.text : "") || "Plot";
      const text = follows && picture ? `${base}, ${picture}` : base;
      plot.html_attributes = {...plot.html_attributes, "aria-label": text};
    });
  }

  root.ExplainerKit = {fmt, signed, percent, sig, windowOrigin, windowNearest, stepInput, grid, plane, MODES, scaleGroups, colorRanges, inputRange,
                       targetRange, presetRanges, colourOnce, colourRgba, ready, describePlots};
})(window);
