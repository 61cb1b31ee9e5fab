"""Local mood analysis with a llama.cpp model: grounded prompt, JSON-schema output, streaming, fallback.

Importing this package does not import llama_cpp; only `engine` does, when a model is loaded.
"""
