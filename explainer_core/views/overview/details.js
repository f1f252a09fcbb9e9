// Overview: "show details" reveals the layer dimensions and the colour legend.
// args: toggle, dims (the LabelSet of dimensions), legend (the plot holding the ColorBar).
dims.visible = toggle.active;
legend.visible = toggle.active;
toggle.label = toggle.active ? "Hide details" : "Show details";
