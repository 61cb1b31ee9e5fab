"""The GGUF model files: reading their headers, finding the one to use, and the opt-in download of a larger one."""
