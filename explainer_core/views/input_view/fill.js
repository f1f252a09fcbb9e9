// Refill the input view for a new picture (run by page.js with cb_data = {trace, picture}).
// args: photo, fitted (image_rgba sources), channels (one image source per input channel),
//       photo_x, photo_y (the photo plot's ranges), photo_plot (for its title).
// The numbers are those of input_view.input_data in explainer_core/views/input_view.py.
const {trace, picture} = cb_data;
const [height, width] = picture.shape;

// Pack 8-bit RGB(A) pixels into the uint32 RGBA values image_rgba draws, bottom row first.
function packed(pixels, w, h, channels, like) {
  const out = new Uint32Array(w * h);
  const bytes = new Uint8Array(out.buffer);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const from = (r * w + c) * channels;
      const to = ((h - 1 - r) * w + c) * 4;
      bytes[to] = pixels[from];
      bytes[to + 1] = pixels[from + (channels > 2 ? 1 : 0)];
      bytes[to + 2] = pixels[from + (channels > 2 ? 2 : 0)];
      bytes[to + 3] = 255;
    }
  }
  return new like.constructor(out.buffer, [h, w]);
}

// The photo as the reader gave it, shrunk for display only (input_view._display_copy: at most
// 256 pixels a side). resizeBilinear returns RGB, 3 bytes a pixel, whatever it was given.
const original = picture.original;
const scale = Math.min(1, 256 / Math.max(original.width, original.height));
const w = Math.max(1, Math.round(original.width * scale));
const h = Math.max(1, Math.round(original.height * scale));
const [small, smallChannels] = scale < 1
  ? [window.ExplainerPreprocess.resizeBilinear(original.pixels, original.width, original.height,
                                              original.channels, w, h), 3]
  : [original.pixels, original.channels];
const side = Math.max(w, h);
photo.data = {image: [packed(small, w, h, smallChannels, photo.data.image[0])],
              x: [(side - w) / 2], y: [(side - h) / 2], dw: [w], dh: [h]};
photo_x.end = side;
photo_y.end = side;
photo_plot.title.text = `your photo (${original.width}×${original.height})`;

fitted.data = {image: [packed(picture.data, width, height, 3, fitted.data.image[0])]};

// Each channel heatmap shows the traced input itself (values in [0, 1]), bottom row first.
const input = trace.image;
channels.forEach((source, channel) => {
  const previous = source.data.image[0];
  const values = new Float32Array(width * height);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      values[(height - 1 - r) * width + c] = input.data[(r * width + c) * input.shape[2] + channel];
    }
  }
  source.data = {image: [new previous.constructor(values.buffer, [height, width])]};
});
