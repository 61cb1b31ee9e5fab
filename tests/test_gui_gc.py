"""Cycles that hold Qt objects die on the GUI thread (emotune.gui.gui_thread_gc), however busy the other threads
are: without it, windows that earlier tests had dropped were found destroyed in an LLM pool thread, in the window
tests that crashed now and then."""
from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import weakref

from PySide6.QtCore import QObject

from emotune.gui.gui_thread_gc import GuiThreadCollector


class _InACycle(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.me = self


def _allocate_cycles(count: int) -> None:
    """What the capture, inference and LLM threads do all day: enough new objects to pass every threshold."""
    for _ in range(count):
        cycle: list = []
        cycle.append(cycle)


def test_a_cycle_holding_a_qobject_dies_on_the_gui_thread_not_in_the_thread_that_allocates(qtbot):
    gui_thread, died_in = threading.get_ident(), []
    collector = GuiThreadCollector(interval_ms=20).start()
    try:
        doomed = _InACycle()
        weakref.finalize(doomed, lambda: died_in.append(threading.get_ident()))
        del doomed
        worker = threading.Thread(target=_allocate_cycles, args=(50 * gc.get_threshold()[0],), name="busy")
        worker.start()
        worker.join()
        assert died_in == [] and gc.get_count()[0] > gc.get_threshold()[0]   # due, yet nobody collected there
        qtbot.waitUntil(lambda: died_in == [gui_thread], timeout=10000)
    finally:
        collector.stop()


def test_stopping_collects_what_is_left_and_gives_collection_back_to_python(qapp):
    assert gc.isenabled()   # (no qtbot here, so conftest's own collector is not running)
    died = []
    collector = GuiThreadCollector(interval_ms=60000).start()
    assert collector.is_active() and not gc.isenabled()
    doomed = _InACycle()
    weakref.finalize(doomed, died.append, True)
    del doomed
    collector.stop()
    assert died == [True] and not collector.is_active() and gc.isenabled()


def test_the_apps_qapplication_collects_cycles_on_its_own_thread(tmp_path):
    """make_qapplication (the window, the self-test, the benchmarks) starts the collector; a fresh process,
    since this one's QApplication is pytest-qt's."""
    code = ("import gc\n"
            "from emotune.gui.app import make_qapplication\n"
            "from emotune.gui.gui_thread_gc import GuiThreadCollector\n"
            "app = make_qapplication()\n"
            "collectors = app.findChildren(GuiThreadCollector)\n"
            "print(len(collectors), collectors[0].is_active(), gc.isenabled())\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", EMOTUNE_HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "True", "False"]
