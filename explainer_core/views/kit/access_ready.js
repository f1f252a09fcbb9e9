// Once Bokeh has drawn this document (its DocumentReady event; views/kit/access.py): name what it
// draws in its shadow DOM, draw the views' first frame, write the text alternatives. The work is
// ExplainerKit.ready (views/kit/kit.js), loaded once per page rather than carried by every document.
// args: root (the embedded layout), describe (the name of the description callbacks).
window.ExplainerKit.ready(root, describe);
