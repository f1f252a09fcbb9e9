// Draw the input view (or the picture changer's preview) for a picture: the only place its
// pixels are computed, for the first frame (cb_data.first) as after a new picture.
// Run by page.js with cb_data = {trace, picture, network, label, first}.
// args: photo, fitted (image_rgba sources), channels (one image source per input channel),
//       photo_x, photo_y (the photo plot's ranges), photo_plot (for its title), view_picture.
// picture.original is either the display copy of the view's own picture (first frame, from
// kit/refill.py picture_source: pixels at most 256 a side, originalWidth/originalHeight the
// photo's size) or the reader's photo at full size (fitRgb's original), shrunk here.
// Python reference (tests only): tests/view_oracles/input_view.py.
const {trace, picture} = cb_data;
const kit = window.ExplainerKit;
const input = trace.image;
const [height, width, count] = input.shape;

// Pack 8-bit pixels (``channels`` bytes each, one channel taken as grey) into the uint32 RGBA
// values image_rgba draws, bottom row first, in a column like ``like``.
function packed(pixels, w, h, channels, like) {
  const out = kit.grid(like, h, w);
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
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
  return out;
}

// The photo, shrunk for display only (kit/pictures.py display_copy: at most 256 pixels a side,
// rounded half up). resizeBilinear returns RGB, 3 bytes a pixel, whatever it was given. The
// first frame's picture is that display copy already.
const original = picture.original;
const fullWidth = original.originalWidth || original.width;
const fullHeight = original.originalHeight || original.height;
const scale = Math.min(1, 256 / Math.max(fullWidth, fullHeight));
const w = Math.max(1, Math.round(fullWidth * scale));
const h = Math.max(1, Math.round(fullHeight * scale));
const shrink = w !== original.width || h !== original.height;
const [small, smallChannels] = shrink
  ? [window.ExplainerPreprocess.resizeBilinear(original.pixels, original.width, original.height,
                                              original.channels, w, h), 3]
  : [original.pixels, original.channels];
const side = Math.max(w, h);
photo.data = {image: [packed(small, w, h, smallChannels, photo.data.image[0])],
              x: [(side - w) / 2], y: [(side - h) / 2], dw: [w], dh: [h]};
photo_x.end = side;
photo_y.end = side;
photo_plot.title.text = `your photo (${fullWidth}×${fullHeight})`;

// The model's input as 8-bit pixels (its first three channels, or its one channel as grey):
// round(value × 255), as kit/pictures.py's oracle does (exact for an 8-bit picture).
const shown = Math.min(count, 3);
const bytes = new Uint8Array(width * height * shown);
for (let i = 0, k = 0; i < width * height; i++) {
  for (let c = 0; c < shown; c++) {
    bytes[k++] = Math.min(255, Math.max(0, Math.round(input.data[i * count + c] * 255)));
  }
}
fitted.data = {image: [packed(bytes, width, height, shown, fitted.data.image[0])]};

// Each channel heatmap shows the traced input itself (values in [0, 1]), bottom row first.
channels.forEach((source, channel) => {
  const values = kit.grid(source.data.image[0], height, width);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) values[(height - 1 - r) * width + c] = input.data[(r * width + c) * count + channel];
  }
  source.data = {image: [values]};
});
