"""The book's interactive views: one room (a package) per view, each returning a Bokeh layout.

A room holds its view's Python builder and its browser scripts side by side; ``kit/``
is what the rooms share, and a view imports the kit, the trace and the formulas, never
another view. Python builds each view's skeleton; the room's ``fill.js`` writes every
number that depends on the picture, in the page or notebook, so it works with no server
or kernel. ARCHITECTURE.md at the repository root draws the house.
"""
