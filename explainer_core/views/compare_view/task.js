// The comparison view's one callback (views/compare_view/__init__.py): every control, the table's
// selection and the document's first frame run it. It reads the chosen task (models, picture,
// method, rule), finds the picture's block (carried in `store`, or fetched once from the book's
// _static/comparison/), and redraws every row of the table, the similarity matrix, the accuracy
// scatter and the histograms from that block. The threshold alone redraws the last task.
// args: store, rows, filter (the table's and scatter's IndexFilter), cells, heat (the matrix figure),
//       hist, levels, task, legend, status, scatter, histogram (figures), the controls
//       (models, classes, picture, method, rule, threshold, run, reset, search, sort, highlight), meta.
const M = meta.members.length, K = meta.methods.length, R = meta.rules.length;
const S = meta.size, N = S * S, SCALE = 2;
const all = (window.__explainerCompare = window.__explainerCompare || {});
const mine = (all[meta.key] = all[meta.key] || {blocks: new Map(), token: 0, drawn: 0});
if (!mine.seeded) {
  // plain typed arrays over BokehJS's ndarrays: an ndarray's subarray() would not be a plain view
  const plain = (a, Type) => new Type(a.buffer, a.byteOffset, a.length);
  store.data.index.forEach((p, i) => mine.blocks.set(Number(p), {
    pixels: plain(store.data.pixels[i], Uint8Array), maps: plain(store.data.maps[i], Uint8Array),
    distances: plain(store.data.distances[i], Float32Array)}));
  mine.seeded = true;
}
const pct = (v) => `${(100 * v).toFixed(1)} %`;
const say = (text) => { status.text = text; };

// -- the rules: contour levels, bands, the thresholded picture, histograms, similarity ------------
function contourLevels(th) {
  return [0, 1, 2, 3].map((k) => th + k * (1 - th) / 4);
}
function mapOf(block, m, k) {
  return block.maps.subarray((m * K + k) * N, (m * K + k + 1) * N);
}
function bandsOf(map, lv) {
  // band b of a pixel: how many levels its value reaches (0: below the threshold, 4: the top band)
  const band = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const v = map[i] / 255;
    let b = 0;
    while (b < 4 && v >= lv[b]) b++;
    band[i] = b;
  }
  return band;
}
const LINE = [[253, 230, 138], [251, 191, 36], [234, 88, 12], [127, 29, 29]];
const FILL = [220, 38, 38], FILL_ALPHA = 0.45;
function png(draw) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = S * SCALE;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(S * SCALE, S * SCALE);
  draw(image.data);
  ctx.putImageData(image, 0, 0);
  return canvas.toDataURL("image/png");
}
function put(out, y, x, rgb) {
  const o = 4 * (y * S * SCALE + x);
  out[o] = rgb[0]; out[o + 1] = rgb[1]; out[o + 2] = rgb[2]; out[o + 3] = 255;
}
function contourPng(pixels, band) {
  return png((out) => {
    for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) {
      const p = i * S + j, b = band[p];
      let rgb = [pixels[3 * p], pixels[3 * p + 1], pixels[3 * p + 2]];
      if (b === 4) rgb = rgb.map((c, n) => Math.round((1 - FILL_ALPHA) * c + FILL_ALPHA * FILL[n]));
      for (let dy = 0; dy < SCALE; dy++) for (let dx = 0; dx < SCALE; dx++) put(out, i * SCALE + dy, j * SCALE + dx, rgb);
    }
    // the lines: where two neighbours lie in different bands, both sides of the edge take the
    // colour of the highest level crossed there
    for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) {
      const p = i * S + j;
      if (j + 1 < S && band[p] !== band[p + 1]) {
        const c = LINE[Math.max(band[p], band[p + 1]) - 1];
        for (let dy = 0; dy < SCALE; dy++) { put(out, i * SCALE + dy, j * SCALE + SCALE - 1, c); put(out, i * SCALE + dy, (j + 1) * SCALE, c); }
      }
      if (i + 1 < S && band[p] !== band[p + S]) {
        const c = LINE[Math.max(band[p], band[p + S]) - 1];
        for (let dx = 0; dx < SCALE; dx++) { put(out, i * SCALE + SCALE - 1, j * SCALE + dx, c); put(out, (i + 1) * SCALE, j * SCALE + dx, c); }
      }
    }
  });
}
function keptPng(pixels, band) {
  // the engine's remove_below: a pixel whose map is below the threshold becomes black
  return png((out) => {
    for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) {
      const p = i * S + j;
      const rgb = band[p] > 0 ? [pixels[3 * p], pixels[3 * p + 1], pixels[3 * p + 2]] : [0, 0, 0];
      for (let dy = 0; dy < SCALE; dy++) for (let dx = 0; dx < SCALE; dx++) put(out, i * SCALE + dy, j * SCALE + dx, rgb);
    }
  });
}
function histograms(pixels, band) {
  // counts of the kept pixels' intensities per channel (the engine's salient_histograms)
  const counts = [new Array(256).fill(0), new Array(256).fill(0), new Array(256).fill(0)];
  for (let p = 0; p < N; p++) if (band[p] > 0) for (let c = 0; c < 3; c++) counts[c][pixels[3 * p + c]]++;
  return counts;
}
function similarity(block, k, r, chosen) {
  // the chosen members' rows and columns of the block's distances, rescaled as the engine's
  // to_similarity: 1 - 2 D / max(D), or all ones when no two maps differ
  const d = chosen.map((i) => chosen.map((j) => block.distances[((k * R + r) * M + i) * M + j]));
  const largest = Math.max(0, ...d.flat());
  return d.map((line) => line.map((v) => (largest <= 0 ? 1 : 1 - 2 * v / largest)));
}

