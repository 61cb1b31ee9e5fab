"""PyInstaller runtime hook: runs inside the bundle before the entry script and before any library import.

A windowed build starts without stdout/stderr; fixing the streams and pointing logging at the user's log
folder here, first, means TensorFlow, Keras and llama.cpp never see a missing stream.
"""


def _pyi_rthook() -> None:
    try:
        from emotune.logging_setup import setup_app_logging
    except Exception:  # never stop the app from starting because logging could not be set up
        return
    setup_app_logging()


_pyi_rthook()
del _pyi_rthook
