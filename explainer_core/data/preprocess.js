/* Turn a picture the reader uploads into the model's input: the twin of explainer_core/data/preprocess.py.
 *
 * A plain script that defines one global, window.ExplainerPreprocess (loading it twice is harmless):
 *
 *   const fitted = await ExplainerPreprocess.fitRgb(file, [64, 64]);   // {shape: [64, 64, 3], data: Uint8ClampedArray}
 *   const t = ExplainerTrace.trace(network, fitted.data);             // 8-bit values are divided by 255
 *
 * The steps are Python's, in the same order:
 *   1. read the header only and refuse the file if it is empty, not a picture, an SVG,
 *      cut short, larger than MAX_PIXELS or longer and thinner than MAX_ASPECT_RATIO allows
 *      (before anything is decoded: checkDimensions is preprocess.check_dimensions);
 *   2. decode it upright: the browser applies the EXIF orientation, as ImageOps.exif_transpose does,
 *      and colour profiles are ignored (colorSpaceConversion "none"), as Pillow ignores them;
 *   3. composite transparency over white (by drawing onto a white canvas);
 *   4. resize keeping the aspect ratio so the shorter side fits, with a port of Pillow's BILINEAR
 *      (libImaging/Resample.c), then crop the centre (resizePlan is preprocess.resize_plan).
 *
 * Given the same RGB pixels, fitPixels returns exactly Pillow's bytes. From a file, the
 * result can differ by a grey level or two, only because the decoders differ:
 *   - JPEG: Chromium and Pillow both use libjpeg-turbo, but they may pick a different IDCT or
 *     chroma upsampling, which moves some decoded pixels by one or two levels;
 *   - transparency: a canvas stores premultiplied alpha, so compositing half-transparent pixels
 *     over white can round differently from Pillow's alpha_composite (at most one level);
 *   - lossless opaque PNG, GIF, BMP decode to the same pixels, so the results are identical.
 */
