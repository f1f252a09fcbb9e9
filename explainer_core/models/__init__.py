"""Models and their formats: Keras and TensorFlow.js loading, model cards, training."""
