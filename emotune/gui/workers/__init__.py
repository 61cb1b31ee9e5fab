"""The window's threads: the capture and inference workers, the slot between them, the controller that owns
them, and the pools for one-shot jobs. Results reach the GUI thread only through signals."""