(function (root) {
  "use strict";
  if (root.ExplainerPreprocess) return;

  /** Largest picture accepted, width x height: the same limit as preprocess.MAX_PIXELS. */
  const MAX_PIXELS = 50000000;
  /** Longest side accepted as a multiple of the shorter side: preprocess.MAX_ASPECT_RATIO. */
  const MAX_ASPECT_RATIO = 100;
  /** Largest output height or width: preprocess.MAX_OUTPUT_SIDE. With MAX_ASPECT_RATIO it bounds the resize. */
  const MAX_OUTPUT_SIDE = 512;
  const PRECISION_BITS = 32 - 8 - 2; // Pillow's fixed point for 8-bit resampling
  const HALF = 1 << (PRECISION_BITS - 1);
  const FORMATS_WE_READ = "PNG, JPEG, GIF, BMP or WebP";

  class ImageError extends Error {
    constructor(message) {
      super(message);
      this.name = "ImageError";
    }
  }

  // -- step 1: the header ----------------------------------------------------

  const be16 = (b, i) => (b[i] << 8) | b[i + 1];
  const be32 = (b, i) => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
  const le16 = (b, i) => b[i] | (b[i + 1] << 8);
  const le24 = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
  const le32 = (b, i) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) | 0;
  const startsWith = (b, sig, at) => sig.every((v, i) => b[(at || 0) + i] === v);
  const ascii = (text) => Array.from(text, (c) => c.charCodeAt(0));

  /** Walk the PNG chunks: the size from IHDR, and whether the IEND chunk is there. */
  function sniffPng(b) {
    const info = { format: "PNG", width: 0, height: 0, complete: false };
    if (b.length >= 24 && startsWith(b, ascii("IHDR"), 12)) {
      info.width = be32(b, 16);
      info.height = be32(b, 20);
    }
    let at = 8;
    while (at + 8 <= b.length) {
      if (startsWith(b, ascii("IEND"), at + 4)) {
        info.complete = true;
        break;
      }
      at += 12 + be32(b, at);
    }
    return info;
  }

  /** Walk the JPEG markers, skipping entropy-coded data: the size from SOFn, and whether EOI is there. */
  function sniffJpeg(b) {
    const info = { format: "JPEG", width: 0, height: 0, complete: false };
    const n = b.length;
    let i = 2;
    while (i < n) {
      if (b[i] !== 0xff) {
        i++; // stray byte; libjpeg skips these too
        continue;
      }
      while (i < n && b[i] === 0xff) i++;
      if (i >= n) break;
      const marker = b[i++];
      if (marker === 0xd9) {
        info.complete = true;
        break;
      }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
      if (i + 2 > n) break;
      const length = be16(b, i);
      const sof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (sof && i + 7 <= n && !info.width) {
        info.height = be16(b, i + 3);
        info.width = be16(b, i + 5);
      }
      i += length;
      if (marker === 0xda) {
        // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or a restart.
        while (i + 1 < n) {
          if (b[i] === 0xff && b[i + 1] !== 0x00 && b[i + 1] !== 0xff && !(b[i + 1] >= 0xd0 && b[i + 1] <= 0xd7)) break;
          i++;
        }
        if (i + 1 >= n) break;
      }
    }
    return info;
  }

  function sniffWebp(b) {
    const info = { format: "WebP", width: 0, height: 0, complete: true };
    if (startsWith(b, ascii("VP8X"), 12) && b.length >= 30) {
      info.width = 1 + le24(b, 24);
      info.height = 1 + le24(b, 27);
    } else if (startsWith(b, ascii("VP8 "), 12) && b.length >= 30) {
      info.width = le16(b, 26) & 0x3fff;
      info.height = le16(b, 28) & 0x3fff;
    } else if (startsWith(b, ascii("VP8L"), 12) && b.length >= 25) {
      info.width = 1 + (((b[22] & 0x3f) << 8) | b[21]);
      info.height = 1 + (((b[24] & 0x0f) << 10) | (b[23] << 2) | ((b[22] & 0xc0) >> 6));
    }
    return info;
  }

  /** A few words on what unreadable bytes look like (as preprocess._guess_kind says them). */
  function guessKind(b) {
    const head = b.subarray(0, 512);
    let text = new TextDecoder("utf-8").decode(head);
    const body = text.replace(/^[\ufeff \t\r\n]+/, "").toLowerCase();
    if (body.includes("<svg") || (body.startsWith("<?xml") && text.toLowerCase().includes("svg"))) {
      return "it is an SVG drawing, which is made of shapes, not pixels; export it as PNG or JPEG first";
    }
    if (body.startsWith("<!doctype html") || body.startsWith("<html")) {
      return "it is a web page (HTML), not a picture; save the image itself instead";
    }
    text = Array.from(text);
    const readable = text.filter((ch) => {
      const code = ch.codePointAt(0);
      return ch === "\t" || ch === "\r" || ch === "\n" || (code >= 0x20 && !(code >= 0x7f && code < 0xa0) && code !== 0xfffd);
    }).length;
    if (text.length && readable >= 0.95 * text.length) return `it is text, not a picture; use ${FORMATS_WE_READ}`;
    return `its format is not one the browser knows; use ${FORMATS_WE_READ}`;
  }

  /**
   * What the first bytes say: {format, width, height, complete}; width and height are 0 when the
   * header does not say. Throws ImageError for bytes that are no picture the book can use.
   */
  function sniff(bytes) {
    const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    if (b.length === 0) throw new ImageError("The image is empty (0 bytes): there is no picture to read.");
    if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return sniffPng(b);
    if (startsWith(b, [0xff, 0xd8, 0xff])) return sniffJpeg(b);
    if (startsWith(b, ascii("GIF8"))) return { format: "GIF", width: le16(b, 6), height: le16(b, 8), complete: true };
    if (startsWith(b, ascii("RIFF")) && startsWith(b, ascii("WEBP"), 8)) return sniffWebp(b);
    if (startsWith(b, ascii("BM")) && b.length >= 26) {
      const small = le32(b, 14) === 12;
      const width = small ? le16(b, 18) : le32(b, 18);
      const height = small ? le16(b, 20) : le32(b, 22);
      return { format: "BMP", width: Math.abs(width), height: Math.abs(height), complete: true };
    }
    if (startsWith(b, ascii("II*\0")) || startsWith(b, ascii("MM\0*"))) {
      throw new ImageError("This is a TIFF file, which web browsers cannot show; save it as PNG or JPEG first.");
    }
    const kind = guessKind(b);
    if (!kind.startsWith("its format")) throw new ImageError(`This file is not an image the browser can read (${kind}).`);
    return { format: null, width: 0, height: 0, complete: true }; // let the browser try (AVIF, ICO, ...)
  }

  function tooLarge(width, height, maxPixels) {
    const pixels = (width * height).toLocaleString("en-US");
    return new ImageError(
      `This image is too large to open safely (${width} x ${height} = ${pixels} pixels). ` +
        `The book accepts images of up to ${maxPixels / 1e6} megapixels; shrink it first.`,
    );
  }

  /**
   * Refuse a picture from its size alone (preprocess.check_dimensions), in this order: more than
   * ``maxPixels`` pixels; no pixels; a long side more than MAX_ASPECT_RATIO times the short side.
   * Fitting keeps the short side, so without the last rule a 40000 x 1 PNG of 200 bytes would be
   * resized to 2,560,000 x 64 pixels to keep 64 x 64, freezing the tab.
   */
  function checkDimensions(width, height, maxPixels) {
    const limit = maxPixels || MAX_PIXELS;
    if (width * height > limit) throw tooLarge(width, height, limit);
    if (width === 0 || height === 0) throw new ImageError(`This image has no pixels (${width} x ${height}).`);
    if (Math.max(width, height) > MAX_ASPECT_RATIO * Math.min(width, height)) {
      throw new ImageError(
        `This image is ${width} x ${height} pixels: its long side is more than ${MAX_ASPECT_RATIO} times ` +
          "its short side, so the centre crop would keep almost nothing of it. " +
          "Crop it to a less extreme shape first.",
      );
    }
  }

  // -- steps 2 and 3: decode, upright, over white ------------------------------

  function damaged(format) {
    return new ImageError(
      `This image file is damaged or incomplete and could not be decoded (it starts like a ${format} file ` +
        "but the picture data is missing or broken). Try saving or downloading it again.",
    );
  }

  async function toBitmap(blob) {
    if (typeof root.createImageBitmap === "function") {
      const options = { imageOrientation: "from-image", colorSpaceConversion: "none", premultiplyAlpha: "default" };
      try {
        return await root.createImageBitmap(blob, options);
      } catch (error) {
        if (error && error.name === "TypeError") return await root.createImageBitmap(blob); // options unknown
        throw error;
      }
    }
    const url = URL.createObjectURL(blob); // older browsers: an <img>, which also honours EXIF
    try {
      const image = new root.Image();
      image.src = url;
      await image.decode();
      return image;
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  function canvas2d(width, height) {
    const canvas =
      typeof root.OffscreenCanvas === "function"
        ? new root.OffscreenCanvas(width, height)
        : Object.assign(root.document.createElement("canvas"), { width, height });
    return canvas.getContext("2d", { willReadFrequently: true });
  }

  async function asBlob(source) {
    if (typeof Blob !== "undefined" && source instanceof Blob) return source;
    if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return new Blob([source]);
    throw new ImageError("Give the picture as a File (from an <input type=file> or a drop) or a Blob.");
  }

  /**
   * Decode a File or Blob into upright RGBA pixels over a white background:
   * {pixels: Uint8ClampedArray, width, height, channels: 4, format}. Rejects with an ImageError.
   */
  async function readImage(source, options) {
    const maxPixels = (options && options.maxPixels) || MAX_PIXELS;
    const background = (options && options.background) || [255, 255, 255];
    const blob = await asBlob(source);
    if (blob.size === 0) throw new ImageError("The image is empty (0 bytes): there is no picture to read.");
    const info = sniff(new Uint8Array(await blob.arrayBuffer()));
    if (info.width && info.height) checkDimensions(info.width, info.height, maxPixels);
    if (!info.complete) throw damaged(info.format);
    let bitmap;
    try {
      bitmap = await toBitmap(blob);
    } catch (error) {
      if (info.format) throw damaged(info.format);
      throw new ImageError(`This file is not an image the browser can read (${guessKind(new Uint8Array(await blob.arrayBuffer()))}).`);
    }
    const width = bitmap.width || bitmap.naturalWidth;
    const height = bitmap.height || bitmap.naturalHeight;
    try {
      checkDimensions(width, height, maxPixels);
      const context = canvas2d(width, height);
      context.fillStyle = `rgb(${background[0]}, ${background[1]}, ${background[2]})`;
      context.fillRect(0, 0, width, height);
      context.drawImage(bitmap, 0, 0);
      const pixels = context.getImageData(0, 0, width, height).data;
      return { pixels, width, height, channels: 4, format: info.format };
    } finally {
      if (typeof bitmap.close === "function") bitmap.close();
    }
  }

  // -- step 4: resize and crop ---------------------------------------------------

  /** preprocess.resize_plan: resize to (width, height) so the shorter side fits, then crop from (left, top). */
  function resizePlan(width, height, size) {
    const [outHeight, outWidth] = size;
    if (!(width > 0 && height > 0)) throw new ImageError(`This image has no pixels (${width} x ${height}).`);
    const scale = Math.max(outWidth / width, outHeight / height);
    const newWidth = Math.max(outWidth, Math.floor(width * scale + 0.5));
    const newHeight = Math.max(outHeight, Math.floor(height * scale + 0.5));
    return {
      width: newWidth,
      height: newHeight,
      left: Math.floor((newWidth - outWidth) / 2),
      top: Math.floor((newHeight - outHeight) / 2),
    };
  }

  /**
   * Pillow's precompute_coeffs + normalize_coeffs_8bpc for the triangle (bilinear) filter:
   * for each output pixel, the first input pixel, how many are used, and their weights in
   * fixed point with PRECISION_BITS fractional bits.
   */
  function coefficients(inSize, outSize) {
    const scale = inSize / outSize;
    const filterScale = Math.max(scale, 1); // widen the triangle when shrinking (antialiasing)
    const support = 1.0 * filterScale;
    const ksize = Math.ceil(support) * 2 + 1;
    const bounds = new Int32Array(outSize * 2);
    const kk = new Int32Array(outSize * ksize);
    const w = new Float64Array(ksize);
    const ss = 1.0 / filterScale;
    for (let xx = 0; xx < outSize; xx++) {
      const center = (xx + 0.5) * scale;
      let ww = 0.0;
      const xmin = Math.max(0, Math.trunc(center - support + 0.5));
      const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
      for (let x = 0; x < xmax; x++) {
        const t = Math.abs((x + xmin - center + 0.5) * ss);
        w[x] = t < 1.0 ? 1.0 - t : 0.0;
        ww += w[x];
      }
      for (let x = 0; x < xmax; x++) {
        const k = ww !== 0.0 ? w[x] / ww : w[x];
        kk[xx * ksize + x] = k < 0 ? Math.trunc(-0.5 + k * (1 << PRECISION_BITS)) : Math.trunc(0.5 + k * (1 << PRECISION_BITS));
      }
      bounds[xx * 2] = xmin;
      bounds[xx * 2 + 1] = xmax;
    }
    return { ksize, bounds, kk };
  }

  const clip8 = (ss) => {
    const v = ss >> PRECISION_BITS;
    return v < 0 ? 0 : v > 255 ? 255 : v;
  };

  /** One horizontal pass over ``rows`` rows from row ``offset``: RGB bytes, ``outWidth`` wide. */
  function horizontalPass(pixels, width, channels, offset, rows, outWidth, coeffs) {
    const { ksize, bounds, kk } = coeffs;
    const out = new Uint8ClampedArray(outWidth * rows * 3);
    for (let yy = 0; yy < rows; yy++) {
      const row = (yy + offset) * width;
      for (let xx = 0; xx < outWidth; xx++) {
        const xmin = bounds[xx * 2];
        const xmax = bounds[xx * 2 + 1];
        const k = xx * ksize;
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        let p = (row + xmin) * channels;
        for (let x = 0; x < xmax; x++, p += channels) {
          const weight = kk[k + x];
          s0 += pixels[p] * weight;
          s1 += pixels[p + 1] * weight;
          s2 += pixels[p + 2] * weight;
        }
        const o = (yy * outWidth + xx) * 3;
        out[o] = clip8(s0);
        out[o + 1] = clip8(s1);
        out[o + 2] = clip8(s2);
      }
    }
    return out;
  }

  /** One vertical pass: RGB bytes, ``width`` wide and ``outHeight`` high; row bounds shifted up by ``shift``. */
  function verticalPass(pixels, width, channels, outHeight, coeffs, shift) {
    const { ksize, bounds, kk } = coeffs;
    const out = new Uint8ClampedArray(width * outHeight * 3);
    const rowStride = width * channels;
    for (let yy = 0; yy < outHeight; yy++) {
      const ymin = bounds[yy * 2] - shift;
      const ymax = bounds[yy * 2 + 1];
      const k = yy * ksize;
      for (let xx = 0; xx < width; xx++) {
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        let p = ymin * rowStride + xx * channels;
        for (let y = 0; y < ymax; y++, p += rowStride) {
          const weight = kk[k + y];
          s0 += pixels[p] * weight;
          s1 += pixels[p + 1] * weight;
          s2 += pixels[p + 2] * weight;
        }
        const o = (yy * width + xx) * 3;
        out[o] = clip8(s0);
        out[o + 1] = clip8(s1);
        out[o + 2] = clip8(s2);
      }
    }
    return out;
  }

  /**
   * Pillow's Image.resize(..., BILINEAR) of 8-bit RGB (ImagingResampleInner): two separable
   * passes, each rounded to 8 bits. The horizontal pass runs first, over only the rows the
   * vertical pass reads, unless the height shrinks by more than twice as many pixels as the
   * width, in which case the vertical pass runs first (Pillow 13's rule; the order changes
   * the 8-bit rounding in between). ``pixels`` holds ``channels`` (3 or 4) bytes per pixel,
   * R, G, B first. Returns RGB bytes.
   */
  function resizeBilinear(pixels, width, height, channels, outWidth, outHeight) {
    const needHorizontal = outWidth !== width;
    const needVertical = outHeight !== height;
    const dh = height - outHeight;
    const horizontalFirst = !(dh > 0 && dh > (width - outWidth) * 2);
    let image = pixels;
    let stride = channels;
    if (horizontalFirst) {
      if (needHorizontal) {
        const vertical = coefficients(height, outHeight);
        const yFirst = vertical.bounds[0];
        const yLast = vertical.bounds[outHeight * 2 - 2] + vertical.bounds[outHeight * 2 - 1];
        image = horizontalPass(image, width, stride, yFirst, yLast - yFirst, outWidth, coefficients(width, outWidth));
        stride = 3;
        if (needVertical) image = verticalPass(image, outWidth, stride, outHeight, vertical, yFirst);
      } else if (needVertical) {
        image = verticalPass(image, width, stride, outHeight, coefficients(height, outHeight), 0);
        stride = 3;
      }
    } else {
      // needVertical is true here; the horizontal pass, if any, reads every row of the result.
      image = verticalPass(image, width, stride, outHeight, coefficients(height, outHeight), 0);
      stride = 3;
      if (needHorizontal) image = horizontalPass(image, width, stride, 0, outHeight, outWidth, coefficients(width, outWidth));
    }
    if (stride === 3) return image;
    const out = new Uint8ClampedArray(width * height * 3); // no resize: RGB copy
    for (let i = 0, p = 0; i < out.length; i += 3, p += stride) {
      out[i] = image[p];
      out[i + 1] = image[p + 1];
      out[i + 2] = image[p + 2];
    }
    return out;
  }

  function checkOutputSize(size) {
    const ok = Array.isArray(size) && size.length === 2 &&
      size.every((v) => Number.isInteger(v) && v > 0 && v <= MAX_OUTPUT_SIDE);
    if (!ok) {
      throw new ImageError(
        `size must be [height, width] with two whole numbers from 1 to ${MAX_OUTPUT_SIDE}, not ${JSON.stringify(size)}.`,
      );
    }
    return size;
  }

  /**
   * Already decoded pixels fitted to ``size`` = [height, width] (preprocess.fit_rgb after decoding):
   * {shape: [H, W, 3], data: Uint8ClampedArray, plan}. Alpha, if any, is ignored.
   */
  function fitPixels(pixels, width, height, channels, size) {
    const [outHeight, outWidth] = checkOutputSize(size || [64, 64]);
    const plan = resizePlan(width, height, [outHeight, outWidth]);
    const resized = resizeBilinear(pixels, width, height, channels, plan.width, plan.height);
    const data = new Uint8ClampedArray(outHeight * outWidth * 3);
    for (let r = 0; r < outHeight; r++) {
      const from = ((r + plan.top) * plan.width + plan.left) * 3;
      data.set(resized.subarray(from, from + outWidth * 3), r * outWidth * 3);
    }
    return { shape: [outHeight, outWidth, 3], data, plan };
  }

  /**
   * A File or Blob as the model's 8-bit RGB input, ``size`` = [height, width] (preprocess.fit_rgb):
   * resolves to {shape, data: Uint8ClampedArray, plan, original: {width, height, format, pixels, channels}}
   * (``original.pixels`` is the decoded picture, kept so a page can show it beside the fit).
   * ``options``: {maxPixels, background}, e.g. a network's ``preprocess`` settings.
   */
  async function fitRgb(source, size, options) {
    checkOutputSize(size || [64, 64]);
    const image = await readImage(source, options);
    const fitted = fitPixels(image.pixels, image.width, image.height, image.channels, size || [64, 64]);
    fitted.original = { width: image.width, height: image.height, format: image.format,
                        pixels: image.pixels, channels: image.channels };
    return fitted;
  }

  /** fitRgb scaled to [0, 1] as float32 (preprocess.prepare_image): {shape, data: Float32Array, ...}. */
  async function prepareImage(source, size, options) {
    const fitted = await fitRgb(source, size, options);
    const data = new Float32Array(fitted.data.length);
    for (let i = 0; i < data.length; i++) data[i] = fitted.data[i] / 255;
    return Object.assign(fitted, { data });
  }

  root.ExplainerPreprocess = Object.freeze({
    MAX_PIXELS,
    MAX_ASPECT_RATIO,
    MAX_OUTPUT_SIDE,
    ImageError,
    sniff,
    checkDimensions,
    readImage,
    resizePlan,
    resizeBilinear,
    fitPixels,
    fitRgb,
    prepareImage,
  });
})(typeof window !== "undefined" ? window : globalThis);
