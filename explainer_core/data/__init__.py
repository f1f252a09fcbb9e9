"""Data and preprocessing: the Tiny ImageNet reader, its download, and any picture turned into the model's input."""
