"""The window's parts that need no model: typed settings over a temp INI, the settings dialog, the latest-frame
slot, the auto-refresh rule, the task helper and the crash hooks. The self-test is in test_self_test.py."""
from __future__ import annotations

import logging
import sys
import threading

import numpy as np
import pytest

from emotune.core.emotions import one_hot
from emotune.core.mood import MoodSnapshot
from emotune.core.types import Box, FaceResult, Frame
from emotune.gui import settings as keys
from emotune.gui.crash import CrashReporter
from emotune.gui.dialogs.settings_dialog import SettingsDialog
from emotune.gui.services.auto_refresh import AutoRefreshPolicy
from emotune.gui.settings import Settings
from emotune.gui.style import EMOTION_COLORS
from emotune.gui.widgets.live_text import LiveText
from emotune.gui.widgets.video_view import VideoView, label_chip
from emotune.gui.workers.frame_slot import CapturedFrame, LatestFrameSlot
from emotune.gui.workers.tasks import TaskRunner
from emotune.music.spotify.config import DEFAULT_PORT


def test_settings_round_trip_through_an_ini_file_with_types(tmp_path):
    path = tmp_path / "settings.ini"
    s = Settings.at(path)
    assert s.get(keys.INFERENCE_INTERVAL_MS) == 100 and s.get(keys.GENRES) == () and s.get(keys.MODE) == "match"
    s.set(keys.CAMERA_INDEX, 2)
    s.set(keys.INFERENCE_INTERVAL_MS, 250)
    s.set(keys.GENRES, ("jazz",))
    s.set(keys.LANGUAGES, ["en", "es"])
    s.set(keys.NO_EXPLICIT, True)
    s.set(keys.SPOTIFY_CLIENT_ID, "0123456789abcdef0123456789abcdef")
    s.set(keys.MODE, "lift")
    assert s.preferences().llm_seed == 0   # by default every analysis samples afresh
    s.set(keys.LLM_SEED, 7)
    s.sync()
    assert path.is_file() and "[capture]" in path.read_text()
    again = Settings.at(path)
    assert again.get(keys.CAMERA_INDEX) == 2 and again.get(keys.INFERENCE_INTERVAL_MS) == 250
    assert again.get(keys.GENRES) == ("jazz",) and again.get(keys.LANGUAGES) == ("en", "es")
    assert again.get(keys.NO_EXPLICIT) is True and again.get(keys.MODE) == "lift"
    prefs = again.preferences()
    assert prefs.genres == ("jazz",) and prefs.no_explicit and prefs.spotify_client_id.startswith("0123")
    assert prefs.llm_seed == 7
    with pytest.raises(ValueError):
        again.set(keys.MODE, "shuffle")


def test_a_hand_broken_settings_file_falls_back_to_defaults(tmp_path):
    path = tmp_path / "settings.ini"
    path.write_text("[inference]\ninterval_ms=fast\n[music]\nno_explicit=maybe\n")
    s = Settings.at(path)
    assert s.get(keys.INFERENCE_INTERVAL_MS) == 100
    assert s.get(keys.NO_EXPLICIT) is False


def test_the_settings_dialog_writes_what_the_user_entered(qtbot, tmp_path):
    s = Settings.at(tmp_path / "settings.ini")
    dialog = SettingsDialog(s)
    qtbot.addWidget(dialog)
    assert dialog.redirect.text() == f"http://127.0.0.1:{DEFAULT_PORT}/callback"
    # the analysis reads the journal only when the user opts in, and only while the journal is kept
    assert not dialog.journal_in_analysis.isChecked() and not s.preferences().journal_in_analysis
    dialog.journal.setChecked(False)
    assert not dialog.journal_in_analysis.isEnabled()
    dialog.journal.setChecked(True)
    dialog.journal_in_analysis.setChecked(True)
    dialog.interval.setValue(300)
    dialog.port.setValue(9090)
    dialog.client_id.setText("  0123456789abcdef0123456789abcdef  ")   # a real Client ID: 32 hex characters
    dialog.genres.setText("rock, indie ,")
    dialog.no_explicit.setChecked(True)
    assert dialog.redirect.text() == "http://127.0.0.1:9090/callback"
    dialog.accept()
    again = Settings.at(tmp_path / "settings.ini")
    assert again.get(keys.INFERENCE_INTERVAL_MS) == 300 and again.get(keys.SPOTIFY_REDIRECT_PORT) == 9090
    assert again.get(keys.SPOTIFY_CLIENT_ID) == "0123456789abcdef0123456789abcdef"
    assert again.get(keys.GENRES) == ("rock", "indie")
    assert again.get(keys.NO_EXPLICIT) is True
    assert again.get(keys.JOURNAL_IN_ANALYSIS) is True and again.preferences().journal_in_analysis
    again.set(keys.JOURNAL_ENABLED, False)
    assert not again.preferences().journal_in_analysis   # no journal kept, nothing to read


