// The reader clicked a thumbnail: explain that photo (page.js does the work).
// args: source (the gallery's ColumnDataSource: file (base64), mime, label), upload (the FileInput).
// Once the photo is shown the upload is cleared, so choosing that file again is a change too.
const index = source.selected.indices[0];
if (index !== undefined) {
  const bytes = Uint8Array.from(atob(source.data.file[index]), (c) => c.charCodeAt(0));
  const blob = new Blob([bytes], {type: source.data.mime[index]});
  window.ExplainerPage.showImage(blob, {label: `the photo of ${source.data.label[index]}`})
    .then((trace) => {
      if (trace) {
        const {ClearInput} = window.Bokeh.require("models/widgets/input_widget");
        upload.trigger_event(new ClearInput(upload)); // what FileInput.clear() sends from Python
      }
    })
    .catch(() => {});
}
