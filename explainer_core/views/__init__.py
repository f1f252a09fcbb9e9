"""The book's interactive views, one module each, every one returning a Bokeh layout.

Views only read a :class:`~explainer_core.arithmetic.trace.Trace` (and the formula
explanations built from it); they never compute model arithmetic themselves.
All interaction is ``CustomJS`` on ``ColumnDataSource`` s (code in
``.js`` files beside each view), so it works in a static page with no server or kernel.
"""