def _item(i: int, generation: int = 1) -> CapturedFrame:
    return CapturedFrame(Frame(np.zeros((4, 4, 3), np.uint8), i / 30, i), float(i), generation)


def test_the_latest_frame_slot_keeps_only_the_newest_and_counts_drops():
    slot = LatestFrameSlot()
    assert slot.take(timeout=0.01) is None
    for i in range(5):
        slot.put(_item(i))
    seq, latest = slot.peek()
    assert latest.frame.index == 4 and seq == 5
    assert slot.take(timeout=0.01).frame.index == 4
    assert slot.dropped == 4 and slot.take(timeout=0.01) is None
    assert slot.peek()[1].frame.index == 4  # the view still sees the newest frame
    slot.clear()
    assert slot.peek()[1] is None


def test_the_slot_hands_frames_across_threads():
    slot = LatestFrameSlot()
    got = []
    reader = threading.Thread(target=lambda: got.append(slot.take(timeout=5)))
    reader.start()
    slot.put(_item(7))
    reader.join(5)
    assert got and got[0].frame.index == 7


@pytest.mark.parametrize("view_size", [(960, 540), (400, 500), (640, 480)])   # room to spare, shrink, 1:1
def test_the_view_paints_the_newest_frame_scaled_to_fit_and_centred(qtbot, view_size):
    """Left half blue, right half red, 4:3: the view shows it as large as fits but never enlarged, centred,
    colours intact."""
    image = np.zeros((480, 640, 3), np.uint8)
    image[:, :320] = (255, 0, 0)   # BGR blue
    image[:, 320:] = (0, 0, 255)   # BGR red
    slot = LatestFrameSlot()
    view = VideoView(slot)
    qtbot.addWidget(view)
    view.set_message("")
    view.resize(*view_size)
    view.show()
    slot.put(CapturedFrame(Frame(image, 0.0, 0), 0.0, 1))
    qtbot.waitUntil(lambda: view.frames_shown == 1)
    shot = view.grab().toImage()
    w, h = view_size
    scale = min(w / 640, h / 480, 1.0)
    fw, fh = round(640 * scale), round(480 * scale)
    x0, y0 = (w - fw) // 2, (h - fh) // 2
    assert shot.pixelColor(x0 + fw // 4, y0 + fh // 2).name() == "#0000ff"
    assert shot.pixelColor(x0 + 3 * fw // 4, y0 + fh // 2).name() == "#ff0000"
    outside = [(x0 - 2, h // 2), (w // 2, y0 - 2)]
    for x, y in outside:
        if 0 <= x < w and 0 <= y < h:   # the margins keep the view's dark background
            assert shot.pixelColor(x, y).name() == "#18181c"
    assert view.current_image().width() == 640
    # a face's box is drawn over the picture, in its emotion's colour, where the face is
    face = FaceResult(Box(100, 100, 200, 200), one_hot("happy"))
    view.set_faces((face,), (640, 480))
    qtbot.waitUntil(lambda: view.grab().toImage().pixelColor(x0 + round(200 * scale), y0 + round(100 * scale))
                    .name() == EMOTION_COLORS["happy"].name())


@pytest.mark.parametrize("box", [(560, 10, 80, 80),     # top right corner: no room above, none to the right
                                 (0, 0, 640, 480),      # the face fills the picture: no room above or below
                                 (-20, 400, 100, 100),  # hanging over the bottom left edge
                                 (300, 200, 60, 60)])   # in the middle: above its box, at its left edge
def test_a_faces_label_is_never_cut_off_by_the_edge_of_the_picture(box):
    from PySide6.QtCore import QRectF
    picture = QRectF(20, 30, 640, 480)
    face = QRectF(picture.x() + box[0], picture.y() + box[1], box[2], box[3])
    chip = label_chip(face, 110, 24, picture)
    assert picture.contains(chip), (chip, picture)
    assert (chip.width(), chip.height()) == (110, 24)
    if box == (300, 200, 60, 60):
        assert (chip.left(), chip.bottom()) == (face.left(), face.top() - 2)


def test_a_label_at_the_right_edge_is_drawn_whole_in_the_view(qtbot):
    """A face at the right edge of the frame: its label (not just its box) is painted inside the picture."""
    slot = LatestFrameSlot()
    view = VideoView(slot)
    qtbot.addWidget(view)
    view.set_message("")
    view.resize(640, 480)
    view.show()
    slot.put(CapturedFrame(Frame(np.zeros((480, 640, 3), np.uint8), 0.0, 0), 0.0, 1))
    qtbot.waitUntil(lambda: view.frames_shown == 1)
    view.set_faces((FaceResult(Box(600, 200, 40, 40), one_hot("happy")),), (640, 480))
    colour = EMOTION_COLORS["happy"].name()
    # the chip ends at the picture's right edge, so it starts far left of the box (x 600), not at it

    def chip_columns() -> list[int]:
        shot = view.grab().toImage()
        return [x for x in range(500, 640) if any(shot.pixelColor(x, y).name() == colour for y in range(170, 200))]

    qtbot.waitUntil(lambda: bool(chip_columns()) and min(chip_columns()) < 560 and max(chip_columns()) >= 636)


def test_live_text_repaints_itself_without_laying_out_the_window_until_it_needs_more_lines(qtbot):
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

    class LayoutRequests(QObject):
        count = 0

        def eventFilter(self, obj, event):  # noqa: N802
            if event.type() == QEvent.Type.LayoutRequest:
                self.count += 1
            return False

    panel = QWidget()
    qtbot.addWidget(panel)
    live = LiveText("80% sure · steady · held 3 s · 1 face")
    layout = QVBoxLayout(panel)
    layout.addWidget(live)
    layout.addStretch(1)   # below it, as in the mood panel: the text gets the height its lines need
    panel.resize(300, 200)
    panel.show()
    qtbot.waitExposed(panel)
    QApplication.processEvents()   # the first layout
    requests = LayoutRequests()
    panel.installEventFilter(requests)
    height = live.height()
    for held in range(10, 40):   # the numbers change ten times a second; the line count does not
        live.setText(f"{held + 50}% sure · steady · held {held} s · 1 face")
        QApplication.processEvents()
    assert requests.count == 0 and live.text().startswith("89% sure")
    live.setText("The emotion model is not loaded, so faces get no mood. Choose “I feel: …” in the toolbar "
                 "to set your mood by hand; analysis and music still work.")
    qtbot.waitUntil(lambda: live.height() >= 3 * height)   # three lines at 300 px: the layout gave it room
    assert requests.count > 0


def _mood(emotion: str, held_s: float) -> MoodSnapshot:
    return MoodSnapshot.from_distribution(one_hot(emotion), held_s=held_s)


def test_auto_refresh_waits_for_a_changed_mood_to_hold_and_not_too_often():
    policy = AutoRefreshPolicy(min_hold_s=8, min_gap_s=30)
    assert not policy.should_refresh(_mood("happy", 1.0), now=0)   # first mood: a short hold first
    assert policy.should_refresh(_mood("happy", 3.0), now=2)
    policy.refreshed(_mood("happy", 3.0), now=2)
    assert not policy.should_refresh(_mood("happy", 60.0), now=100)  # same mood: nothing new
    assert not policy.should_refresh(_mood("sad", 2.0), now=100)     # changed, not held yet
    assert not policy.should_refresh(_mood("sad", 9.0), now=20)      # held, but a list came 18 s ago
    assert policy.should_refresh(_mood("sad", 9.0), now=40)
    manual = MoodSnapshot.manual_mood("angry")
    assert not policy.should_refresh(manual, now=200)


def test_tasks_run_off_the_gui_thread_and_call_back_on_it(qtbot):
    runner = TaskRunner("test", 1)
    gui_thread = threading.current_thread()
    seen = {}

    def job(report, cancel):
        seen["job_thread"] = threading.current_thread()
        report("half")
        return 42

    progress = []
    done = []
    runner.run(job, on_done=lambda r: done.append((r, threading.current_thread())), on_progress=progress.append)
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    assert done[0] == (42, gui_thread) and seen["job_thread"] is not gui_thread and progress == ["half"]
    errors = []
    runner.run(lambda report, cancel: 1 / 0, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert isinstance(errors[0], ZeroDivisionError)
    assert runner.shutdown(5000)


def test_an_expected_job_failure_is_one_log_line_and_a_bug_keeps_its_traceback(qtbot, caplog):
    from emotune.music.spotify.errors import SpotifyUnavailable

    runner = TaskRunner("test", 1)
    errors = []

    def refused(report, cancel):
        raise SpotifyUnavailable("Spotify did not answer.", "Try again later.")

    with caplog.at_level(logging.WARNING, logger="emotune.gui.workers.tasks"):
        runner.run(refused, on_error=errors.append)
        qtbot.waitUntil(lambda: bool(errors), timeout=10000)
        runner.run(lambda report, cancel: 1 / 0, on_error=errors.append)
        qtbot.waitUntil(lambda: len(errors) == 2, timeout=10000)
    assert runner.shutdown(5000)
    expected, bug = [r for r in caplog.records if r.name == "emotune.gui.workers.tasks"]
    assert expected.levelno == logging.WARNING and "\n" not in expected.getMessage()
    assert expected.getMessage() == "job test-job failed: Spotify did not answer. Try again later."
    assert bug.levelno == logging.ERROR and "Traceback" in bug.getMessage() and "ZeroDivisionError" in bug.getMessage()


def test_a_language_model_that_cannot_be_loaded_is_one_log_line_not_a_traceback(qtbot, tmp_path, caplog):
    """A damaged GGUF is the user's file, not a bug: the window says so, the log has one line."""
    from emotune.gui.services.llm_service import ModelUnavailable, make_llm_analyst

    gguf = tmp_path / "cut.gguf"
    gguf.write_bytes(b"GGUF" + bytes(60))
    analyst = make_llm_analyst(str(gguf), tuple, model_dirs=[tmp_path])
    runner = TaskRunner("llm", 1)
    errors = []
    with caplog.at_level(logging.WARNING, logger="emotune.gui.workers.tasks"):
        runner.run(lambda report, cancel: analyst.load(report, cancel), on_error=errors.append)
        qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert runner.shutdown(5000)
    assert isinstance(errors[0], ModelUnavailable) and "cut.gguf" in str(errors[0])
    [line] = [r for r in caplog.records if r.name == "emotune.gui.workers.tasks"]
    assert line.levelno == logging.WARNING and line.exc_info is None and "Traceback" not in line.getMessage()
    assert line.getMessage() == f"job llm-job failed: {errors[0]}"


def test_uncaught_errors_in_threads_are_logged_without_a_dialog_under_tests(caplog):
    reporter = CrashReporter().install()
    try:
        worker = threading.Thread(target=lambda: 1 / 0, name="boom")
        worker.start()
        worker.join()
    finally:
        reporter.uninstall()
    assert reporter.count == 1
    assert "ZeroDivisionError" in caplog.text


def test_settings_in_memory_read_back_what_was_set_and_have_no_file():
    settings = Settings.in_memory()
    assert settings.get(keys.LLM_SEED) == 0 and settings.path == ""
    settings.set(keys.LLM_SEED, 7)
    settings.set(keys.GENRES, ["pop", "rock"])
    settings.sync()
    assert settings.get(keys.LLM_SEED) == 7 and settings.get(keys.GENRES) == ("pop", "rock")


def test_the_qt_binding_keeps_python_reference_counts(qtbot):
    """A window emits tens of signals and runs tens of slots a second for hours. PySide6 6.12.0 on Python 3.11
    drops a reference to True on every `emit` and to None on every slot call from C++ (it treats them as
    immortal, which they are only from Python 3.12), so the app aborts with "bool_dealloc" or "none_dealloc":
    measured, after about 20 s when TensorFlow is not loaded (emotion model missing), otherwise later or at
    exit. Install a PySide6 without that bug (6.11.x) or run on Python 3.12+ (docs/gui.md)."""
    from PySide6.QtCore import QObject, QTimer, Signal

    class Emitter(QObject):
        ping = Signal(object)

    emitter, got, ticks = Emitter(), [], []
    emitter.ping.connect(got.append)
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for i in range(500):
        emitter.ping.emit(i)
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(0)
    qtbot.waitUntil(lambda: len(ticks) >= 300, timeout=10000)
    timer.stop()
    import PySide6

    assert sys.getrefcount(True) > true_before - 250, f"PySide6 {PySide6.__version__} leaks references to True"
    assert sys.getrefcount(None) > none_before - 150, f"PySide6 {PySide6.__version__} leaks references to None"
