// Text alternatives of figures whose view gave them none: ExplainerKit.describePlots (views/kit/kit.js).
// args: plots (the figures), bases (for each: its name, or "" to use its title), follows (bool).
window.ExplainerKit.describePlots(plots, bases, follows, cb_data && cb_data.label);
