"""Dialogs and boxes the user opens from the window: settings and the opt-in model download."""
