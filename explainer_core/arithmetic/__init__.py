"""The arithmetic of a CNN: its NumPy description, the reference operations, the forward trace,
formula explanations, hyperparameter sizes and colour ranges."""
