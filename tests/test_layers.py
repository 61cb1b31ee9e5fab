"""The layering rule, checked: only emotune.gui (and the GUI launcher) may import Qt; the pure core imports
no Qt, TensorFlow, Keras or llama.cpp."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "emotune"
GUI_ALLOWED = {"gui", "gui_launcher.py"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_only_the_gui_imports_qt():
    offenders = [
        str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
        if p.relative_to(PACKAGE).parts[0] not in GUI_ALLOWED and "PySide6" in imported_roots(p)
    ]
    assert offenders == []


def test_core_is_pure():
    heavy = {"PySide6", "tensorflow", "keras", "llama_cpp", "cv2", "spotipy"}
    offenders = {str(p.relative_to(PACKAGE)): imported_roots(p) & heavy for p in (PACKAGE / "core").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}
