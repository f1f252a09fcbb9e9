// Overview: which layers share a colour scale (one per layer, unit, module, or global), and the
// maps' colours. The maps are drawn as one RGBA image per column (the mosaic source; the map
// sources keep the maps' numbers), coloured here exactly as Bokeh's LinearColorMapper colours a value
// (ExplainerKit.colourRgba: each palette converted to packed RGBA once); Bokeh's colour mapping does
// no work per map.
// Runs when the reader picks a range mode, and from fill.js with cb_data.images (new maps by
// layer, "input" for the picture's channels), which are then set together with their colours.
// args: mode (the RadioButtonGroup), modes (its labels' keys), ranges (name + one limit column
//       per mode, from explainer_core.arithmetic.scales.color_ranges), mappers (layer -> colour mapper),
//       describe (the text alternatives: the legend's numbers change with the range),
//       sources (layer -> map source, "input" -> the picture's channels), input_mappers (one per channel),
//       mosaic (one row per column of maps: its RGBA image, where it is drawn, and the column's name).
const {grid, colourRgba} = window.ExplainerKit;
const fresh = (cb_data && cb_data.images) || null;
const key = modes[mode.active];
const d = ranges.data;

// A column's maps as one RGBA image, the mosaic image_rgba draws over the column: the maps one
// below the other, top row first, each gap between them a whole number of the maps' pixels (the
// nearest to the gap on the page; the mosaic spans the column from its first map's top edge to its
// last map's bottom edge), the gaps transparent.
function mosaicOf(source, maps, mapperOf, like) {
  const {y, dw} = source.data;
  const [h, w] = maps[0].shape;
  const gap = maps.length > 1 ? Math.round((y[1] - y[0] - dw[0]) * h / dw[0]) : 0;
  const out = grid(like, maps.length * h + (maps.length - 1) * gap, w);
  maps.forEach((map, k) => colourRgba(mapperOf(k), map, out, k * (h + gap) * w));
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
