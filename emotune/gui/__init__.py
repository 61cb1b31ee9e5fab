"""The Qt desktop window: the only package that imports PySide6. `emotune.gui.app` builds and wires it."""
