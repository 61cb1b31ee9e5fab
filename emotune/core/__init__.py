"""Pure-Python core of EmoTune: emotion labels, values and mood smoothing.

Nothing here imports Qt, TensorFlow or llama.cpp; a test enforces it.
"""
