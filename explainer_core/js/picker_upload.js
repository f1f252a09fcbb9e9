// The reader chose a file: explain it, or say plainly why it cannot be used.
// args: upload (the FileInput: value is base64, filename, mime_type).
const name = Array.isArray(upload.filename) ? upload.filename[0] : upload.filename;
const value = Array.isArray(upload.value) ? upload.value[0] : upload.value;
const type = Array.isArray(upload.mime_type) ? upload.mime_type[0] : upload.mime_type;
const bytes = Uint8Array.from(atob(value || ""), (c) => c.charCodeAt(0));
const blob = new Blob([bytes], {type: type || ""});
window.ExplainerPage.showImage(blob, {label: name || "your file"}).catch(() => {});
