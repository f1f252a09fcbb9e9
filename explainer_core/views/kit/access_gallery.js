// The gallery's menu, for the keyboard: choosing a photo in it selects that thumbnail, as a
// click does (the gallery's own callback, image_picker/gallery.js, then explains the photo); a click
// on a thumbnail, or an upload that clears the selection, shows in the menu.
// Runs when the menu's value or the gallery's selection changes.
// args: source (the gallery's ColumnDataSource), menu (the Select: "" or a thumbnail's index).
if (cb_obj === menu) {
  const wanted = menu.value === "" ? [] : [Number(menu.value)];
  if (wanted.join() !== source.selected.indices.join()) source.selected.indices = wanted;
} else {
  const picked = source.selected.indices;
  const value = picked.length ? String(picked[0]) : "";
  if (menu.value !== value) menu.value = value;
}