// -- the task --------------------------------------------------------------------------------
function chosenTask() {
  const names = models.active.map((i) => models.labels[i]).filter((name) => meta.members.includes(name));
  const missing = [];
  if (names.length === 0) missing.push("models");
  if (picture.value === "") missing.push("picture");
  if (method.value === "") missing.push("method");
  if (rule.value === "") missing.push("similarity rule");
  return {missing, models: meta.members.map((name, m) => m).filter((m) => names.includes(meta.members[m])),
          picture: Number(picture.value), method: meta.methods.indexOf(method.value), rule: meta.rules.indexOf(rule.value)};
}
function blockUrl(p) {
  let root = document.documentElement.dataset.content_root;
  if (root == null) {
    const script = [...document.scripts].map((s) => s.getAttribute("src") || "").find((src) => src.includes("_static/"));
    root = script != null ? script.slice(0, script.indexOf("_static/")) : "";
  }
  return `${root}_static/${meta.folder}/picture-${String(p).padStart(2, "0")}.bin`;
}
async function blockOf(p) {
  if (mine.blocks.has(p)) return mine.blocks.get(p);
  if (meta.folder == null) throw new Error("this view carries only the pictures it was built with");
  const response = await fetch(blockUrl(p));
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const buffer = await response.arrayBuffer();
  const sizes = [3 * N, M * K * N, K * R * M * M * 4];
  if (buffer.byteLength !== sizes[0] + sizes[1] + sizes[2]) throw new Error(`the file has ${buffer.byteLength} bytes`);
  const block = {pixels: new Uint8Array(buffer, 0, sizes[0]), maps: new Uint8Array(buffer, sizes[0], sizes[1]),
                 distances: new Float32Array(buffer, sizes[0] + sizes[1], K * R * M * M)};
  mine.blocks.set(p, block);
  return block;
}

