"""Accessible names for every control, given once the window (or a dialog) is built: a screen reader says what a
button, box or list is for. The name comes from what a sighted user reads: the control's own text, else the
label that points at it (a form row or a buddy), else its tooltip's first sentence, else its placeholder."""
from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QTabBar,
    QWidget,
)

CONTROLS = (QAbstractButton, QAbstractItemView, QSlider, QAbstractSpinBox, QComboBox, QLineEdit, QTabBar)


def _clean(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text).replace("&&", "\0").replace("&", "").replace("\0", "&")
    return text.strip(" ▶■◀↻♥…:").strip()


def _label_for(widget: QWidget) -> str:
    parent = widget.parentWidget()
    if parent is None:
        return ""
    for label in parent.findChildren(QLabel):
        if label.buddy() is widget and label.text():
            return _clean(label.text())
    for form in parent.findChildren(QFormLayout):
        label = form.labelForField(widget)
        if isinstance(label, QLabel) and label.text():
            return _clean(label.text())
    return ""


def accessible_name(widget: QWidget) -> str:
    """The name a screen reader would get for `widget` if it had none."""
    own = widget.text() if isinstance(widget, QAbstractButton) else ""
    for candidate in (own, _label_for(widget), widget.toolTip().split(". ")[0],
                      widget.placeholderText() if isinstance(widget, QLineEdit) else ""):
        name = _clean(candidate or "")
        if name:
            return name
    return ""


def _inner(widget: QWidget) -> bool:
    """The line edit inside a spin box or an editable combo: the screen reader names its owner."""
    return isinstance(widget.parentWidget(), (QAbstractSpinBox, QComboBox))


def name_controls(root: QWidget) -> None:
    """Gives every control under `root` without an accessible name the one `accessible_name` finds."""
    for widget in root.findChildren(QWidget):
        if isinstance(widget, CONTROLS) and not _inner(widget) and not widget.accessibleName():
            name = accessible_name(widget)
            if name:
                widget.setAccessibleName(name)


def unnamed_controls(root: QWidget) -> list[QWidget]:
    """The visible controls under `root` a screen reader could not name (tests assert there are none)."""
    return [w for w in root.findChildren(QWidget)
            if isinstance(w, CONTROLS) and not _inner(w) and w.isVisibleTo(root) and not w.accessibleName()]
