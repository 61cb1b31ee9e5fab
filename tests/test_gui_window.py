"""The real window on real sources (a video written here with FER faces, the sample image, a camera index that
does not exist, a camera that gets lost) with the real detector and emotion model, through pytest-qt."""
from __future__ import annotations

import functools
import threading
import time

import cv2
import numpy as np
import pytest
from conftest import compose_frame, fer_test_faces, with_prompt_state
from PySide6.QtCore import QObject, QThread, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication

from emotune.capture import CameraSource, SourceUnavailable, open_source
from emotune.core.types import Frame
from emotune.gui.app import default_classifier
from emotune.gui.services.interfaces import SummaryAnalyst, TrackBatch, TrackItem
from emotune.gui.widgets.track_list import TrackList
from emotune.llm.model_files.model_locator import DEFAULT_MODEL_NAME
from emotune.resources import asset_path, models_dir

pytestmark = pytest.mark.slow
WAIT_MS = 60000
LLM_BUDGET_S = 500   # all the waits of the analysis test together, inside pytest's 600 s timeout
GGUF = models_dir() / DEFAULT_MODEL_NAME


@pytest.fixture(autouse=True)
def no_dangling_qthreads(monkeypatch):
    """Every QThread started during a test must have finished when the test ends (napari's check)."""
    started: list[QThread] = []
    original = QThread.start

    def tracking_start(self, *args):
        started.append(self)
        return original(self, *args)

    monkeypatch.setattr(QThread, "start", tracking_start)
    yield started
    running = [t.objectName() for t in started if t.isRunning()]
    assert running == [], f"QThreads still running after the test: {running}"


@pytest.fixture
def gui_joins(monkeypatch) -> list[str]:
    """The threads the calling code joined while they were still running (QThread.wait on a running thread),
    in the order it did: a join from the GUI thread freezes the window for as long as the thread takes."""
    joined: list[str] = []
    original = QThread.wait

    def recording_wait(self, *args):
        if self.isRunning():
            joined.append(self.objectName())
        return original(self, *args)

    monkeypatch.setattr(QThread, "wait", recording_wait)
    return joined


@pytest.fixture(scope="module")
def face_video(tmp_path_factory, fer_dir) -> str:
    """A 640×480, 25 fps, 4 s video of two FER test faces (happy, sad), written with OpenCV."""
    picks = dict((label, path) for path, label in reversed(fer_test_faces(fer_dir, per_class=1)))
    faces = [cv2.imread(str(picks[e]), cv2.IMREAD_GRAYSCALE) for e in ("happy", "sad")]
    frame = compose_frame(faces, face_px=170)
    path = tmp_path_factory.mktemp("video") / "two_faces.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (640, 480))
    for i in range(100):
        shifted = np.roll(frame, i % 5, axis=1)  # a little motion, like a person at a webcam
        writer.write(shifted)
    writer.release()
    return str(path)


@pytest.fixture
def make_app(window_factory, classifier):
    return functools.partial(window_factory, classifier=classifier, interval_ms=50)


