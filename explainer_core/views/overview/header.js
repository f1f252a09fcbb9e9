// Overview: clicking a layer's name opens the chapter that explains that kind of layer.
// args: headers (name, kind, url per column).
const picked = headers.selected.indices;
if (picked.length) {
  const url = headers.data.url[picked[0]];
  headers.selected.indices = [];
  window.location.href = url;
}
