/* The forward trace in the browser: the JavaScript twin of explainer_core/arithmetic/trace.py.
 *
 * A plain script (no modules, no build step) that defines one global,
 * window.ExplainerTrace. Load it once per page; loading it again is harmless.
 *
 *   const network = ExplainerTrace.loadNetwork();          // the JSON block webmodel.py wrote
 *   const t = ExplainerTrace.trace(network, image);        // H*W*C channels-last: floats in [0, 1],
 *                                                          // or 8-bit values (Uint8Array), divided by 255
 *   t.outputs.conv_1_1       -> {shape: [62, 62, 10], data: Float32Array}   channels-last
 *   t.intermediates.conv_1_1 -> {shape: [10, 3, 62, 62], data: Float32Array} (out, in, H', W')
 *   t.logits, t.flattened, t.probabilities, t.predictedClass, t.predictedLabel
 *
 * It computes what the Python trace computes, step by step (kinds conv, relu,
 * maxpool, flatten, dense, softmax), for any sequential CNN the Python side
 * reads: nothing about Tiny VGG is assumed. Every stored number is float32, so
 * the results equal NumPy's to about 1e-6 (the tests require 1e-4 in every layer
 * and every intermediate result); sums are formed in double precision
 * and rounded once, except where the Python trace's own order of float32
 * additions is part of the contract (channel sums of a convolution, the softmax).
 *
 * The payload format ("explainer-network/1") is described in explainer_core/page/webmodel.py.
 */
