// The reader clicked a thumbnail: explain that photo (page.js does the work).
// args: source (the gallery's ColumnDataSource: file (base64), mime, label).
const index = source.selected.indices[0];
if (index !== undefined) {
  const bytes = Uint8Array.from(atob(source.data.file[index]), (c) => c.charCodeAt(0));
  const blob = new Blob([bytes], {type: source.data.mime[index]});
  window.ExplainerPage.showImage(blob, {label: `the photo of ${source.data.label[index]}`}).catch(() => {});
}