// -- drawing -----------------------------------------------------------------------------------
function pinned(t) {
  const sel = rows.selected.indices.filter((i) => t.models.includes(i));
  return sel.length ? sel[0] : t.models[0];
}
const CHANNELS = [["red", "#c0392b"], ["green", "#1e8449"], ["blue", "#2e5fa8"]];
const DASHES = ["solid", "dashed", "dotted", "dotdash"];
async function drawHistogram(t, lv) {
  // one model chosen: VAC-CNN's single-model study, the histograms of every gallery picture of the
  // picture's class (fetched when needed); several: the pinned model's on the picture
  const m = pinned(t);
  const label = meta.photo_labels[t.picture];
  const photos = t.models.length === 1
    ? [t.picture, ...meta.photo_labels.map((l, q) => q).filter((q) => q !== t.picture && meta.photo_labels[q] === label)]
    : [t.picture];
  const columns = {xs: [], ys: [], colour: [], dash: [], label: [], photo: []};
  let kept = 0;
  for (const [n, q] of photos.entries()) {
    const block = await blockOf(q);
    const band = bandsOf(mapOf(block, m, t.method), lv);
    if (n === 0) kept = band.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
    histograms(block.pixels, band).forEach((counts, c) => {
      columns.xs.push([...Array(256).keys()]);
      columns.ys.push(counts);
      columns.colour.push(CHANNELS[c][1]);
      columns.dash.push(DASHES[n % DASHES.length]);
      const which = n === 0 ? "chosen photo" : meta.photo_names[q].replace(`${meta.class_names[label]}, `, "");
      columns.label.push(photos.length > 1 ? `${CHANNELS[c][0]}, ${which}` : CHANNELS[c][0]);
      columns.photo.push(q);
    });
  }
  hist.data = columns;
  histogram.title.text = photos.length > 1
    ? `Colours kept by ${meta.members[m]} on ${photos.length} ${meta.class_names[label]} photos`
    : `Colours kept by ${meta.members[m]}: ${kept} pixels`;
}
function drawRows(t, block, th) {
  const lv = contourLevels(th);
  const d = rows.data, c = {};
  for (const name of ["class_acc", "class_acc_text", "predicted", "confidence", "confidence_text", "kept",
                      "kept_text", "contour", "kept_png", "contour_alt", "kept_alt", "bands"]) c[name] = [...d[name]];
  const label = meta.photo_labels[t.picture], photo = meta.photo_names[t.picture];
  for (let m = 0; m < M; m++) {
    c.class_acc[m] = d.per_class[m][label];
    c.class_acc_text[m] = pct(c.class_acc[m]);
    c.predicted[m] = meta.class_names[d.predicted_by_photo[m][t.picture]];
    c.confidence[m] = d.confidence_by_photo[m][t.picture];
    c.confidence_text[m] = pct(c.confidence[m]);
    if (!t.models.includes(m)) continue;  // hidden rows keep their last drawing
    const band = bandsOf(mapOf(block, m, t.method), lv);
    const counts = [0, 0, 0, 0, 0];
    band.forEach((b) => counts[b]++);
    c.bands[m] = counts;
    c.kept[m] = (N - counts[0]) / N;
    c.kept_text[m] = pct(c.kept[m]);
    c.contour[m] = contourPng(block.pixels, band);
    c.kept_png[m] = keptPng(block.pixels, band);
    c.contour_alt[m] = `${meta.method_labels[t.method]} map of ${meta.members[m]} on ${photo}, contours from ${th.toFixed(2)}`;
    c.kept_alt[m] = `${photo} with ${pct(counts[0] / N)} of its pixels below ${th.toFixed(2)} removed`;
  }
  rows.data = {...d, ...c};
  refreshTable();
  levels.data = {k: [0, 1, 2, 3], level: lv};
  const swatch = (rgb) => `<span style="display:inline-block;width:14px;height:4px;margin:0 3px 2px 6px;background:rgb(${rgb})"></span>`;
  legend.text = `<div class="xv-note">Contour levels ${lv.map((v, k) => `${swatch(LINE[k])}<span class="xv-num">${v.toFixed(2)}</span>`).join("")}` +
    `; the band above the last one is filled <span style="display:inline-block;width:14px;height:10px;background:rgba(${FILL},${FILL_ALPHA})"></span>.</div>`;
  scatter.left[0].axis_label = `accuracy on ${meta.class_names[label]} pictures`;
  scatter.title.text = `Accuracy on ${meta.class_names[label]} and on all classes`;
}
function drawMatrix(t, block) {
  const s = similarity(block, t.method, t.rule, t.models);
  const names = t.models.map((m) => meta.members[m]);
  const x = [], y = [], value = [], text = [], pair = [], mi = [], mj = [];
  const small = names.length <= 8;
  t.models.forEach((a, i) => t.models.forEach((b, j) => {
    x.push(names[j]); y.push(names[i]); value.push(s[i][j]); mi.push(a); mj.push(b);
    text.push(small ? ExplainerKit.signed(s[i][j], 2) : ""); pair.push(`${names[i]} and ${names[j]}`);
  }));
  // empty the cells before the axes change, so that no glyph ever reads a factor its axis lacks
  cells.selected.indices = [];
  cells.data = Object.fromEntries(Object.keys(cells.data).map((name) => [name, []]));
  heat.x_range.factors = names;
  heat.y_range.factors = [...names].reverse();
  cells.data = {x, y, value, text, pair, mi, mj, alpha: value.map(() => 1), value_text: value.map((v) => ExplainerKit.signed(v, 3))};
  heat.title.text = `Similarity of the maps by ${meta.rule_short[t.rule]}`;
  brush(t);
}
function brush(t) {
  // the models selected in the table or the scatter: their row and column of the matrix stay bright
  const sel = rows.selected.indices;
  if (cells.data.x == null) return;
  cells.data = {...cells.data, alpha: cells.data.mi.map((a, n) => (sel.length === 0 || sel.includes(a) || sel.includes(cells.data.mj[n]) ? 1 : 0.25))};
}
function refreshTable() {
  // the table redraws on a change of its view's indices, not of its source's data alone
  const table = rows.document != null ? rows.document.get_model_by_name(`${meta.key}:table`) : null;
  const view = table != null && window.Bokeh != null && window.Bokeh.index != null ? window.Bokeh.index.find_one(table) : null;
  if (view != null) view.updateGrid();
}
function sortTable() {
  // what a click on a column's title does, from the sort menu: the grid re-sorts on every refresh
  const table = rows.document != null ? rows.document.get_model_by_name(`${meta.key}:table`) : null;
  const view = table != null && window.Bokeh != null && window.Bokeh.index != null ? window.Bokeh.index.find_one(table) : null;
  if (view == null || view.grid == null) return;
  const [field, direction] = sort.value.split(":");
  const column = view.grid.getColumns().find((c) => c.field === field);
  view.grid.setSortColumns(column == null ? [] : [{columnId: column.id, sortAsc: direction === "asc"}]);
  view.updateGrid();
}
function applyFilter(t) {
  const words = search.value.trim().toLowerCase();
  const d = rows.data;
  filter.indices = t.models.filter((m) => words === "" ||
    [d.name[m], d.family[m], d.predicted[m]].some((v) => String(v).toLowerCase().includes(words)));
  refreshTable();
}
function describeTask(t, th) {
  return `Showing ${t.models.length} model${t.models.length === 1 ? "" : "s"} on ${meta.photo_names[t.picture]} ` +
    `by ${meta.method_labels[t.method]}; similarity by ${meta.rule_labels[t.rule]}; threshold ${th.toFixed(2)}. ` +
    `The maps come from ${mine.source(t.picture)}.`;
}
mine.source = (p) => (store.data.index.map(Number).includes(p) ? "this page" : `_static/${meta.folder}/picture-${String(p).padStart(2, "0")}.bin`);

