// The reader chose a file: explain it, or say plainly why it cannot be used.
// args: upload (the FileInput: value is base64, filename, mime_type), source (the gallery's source).
// Once the file is shown no thumbnail stays highlighted, so clicking that thumbnail again is a change too.
const name = Array.isArray(upload.filename) ? upload.filename[0] : upload.filename;
const value = Array.isArray(upload.value) ? upload.value[0] : upload.value;
const type = Array.isArray(upload.mime_type) ? upload.mime_type[0] : upload.mime_type;
if (name) { // no name: the upload was cleared (image_picker/gallery.js), not chosen
  const bytes = Uint8Array.from(atob(value || ""), (c) => c.charCodeAt(0));
  const blob = new Blob([bytes], {type: type || ""});
  window.ExplainerPage.showImage(blob, {label: name})
    .then((trace) => {
      if (trace) source.selected.indices = [];
    })
    .catch(() => {});
}