def test_video_frames_reach_the_view_and_faces_emotions_and_timeline_appear(make_app, qtbot, face_video):
    parts = make_app()
    window = parts.window
    results = []
    parts.controller.result.connect(results.append)
    window.start(face_video)
    qtbot.waitUntil(lambda: parts.controller.model_status is not None, timeout=WAIT_MS)
    assert parts.controller.model_status.emotion, parts.controller.model_status.problem
    qtbot.waitUntil(lambda: window.view.frames_shown >= 10, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: any(len(o.result.faces) == 2 for o in results), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.bars.scores() is not None, timeout=WAIT_MS)
    assert abs(sum(window.bars.scores().values()) - 1.0) < 0.02
    assert window.view.message() == ""
    two = next(o for o in results if len(o.result.faces) == 2)
    assert two.emotions and all(f.confidence > 0 for f in two.result.faces)
    assert window.mood.headline.text() != "No mood yet"
    assert "Valence" in window.mood.va.text()
    qtbot.waitUntil(lambda: window.mood.timeline.point_count() >= 3, timeout=WAIT_MS)
    grown = window.mood.timeline.point_count()
    qtbot.waitUntil(lambda: window.mood.timeline.point_count() > grown, timeout=WAIT_MS)
    assert window.view.current_image() is not None and window.view.current_image().width() == 640
    # the video ends: the view says so and capture is off
    qtbot.waitUntil(lambda: "ended" in window.view.message(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not parts.controller.is_capturing(), timeout=WAIT_MS)
    assert "off" in window.status.camera.text()


def test_capture_mood_streams_an_analysis_and_fills_the_track_list(make_app, qtbot, _isolated_home,
                                                                   window_prompt_state):
    if not GGUF.is_file():
        pytest.skip(f"the default GGUF is not at {GGUF} (make install fetches it)")
    # the model loads and restores its evaluated fixed prompt, as on the app's second run (the first run's
    # evaluation is the self-tests'); still slow on a busy machine, so the waits are long, but they share one
    # budget that ends before pytest's 600 s timeout
    with_prompt_state(_isolated_home, window_prompt_state)
    deadline = time.monotonic() + LLM_BUDGET_S

    def left_ms() -> int:
        return max(1000, int((deadline - time.monotonic()) * 1000))

    parts = make_app()
    streamed = []
    parts.session.analysis_text.connect(streamed.append)
    parts.window.start(str(asset_path("sample_faces.jpg")))
    qtbot.waitUntil(lambda: parts.session.latest is not None, timeout=min(WAIT_MS, left_ms()))
    qtbot.waitUntil(lambda: parts.session.analyst_name == GGUF.name, timeout=left_ms())
    with qtbot.waitSignal(parts.session.tracks_ready, timeout=left_ms()) as blocker:
        parts.window.controls.capture_action.trigger()
    batch = blocker.args[0]
    view = parts.session.analysis
    assert view.source == "llm" and view.text.strip(), view.note       # the local model wrote it
    assert parts.window.analysis.plain_text().strip() == view.text.strip()
    # streamed: the text grew on screen piece by piece while the model wrote it (a retry starts it again)
    assert any(b.startswith(a) and len(b) > len(a) for a, b in zip(streamed, streamed[1:])), streamed
    assert parts.session.music.available      # the built-in catalog
    assert len(parts.window.tracks.rows()) == len(batch.tracks) == 10
    assert all(t.url.startswith("https://open.spotify.com/track/") for t in batch.tracks)
    # the manual override fetches for the chosen mood
    with qtbot.waitSignal(parts.session.captured, timeout=min(WAIT_MS, left_ms())) as chosen:
        parts.window.controls.set_manual("sad")
    assert chosen.args[0].manual and chosen.args[0].dominant == "sad"
    qtbot.waitUntil(lambda: not parts.session._llm.busy() and not parts.session._music_tasks.busy(),
                    timeout=left_ms())


def test_switching_source_and_closing_leave_no_thread_running(make_app, qtbot, face_video, no_dangling_qthreads):
    parts = make_app()
    parts.window.start(face_video)
    qtbot.waitUntil(lambda: parts.window.view.frames_shown >= 3, timeout=WAIT_MS)
    first_generation = parts.controller.generation
    results = []
    parts.controller.result.connect(results.append)
    parts.window.start_source(str(asset_path("sample_faces.jpg")))
    assert parts.controller.generation == first_generation + 1
    old_capture = [t for t in no_dangling_qthreads if t.objectName() == f"capture-{first_generation}"]
    assert old_capture
    qtbot.waitUntil(lambda: any(len(o.result.faces) == 3 for o in results), timeout=WAIT_MS)
    assert all(o.generation == first_generation + 1 for o in results)   # nothing of the old source got through
    # the old thread ends on its own, before the window closes (the new source waited only for its camera to
    # close, a moment before its thread returns: asserted at once, that moment could still be running)
    qtbot.waitUntil(lambda: not old_capture[0].isRunning()
                    and f"capture-{first_generation}" not in parts.threads_running(), timeout=WAIT_MS)
    parts.window.close()
    qtbot.waitUntil(lambda: parts.threads_running() == [], timeout=WAIT_MS)
    assert not any(t.isRunning() for t in no_dangling_qthreads)


def test_a_missing_camera_says_so_and_offers_a_file(make_app, qtbot):
    parts = make_app()
    parts.window.start(57)
    qtbot.waitUntil(lambda: "No camera found at index 57" in parts.window.view.message(), timeout=WAIT_MS)
    assert "open a video or image file instead" in parts.window.view.message()
    qtbot.waitUntil(lambda: not parts.controller.is_capturing(), timeout=WAIT_MS)
    assert parts.window.isVisible()


def test_an_empty_image_file_says_so_in_one_log_line_and_the_window_keeps_running(make_app, qtbot, tmp_path,
                                                                                   caplog):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    parts = make_app(analyst=SummaryAnalyst())   # no LLM: this test is about the source
    parts.window.start(str(empty))
    qtbot.waitUntil(lambda: "empty.jpg is empty." in parts.window.view.message(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not parts.controller.is_capturing(), timeout=WAIT_MS)
    assert parts.window.isVisible()
    about = [r for r in caplog.records if "empty.jpg" in r.getMessage()]
    assert len(about) == 1 and about[0].levelname == "WARNING" and about[0].exc_info is None, about
    assert not any(r.exc_info for r in caplog.records if r.name.startswith("emotune"))
    parts.window.start(str(asset_path("sample_faces.jpg")))   # and the next file opens as usual
    qtbot.waitUntil(lambda: parts.window.view.frames_shown > 0, timeout=WAIT_MS)


def test_a_lost_camera_says_so_and_start_retries(make_app, qtbot, face_video):
    """CameraSource itself, on a real OpenCV stream (the face video) that stops sending frames at its end as an
    unplugged camera does: the window says so and Start opens the camera again."""
    opened = []

    def opener(spec):
        if spec == 0:
            opened.append(CameraSource(0, max_failures=5, open_capture=lambda index: cv2.VideoCapture(face_video)))
            return opened[-1]
        return open_source(spec)

    parts = make_app(source_opener=opener)
    parts.window.start(0)
    qtbot.waitUntil(lambda: "Camera 0 stopped sending frames" in parts.window.view.message(), timeout=WAIT_MS)
    assert "retry" in parts.window.view.message().lower() and "plugged in" in parts.window.view.message()
    qtbot.waitUntil(lambda: not parts.controller.is_capturing(), timeout=WAIT_MS)
    assert "off" in parts.window.status.camera.text()
    shown = parts.window.view.frames_shown
    assert shown > 0   # the video's frames were shown before it stopped
    parts.window.controls.start_action.trigger()   # "Start" (space) retries the same camera
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Camera 0 stopped sending frames" in parts.window.view.message(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: parts.window.view.frames_shown > shown, timeout=WAIT_MS)   # the second run's frames


class HangingCamera:
    """A camera whose driver hangs: after `frames` frames a read blocks until the test lets it return (a USB
    camera's read can block for seconds). Opening it while it is still open fails, as a busy device does."""

    description, fps = "Hanging camera", 30.0

    def __init__(self, frames: int) -> None:
        self.frames, self.count, self.is_open = frames, 0, False
        self.events: list[str] = []
        self.hanging = threading.Event()    # a read is blocked right now
        self.release = threading.Event()    # lets the blocked read (and every later one) return
        self.image = cv2.imread(str(asset_path("sample_faces.jpg")))

    def open(self) -> None:
        if self.is_open:
            raise SourceUnavailable("Hanging camera is busy: another capture still holds it.")
        self.is_open, self.count = True, 0
        self.events.append("open")

    def read(self) -> Frame | None:
        if self.count >= self.frames and not self.release.is_set():
            self.hanging.set()
            self.release.wait()
        self.count += 1
        return Frame(self.image, self.count / self.fps, self.count, self.description)

    def close(self) -> None:
        self.is_open = False
        self.events.append("close")


def test_stop_and_restart_while_a_camera_read_hangs_never_wait_for_it(make_app, qtbot, gui_joins):
    camera = HangingCamera(frames=5)
    parts = make_app(source_opener=lambda spec: camera)
    parts.window.start(0)
    qtbot.waitUntil(camera.hanging.is_set, timeout=WAIT_MS)
    gui_joins.clear()
    parts.window.toggle_capture()                 # Space: stop, while the read is stuck in the "driver"
    assert gui_joins == []                        # the GUI thread joined nothing: it went on at once
    assert camera.is_open and "capture-1" in parts.threads_running()
    assert not parts.controller.is_capturing() and "off" in parts.window.status.camera.text()
    assert "Stopped" in parts.window.view.message()
    parts.window.toggle_capture()                 # Space again at once: the new capture waits, in its thread
    assert gui_joins == [] and camera.events == ["open"]
    assert "Opening" in parts.window.view.message()
    parts.window.toggle_capture()                 # and stop and start once more while that one still waits:
    parts.window.toggle_capture()                 # the newest still waits for the first, the hung one
    assert gui_joins == [] and camera.events == ["open"]
    camera.release.set()                          # the driver returns: the old capture closes, the new one opens
    qtbot.waitUntil(lambda: camera.events == ["open", "close", "open"], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Hanging camera on" in parts.window.status.camera.text(), timeout=WAIT_MS)
    shown = parts.window.view.frames_shown
    qtbot.waitUntil(lambda: parts.window.view.frames_shown > shown, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: parts.controller.threads_running() == ["inference", "capture-3"], timeout=WAIT_MS)
    assert "busy" not in parts.window.view.message()


def test_closing_the_window_while_a_camera_read_hangs_returns_at_once_and_the_threads_end_after(
        make_app, qtbot, gui_joins):
    camera = HangingCamera(frames=5)
    parts = make_app(source_opener=lambda spec: camera)
    parts.window.start(0)
    qtbot.waitUntil(camera.hanging.is_set, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: parts.controller.model_status is not None, timeout=WAIT_MS)
    gui_joins.clear()
    parts.window.close()
    assert gui_joins == [] and not parts.window.isVisible()
    assert camera.is_open and "capture-1" in parts.threads_running()
    with qtbot.waitSignal(parts.controller.stopped, timeout=WAIT_MS):
        camera.release.set()
    assert parts.threads_running() == [] and camera.events == ["open", "close"]


def _resources_with_emotion_model(tmp_path, damage: str):
    """A copy of the resource folder (links to the real files) whose emotion model is missing or corrupt."""
    root = tmp_path / "resources"
    (root / "models").mkdir(parents=True)
    (root / "assets").symlink_to(asset_path("sample_faces.jpg").parent)
    weights = []
    for f in models_dir().iterdir():
        if f.name.startswith("emotion") and f.suffix != ".json":
            weights.append(f.name)
            if damage == "corrupt":
                (root / "models" / f.name).write_bytes(b"PK\x03\x04 not a model" + b"\0" * 4096)
        elif f.is_file():
            (root / "models" / f.name).symlink_to(f)
    assert weights, "no emotion model in models/"
    return root, weights


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_a_missing_or_corrupt_emotion_model_still_boxes_faces_and_says_why(window_factory, qtbot, tmp_path,
                                                                           monkeypatch, damage):
    """The real factory (default_classifier) against a resource folder whose emotion model file is missing or
    damaged: the window opens, faces are found and boxed without emotions, and the status bar and the mood
    panel say that the emotion model is not loaded and why."""
    root, weights = _resources_with_emotion_model(tmp_path, damage)
    monkeypatch.setenv("EMOTUNE_RESOURCES", str(root))
    parts = window_factory(classifier=None, classifier_factory=default_classifier, interval_ms=50)
    errors, results = [], []
    parts.controller.inference_error.connect(errors.append)
    parts.controller.result.connect(results.append)
    parts.window.start(str(asset_path("sample_faces.jpg")))
    qtbot.waitUntil(lambda: parts.controller.model_status is not None, timeout=WAIT_MS)
    status = parts.controller.model_status
    assert status.detector and not status.emotion
    assert damage in status.problem and any(w in status.problem for w in weights)
    assert errors and "Emotion model unavailable" in errors[0] and "without emotions" in errors[0]
    assert parts.window.status.models.text() == "Emotion model missing"
    assert status.problem in parts.window.status.models.toolTip()
    qtbot.waitUntil(lambda: any(len(o.result.faces) == 3 for o in results), timeout=WAIT_MS)
    assert not any(o.emotions for o in results)
    assert "emotion model is not loaded" in parts.window.mood.detail.text()
    assert parts.window.bars.scores() is None and parts.window.isVisible()


def test_no_face_in_view_says_looking_for_a_face(make_app, qtbot, tmp_path):
    empty = tmp_path / "empty_room.png"
    cv2.imwrite(str(empty), np.full((480, 640, 3), 120, np.uint8))
    parts = make_app()
    results = []
    parts.controller.result.connect(results.append)
    parts.window.start(str(empty))
    qtbot.waitUntil(lambda: len(results) >= 2, timeout=WAIT_MS)
    assert parts.window.view.message() == "Looking for a face…"
    assert parts.window.bars.scores() is None


class _UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


def test_play_opens_the_track_url_and_copy_puts_it_on_the_clipboard(qtbot):
    item = TrackItem("4uLU6hMCjMI75M1A2tKUQC", "Never Gonna Give You Up", "Rick Astley", "Whenever You Need "
                     "Somebody", "upbeat and warm to match a happy mood", "https://open.spotify.com/track/"
                     "4uLU6hMCjMI75M1A2tKUQC")
    other = TrackItem("7qiZfU4dY1lWllzX7mPBI3", "Shape of You", "Ed Sheeran", "÷", "danceable", "https://open."
                      "spotify.com/track/7qiZfU4dY1lWllzX7mPBI3")
    tracks = TrackList()
    qtbot.addWidget(tracks)
    tracks.show_batch(TrackBatch((item, other), "", "offline catalog"))
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("https", catcher, "open")
    try:
        with qtbot.waitSignal(tracks.track_played, timeout=5000) as played:
            tracks.rows()[1].play_button.click()
    finally:
        QDesktopServices.unsetUrlHandler("https")
    assert catcher.urls == [other.url]
    assert played.args[0] == other
    tracks.rows()[0].copy_button.click()
    assert QGuiApplication.clipboard().text() == item.url
    assert "2 tracks" in tracks.note.text()
