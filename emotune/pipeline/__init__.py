"""The frame pipeline: source → detector → classifier → mood."""