async function runTask() {
  const t = chosenTask();
  if (t.missing.length) {
    say(`<span class="xv-bad">Empty field${t.missing.length > 1 ? "s" : ""}: ${t.missing.join(", ")}.</span> ` +
        `Choose ${t.missing.length > 1 ? "them" : "it"}, then press Run. The views still show the last run.`);
    return;
  }
  const token = ++mine.token;
  if (!mine.blocks.has(t.picture)) say(`Fetching the maps of ${meta.photo_names[t.picture]}...`);
  let block;
  try {
    block = await blockOf(t.picture);
  } catch (error) {
    if (token === mine.token) say(`<span class="xv-bad">The maps of ${meta.photo_names[t.picture]} could not be read (${error.message}).</span>`);
    return;
  }
  if (token !== mine.token) return;  // the reader chose again while the file was on its way
  mine.applied = t;
  const th = Number(threshold.value);
  drawRows(t, block, th);
  drawMatrix(t, block);
  applyFilter(t);
  say(describeTask(t, th));
  await drawHistogram(t, contourLevels(th));
  if (token !== mine.token) return;
  mine.drawn++;
  task.data = {picture: [t.picture], method: [t.method], rule: [t.rule], models: [t.models], threshold: [th], drawn: [mine.drawn]};
}
async function redrawThreshold() {
  const t = mine.applied;
  if (t == null) return;
  const th = Number(threshold.value);
  drawRows(t, mine.blocks.get(t.picture), th);
  if (chosenTask().missing.length === 0) say(describeTask(t, th));  // else the empty fields stay named
  await drawHistogram(t, contourLevels(th));
  mine.drawn++;
  task.data = {...task.data, threshold: [th], drawn: [mine.drawn]};
}
function filterPictures() {
  const chosen = classes.value;
  picture.options = [["", "(none)"], ...meta.photo_names.map((name, p) => [String(p), name])
    .filter((_, p) => chosen === "" || meta.class_names[meta.photo_labels[p]] === chosen)];
  if (picture.value !== "" && !picture.options.some(([v]) => v === picture.value)) {
    picture.value = picture.options.length > 1 ? picture.options[1][0] : "";
  }
}

// a button's click comes as an event whose origin is the button; a value's change as the widget itself
const from = cb_obj != null && cb_obj.origin != null ? cb_obj.origin : cb_obj;
if (from === reset) {
  models.active = [];
  classes.value = "";
  picture.value = "";
  method.value = "";
  rule.value = "";
  search.value = "";
  sort.value = "";
  highlight.value = "";
  threshold.value = 0;
  say(`<span class="xv-bad">Empty fields: models, picture, method, similarity rule.</span> Choose them, then press Run.`);
} else if (from === threshold) {
  redrawThreshold().catch((error) => console.error("The comparison view could not redraw:", error));
} else if (from === sort) {
  sortTable();
} else if (from === highlight) {
  // the keyboard's row selection: the same as clicking the model's row
  rows.selected.indices = highlight.value === "" ? [] : [Number(highlight.value)];
} else if (from === search) {
  if (mine.applied != null) applyFilter(mine.applied);
} else if (from === classes) {
  filterPictures();
} else if (from === rows.selected) {
  if (mine.applied != null) {
    brush(mine.applied);
    drawHistogram(mine.applied, contourLevels(Number(threshold.value)))
      .catch((error) => console.error("The histograms could not be drawn:", error));
  }
} else if (from === cells.selected) {
  const hit = cells.selected.indices;
  if (hit.length) rows.selected.indices = [...new Set([cells.data.mi[hit[0]], cells.data.mj[hit[0]]])];
} else {
  // run, models, picture, method, rule, and the document's first frame
  runTask().catch((error) => console.error("The comparison view could not draw:", error));
}
