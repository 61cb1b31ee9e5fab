"""llama.cpp underneath the analysis: the engine that loads a GGUF once and streams schema-constrained
replies, its sampling, the evaluated prompt kept in memory and on disk, and its native logs."""
