// Overview: which layers share a colour scale (one per layer, unit, module, or global), and the
// maps' colours. The maps are drawn as one RGBA image per column (the mosaic source; the map
// sources keep the maps' numbers), coloured here exactly as Bokeh's LinearColorMapper colours a value: index
// floor((v - low) / (high - low) * N) of its N-colour palette, computed as BokehJS computes it,
// below the palette's first colour, above its last, v == high the last, NaN the mapper's nan_color.
// Each palette is converted to packed RGBA once; Bokeh's colour mapping does no work per map.
// Runs when the reader picks a range mode, and from fill.js with cb_data.images (new maps by
// layer, "input" for the picture's channels), which are then set together with their colours.
// args: mode (the RadioButtonGroup), modes (its labels' keys), ranges (name + one limit column
//       per mode, from explainer_core.arithmetic.scales.color_ranges), mappers (layer -> colour mapper),
//       describe (the text alternatives: the legend's numbers change with the range),
//       sources (layer -> map source, "input" -> the picture's channels), input_mappers (one per channel),
//       mosaic (one row per column of maps: its RGBA image, where it is drawn, and the column's name).
const {grid} = window.ExplainerKit;
const fresh = (cb_data && cb_data.images) || null;
const key = modes[mode.active];
const d = ranges.data;

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
  const kept = mapper.__overview_rgba;
  if (kept && kept.palette === palette && kept.nan === nan_color && kept.low === low_color &&
      kept.high === high_color) return kept.lut;
  const n = palette.length;
  const colours = [...palette, nan_color, low_color ?? palette[0], high_color ?? palette[n - 1]];
  const lut = new Uint32Array(colours.length);
  const bytes = new Uint8Array(lut.buffer);
  colours.forEach((c, i) => bytes.set(bytesOf(c), 4 * i));
  mapper.__overview_rgba = {palette, nan: nan_color, low: low_color, high: high_color, lut};
  return lut;
}

// The colours of ``map`` (an image column value) with ``mapper``'s palette over its [low, high],
// written into ``out`` (packed RGBA) from index ``at`` on.
function colour(map, mapper, out, at) {
  const lut = packedPalette(mapper);
  const n = lut.length - 3;
  const [nan, below, above] = [lut[n], lut[n + 1], lut[n + 2]];
  const {low, high} = mapper;
  // BokehJS's LinearColorMapper: scan gives norm_factor and normed_interval, value_to_index uses them
  const normFactor = 1 / (high - low);
  const normedInterval = 1 / n;
  for (let i = 0, end = map.length; i < end; i++) {
    const v = map[i];
    if (isNaN(v)) {
      out[at + i] = nan;
    } else if (v == high) {  // eslint-disable-line eqeqeq
      out[at + i] = lut[n - 1];
    } else {
      const index = Math.floor((v - low) * normFactor / normedInterval);
      out[at + i] = index < 0 ? below : index >= n ? above : lut[index];
    }
  }
}

// A column's maps as one RGBA image, the mosaic image_rgba draws over the column: the maps one
// below the other, top row first, each gap between them a whole number of the maps' pixels (the
// nearest to the gap on the page; the mosaic spans the column from its first map's top edge to its
// last map's bottom edge), the gaps transparent.
function mosaicOf(source, maps, mapperOf, like) {
  const {y, dw} = source.data;
  const [h, w] = maps[0].shape;
  const gap = maps.length > 1 ? Math.round((y[1] - y[0] - dw[0]) * h / dw[0]) : 0;
  const out = grid(like, maps.length * h + (maps.length - 1) * gap, w);
  maps.forEach((map, k) => colour(map, mapperOf(k), out, k * (h + gap) * w));
  return out;
}

const m = mosaic.data;
const rgba = m.rgba.slice();
let changed = false;
function draw(layer, source, maps, mapperOf) {
  const row = m.layer.indexOf(layer);
  rgba[row] = mosaicOf(source, maps, mapperOf, m.rgba[row]);
  changed = true;
  if (fresh) source.data = {...source.data, image: maps};
}

d.name.forEach((layer, i) => {
  const limit = d[key][i];
  const mapper = mappers[layer];
  if (mapper.low !== -limit || mapper.high !== limit) {
    // one change (and one redraw of a colour bar) for both ends
    mapper.setv({low: -limit, high: limit}, {silent: true});
    mapper.update_data();
  }
  if (fresh || mapper.__overview_drawn !== limit) {
    draw(layer, sources[layer], fresh ? fresh[layer] : sources[layer].data.image, () => mapper);
    mapper.__overview_drawn = limit;
  }
});
if (fresh && fresh.input) draw("input", sources.input, fresh.input, (k) => input_mappers[k]);
if (changed) mosaic.data = {...m, rgba};
// after a new picture page.js rewrites every text alternative; the reader's mode changes one
if (!fresh) describe.execute(mode);