(function (root) {
  "use strict";
  if (root.ExplainerTrace) return;

  const FORMAT = "explainer-network/1";
  const KINDS = ["conv", "relu", "maxpool", "flatten", "dense", "softmax"];
  const fround = Math.fround;
  const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

  function fail(message) {
    const error = new Error(message);
    error.name = "TraceError";
    return error;
  }

  // -- the payload ----------------------------------------------------------

  /** Bytes of a base64 string (atob, or Buffer outside a browser). */
  function base64Bytes(text) {
    if (typeof root.atob !== "function") return Uint8Array.from(root.Buffer.from(text, "base64"));
    const binary = root.atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  /** A Float32Array from base64 little-endian float32 bytes. */
  function decodeBase64Float32(text) {
    const bytes = base64Bytes(text);
    if (bytes.length % 4 !== 0) throw fail("The weights are not a whole number of float32 values.");
    if (LITTLE_ENDIAN) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    const view = new DataView(bytes.buffer);
    const out = new Float32Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }

  /** Base64 of a Float32Array's little-endian bytes (the inverse of decodeBase64Float32). */
  function encodeFloat32Base64(array) {
    let bytes;
    if (LITTLE_ENDIAN) {
      bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    } else {
      bytes = new Uint8Array(array.length * 4);
      const view = new DataView(bytes.buffer);
      for (let i = 0; i < array.length; i++) view.setFloat32(4 * i, array[i], true);
    }
    if (typeof root.btoa !== "function") return root.Buffer.from(bytes).toString("base64");
    let binary = "";
    const chunk = 0x8000;
    for (let i = 0; i < bytes.length; i += chunk) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk));
    }
    return root.btoa(binary);
  }

  const product = (shape) => shape.reduce((a, b) => a * b, 1);
  const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

  function slice(weights, ref, what) {
    if (!ref || !Array.isArray(ref.shape) || !Number.isInteger(ref.offset)) throw fail(`${what}: no weights reference.`);
    const size = product(ref.shape);
    if (ref.offset < 0 || ref.offset + size > weights.length) throw fail(`${what}: weights out of range.`);
    return weights.subarray(ref.offset, ref.offset + size);
  }

  /** Conv kernel (kH, kW, C, F) -> one contiguous kH*kW block per (filter, channel). */
  function kernelByFilterChannel(kernel, kh, kw, channels, filters) {
    const taps = kh * kw;
    const out = new Float32Array(kernel.length);
    for (let f = 0; f < filters; f++) {
      for (let c = 0; c < channels; c++) {
        const base = (f * channels + c) * taps;
        for (let t = 0; t < taps; t++) out[base + t] = kernel[(t * channels + c) * filters + f];
      }
    }
    return out;
  }

  /**
   * A network ready to trace, from the payload object (JSON.parse of webmodel.network_payload).
   * Checks that every step's shapes follow from the previous one, so a damaged payload
   * fails here with a message rather than later with wrong numbers.
   */
  function decodeNetwork(payload) {
    if (typeof payload === "string") payload = JSON.parse(payload);
    if (!payload || payload.format !== FORMAT) {
      throw fail(`Unknown network format ${payload && payload.format}; expected ${FORMAT}.`);
    }
    const weights = decodeBase64Float32(payload.weights);
    if (weights.length !== payload.weight_count) {
      throw fail(`The payload holds ${weights.length} weights but says ${payload.weight_count}.`);
    }
    const inputShape = payload.input_shape.slice();
    let shape = inputShape;
    const layers = payload.layers.map((spec) => {
      if (!KINDS.includes(spec.kind)) throw fail(`Step ${spec.name}: unknown kind ${spec.kind}.`);
      if (!same(spec.input_shape, shape)) {
        throw fail(`Step ${spec.name} expects input ${spec.input_shape} but receives ${shape}.`);
      }
      const step = {
        kind: spec.kind,
        name: spec.name,
        kerasName: spec.keras_name,
        inputShape: spec.input_shape.slice(),
        outputShape: spec.output_shape.slice(),
        window: spec.window ? spec.window.slice() : null,
        strides: spec.strides ? spec.strides.slice() : null,
        pads: spec.pads ? spec.pads.map((p) => p.slice()) : null,
        padding: spec.padding || null,
        kernel: null,
        bias: null,
      };
      if (step.kind === "conv" || step.kind === "maxpool") {
        const [h, w, c] = step.inputShape;
        const [kh, kw] = step.window;
        const [sh, sw] = step.strides;
        const [[pt, pb], [pl, pr]] = step.pads;
        const oh = Math.floor((h + pt + pb - kh) / sh) + 1;
        const ow = Math.floor((w + pl + pr - kw) / sw) + 1;
        const filters = step.kind === "conv" ? spec.kernel.shape[3] : c;
        if (!same(step.outputShape, [oh, ow, filters])) throw fail(`Step ${step.name}: inconsistent output shape.`);
      }
      if (step.kind === "conv") {
        step.kernel = slice(weights, spec.kernel, step.name);
        step.bias = slice(weights, spec.bias, step.name);
        const [kh, kw, c, f] = spec.kernel.shape;
        if (!same([kh, kw], step.window) || c !== step.inputShape[2] || step.bias.length !== f) {
          throw fail(`Step ${step.name}: kernel shape ${spec.kernel.shape} does not fit.`);
        }
        step.taps = kernelByFilterChannel(step.kernel, kh, kw, c, f);
      } else if (step.kind === "dense") {
        step.kernel = slice(weights, spec.kernel, step.name);
        step.bias = slice(weights, spec.bias, step.name);
        const [inputs, outputs] = spec.kernel.shape;
        if (step.inputShape.length !== 1 || inputs !== step.inputShape[0] || !same([outputs], step.outputShape)) {
          throw fail(`Step ${step.name}: kernel shape ${spec.kernel.shape} does not fit.`);
        }
      } else if (step.kind === "flatten") {
        if (product(step.inputShape) !== step.outputShape[0]) throw fail(`Step ${step.name}: wrong size.`);
      } else if (step.kind !== "maxpool" && !same(step.inputShape, step.outputShape)) {
        throw fail(`Step ${step.name}: ${step.kind} keeps the shape.`);
      }
      shape = step.outputShape;
      return Object.freeze(step);
    });
    const kinds = layers.map((s) => s.kind);
    if (kinds.filter((k) => k === "flatten").length !== 1 || kinds[kinds.length - 1] !== "softmax") {
      throw fail("The network needs exactly one flatten step and must end with a softmax.");
    }
    const classNames = payload.class_names ? payload.class_names.slice() : null;
    return {
      name: payload.name,
      inputShape,
      layers,
      layerNames: layers.map((s) => s.name),
      classNames,
      numClasses: shape[0],
      className: (i) => (classNames ? classNames[i] : `class ${i}`),
      layer: (name) => layers.find((s) => s.name === name),
      preprocess: Object.assign({}, payload.preprocess || {}),
      weightCount: weights.length,
      scratch: {},
    };
  }

  const cache = new Map();

  /**
   * The network embedded in the page: a <script type="application/json" id="..."> block,
   * or window.ExplainerNetworks[id] set by a network .js file. Decoded once per page.
   */
  function loadNetwork(id) {
    id = id || "explainer-network";
    if (cache.has(id)) return cache.get(id);
    let payload = root.ExplainerNetworks && root.ExplainerNetworks[id];
    if (!payload && root.document) {
      const element = root.document.getElementById(id);
      if (element) payload = JSON.parse(element.textContent);
    }
    if (!payload) throw fail(`This page has no network called ${id}.`);
    const network = decodeNetwork(payload);
    cache.set(id, network);
    return network;
  }

  // -- the operations (each mirrors explainer_core/arithmetic/ops.py) -------------------

  function scratch(network, key, Type, size) {
    const held = network.scratch[key];
    if (held && held.length >= size) return held;
    return (network.scratch[key] = new Type(size));
  }

  /** Intermediate results (F, C, OH, OW) and output (OH, OW, F), as ops.conv2d_intermediates + sum_intermediates. */
  function conv(network, step, x, parts, out) {
    const [h, w, channels] = step.inputShape;
    const [oh, ow, filters] = step.outputShape;
    const [kh, kw] = step.window;
    const [sh, sw] = step.strides;
    const [[pt, pb], [pl, pr]] = step.pads;
    const ph = h + pt + pb;
    const pw = w + pl + pr;
    const plane = ph * pw;
    const positions = oh * ow;
    const taps = kh * kw;
    // Channels first, zero padded: one contiguous map per input channel.
    const maps = scratch(network, "maps", Float32Array, channels * plane);
    maps.fill(0, 0, channels * plane);
    for (let r = 0; r < h; r++) {
      for (let q = 0; q < w; q++) {
        const src = (r * w + q) * channels;
        const dst = (r + pt) * pw + q + pl;
        for (let c = 0; c < channels; c++) maps[c * plane + dst] = x[src + c];
      }
    }
    const acc = scratch(network, "acc", Float64Array, positions);
    const weights = step.taps;
    for (let f = 0; f < filters; f++) {
      for (let c = 0; c < channels; c++) {
        acc.fill(0, 0, positions);
        const k = (f * channels + c) * taps;
        const m = c * plane;
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            const weight = weights[k + i * kw + j];
            for (let r = 0; r < oh; r++) {
              const src = m + (r * sh + i) * pw + j - r * ow;
              const end = r * ow + ow;
              if (sw === 1) {
                for (let p = r * ow; p < end; p++) acc[p] += weight * maps[src + p];
              } else {
                for (let p = r * ow, s = src + r * ow; p < end; p++, s += sw) acc[p] += weight * maps[s];
              }
            }
          }
        }
        parts.set(acc.subarray(0, positions), (f * channels + c) * positions);
      }
    }
    // Channel 0 + channel 1, then + channel 2, ..., then + bias, each in float32 (ops.sum_intermediates).
    const bias = step.bias;
    for (let f = 0; f < filters; f++) {
      const b = bias[f];
      const first = f * channels * positions;
      for (let p = 0; p < positions; p++) {
        let total = parts[first + p];
        for (let c = 1; c < channels; c++) total = fround(total + parts[first + c * positions + p]);
        out[p * filters + f] = total + b;
      }
    }
  }

  function relu(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? x[i] : 0;
  }

  /** Largest value of each window; padding never wins (it is -inf in ops.max_pool2d). */
  function maxpool(step, x, out) {
    const [h, w, channels] = step.inputShape;
    const [oh, ow] = step.outputShape;
    const [kh, kw] = step.window;
    const [sh, sw] = step.strides;
    const top = step.pads[0][0];
    const left = step.pads[1][0];
    for (let r = 0; r < oh; r++) {
      const r0 = Math.max(0, r * sh - top);
      const r1 = Math.min(h, r * sh - top + kh);
      for (let q = 0; q < ow; q++) {
        const q0 = Math.max(0, q * sw - left);
        const q1 = Math.min(w, q * sw - left + kw);
        const dst = (r * ow + q) * channels;
        for (let c = 0; c < channels; c++) {
          let largest = -Infinity;
          for (let i = r0; i < r1; i++) {
            let src = (i * w + q0) * channels + c;
            for (let j = q0; j < q1; j++, src += channels) if (x[src] > largest) largest = x[src];
          }
          out[dst + c] = largest;
        }
      }
    }
  }

  /** Each output unit: the float32 terms x[i] * kernel[i, j] (ops.dense_terms) summed in double, plus the bias. */
  function dense(network, step, x, out) {
    const inputs = step.inputShape[0];
    const outputs = step.outputShape[0];
    const kernel = step.kernel;
    const acc = scratch(network, "dense", Float64Array, outputs);
    acc.fill(0, 0, outputs);
    for (let i = 0; i < inputs; i++) {
      const v = x[i];
      const row = i * outputs;
      for (let j = 0; j < outputs; j++) acc[j] += fround(v * kernel[row + j]); // ops.dense_terms are float32
    }
    for (let j = 0; j < outputs; j++) out[j] = fround(acc[j]) + step.bias[j];
  }

  /** exp(z - max) / sum, in float32 as ops.softmax computes it. */
  function softmax(z, out) {
    let shift = -Infinity;
    for (let i = 0; i < z.length; i++) if (z[i] > shift) shift = z[i];
    let total = 0;
    for (let i = 0; i < z.length; i++) {
      out[i] = Math.exp(fround(z[i] - shift));
      total = fround(total + out[i]);
    }
    for (let i = 0; i < z.length; i++) out[i] = out[i] / total;
  }

  // -- the trace --------------------------------------------------------------

  /** The image as a Float32Array (H*W*C, channels-last): floats as given, 8-bit values divided by 255. */
  function asImage(network, image) {
    const size = product(network.inputShape);
    if (!image || typeof image.length !== "number") {
      throw fail("The trace needs the image as an array of H*W*C numbers (channels-last).");
    }
    if (image.length !== size) {
      throw fail(
        `The model needs a ${network.inputShape.join("×")} image (${size} numbers) but was given ${image.length}; ` +
          "ExplainerPreprocess.prepareImage resizes and crops any picture to fit.",
      );
    }
    const out = new Float32Array(size);
    const bytes = image instanceof Uint8Array || image instanceof Uint8ClampedArray;
    for (let i = 0; i < size; i++) {
      const v = bytes ? image[i] / 255 : image[i];
      if (!Number.isFinite(v)) throw fail("The image contains NaN or infinite values.");
      out[i] = v;
    }
    return out;
  }

  function buffer(previous, key, name, size) {
    const held = previous && previous[key][name];
    return held && held.data.length === size ? held.data : new Float32Array(size);
  }

  /**
   * Run ``image`` through ``network`` and keep every number (see the header comment).
   * options.reuse: an earlier trace of the same network whose arrays may be overwritten,
   * which saves allocating ~2.5 MB per image for Tiny VGG.
   */
  function trace(network, image, options) {
    const previous = options && options.reuse && options.reuse.network === network ? options.reuse : null;
    let x = asImage(network, image);
    const input = x;
    const outputs = {};
    const intermediates = {};
    let logits = null;
    let flattened = null;
    for (const step of network.layers) {
      const size = product(step.outputShape);
      let out;
      if (step.kind === "flatten") {
        out = x; // the same numbers, channels fastest, as Keras's Flatten
        flattened = { shape: step.outputShape, data: out };
      } else {
        out = buffer(previous, "outputs", step.name, size);
        if (step.kind === "conv") {
          const [oh, ow, filters] = step.outputShape;
          const shape = [filters, step.inputShape[2], oh, ow];
          const parts = buffer(previous, "intermediates", step.name, product(shape));
          conv(network, step, x, parts, out);
          intermediates[step.name] = { shape, data: parts };
        } else if (step.kind === "relu") {
          relu(x, out);
        } else if (step.kind === "maxpool") {
          maxpool(step, x, out);
        } else if (step.kind === "dense") {
          dense(network, step, x, out);
        } else {
          logits = { shape: step.inputShape, data: x };
          softmax(x, out);
        }
      }
      outputs[step.name] = { shape: step.outputShape, data: out };
      x = out;
    }
    let predicted = 0;
    for (let i = 1; i < x.length; i++) if (x[i] > x[predicted]) predicted = i;
    return {
      network,
      image: { shape: network.inputShape, data: input },
      outputs,
      intermediates,
      logits,
      flattened,
      probabilities: outputs[network.layers[network.layers.length - 1].name],
      predictedClass: predicted,
      predictedLabel: network.className(predicted),
    };
  }

  root.ExplainerTrace = Object.freeze({
    FORMAT,
    decodeBase64Float32,
    encodeFloat32Base64,
    decodeNetwork,
    loadNetwork,
    trace,
  });
})(typeof window !== "undefined" ? window : globalThis);
