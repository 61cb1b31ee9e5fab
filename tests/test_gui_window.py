"""The real window on real sources (a video written here with FER faces, the sample image, a camera index that
does not exist, a camera that gets lost) with the real detector and emotion model, through pytest-qt."""
from __future__ import annotations

import functools

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QObject, QThread, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication

from conftest import compose_frame, fer_test_faces
from emotune.capture import SourceLost, open_source
from emotune.core.types import Frame
from emotune.gui.app import default_classifier
from emotune.gui.services import TrackBatch, TrackItem
from emotune.gui.track_list import TrackList
from emotune.resources import asset_path

pytestmark = pytest.mark.slow
WAIT_MS = 60000


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


@pytest.fixture(scope="module")
def classifier():
    """One real emotion model for the module (loading TensorFlow once); reused by each window's worker."""
    clf = default_classifier()
    clf.load()
    return clf


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


def test_capture_mood_streams_an_analysis_and_fills_the_track_list(make_app, qtbot):
    parts = make_app()
    parts.window.start(str(asset_path("sample_faces.jpg")))
    qtbot.waitUntil(lambda: parts.session.latest is not None, timeout=WAIT_MS)
    with qtbot.waitSignal(parts.session.tracks_ready, timeout=WAIT_MS) as blocker:
        parts.window.controls.capture_action.trigger()
    batch = blocker.args[0]
    assert parts.window.analysis.plain_text().strip()
    assert parts.session.analysis.source in ("llm", "fallback", "summary")
    assert len(parts.window.tracks.rows()) == len(batch.tracks)
    if parts.session.music.available:
        assert batch.tracks and all(t.url.startswith("https://open.spotify.com/track/") for t in batch.tracks)
    else:
        assert batch.note  # the list says why it is empty
    # the manual override fetches for the chosen mood
    with qtbot.waitSignal(parts.session.captured, timeout=WAIT_MS) as chosen:
        parts.window.controls.set_manual("sad")
    assert chosen.args[0].manual and chosen.args[0].dominant == "sad"
    qtbot.waitUntil(lambda: not parts.session._llm.busy() and not parts.session._music_tasks.busy(), timeout=WAIT_MS)


def test_switching_source_and_closing_leave_no_thread_running(make_app, qtbot, face_video, no_dangling_qthreads):
    parts = make_app()
    parts.window.start(face_video)
    qtbot.waitUntil(lambda: parts.window.view.frames_shown >= 3, timeout=WAIT_MS)
    first_generation = parts.controller.generation
    parts.window.start_source(str(asset_path("sample_faces.jpg")))
    assert parts.controller.generation == first_generation + 1
    old_capture = [t for t in no_dangling_qthreads if t.objectName() == f"capture-{first_generation}"]
    assert old_capture and not old_capture[0].isRunning()  # joined before the new source started
    results = []
    parts.controller.result.connect(results.append)
    qtbot.waitUntil(lambda: any(len(o.result.faces) == 3 for o in results), timeout=WAIT_MS)
    assert all(o.generation == first_generation + 1 for o in results)
    parts.window.close()
    assert parts.threads_running() == []
    assert not any(t.isRunning() for t in no_dangling_qthreads)


def test_a_missing_camera_says_so_and_offers_a_file(make_app, qtbot):
    parts = make_app()
    parts.window.start(57)
    qtbot.waitUntil(lambda: "No camera found at index 57" in parts.window.view.message(), timeout=WAIT_MS)
    assert "Ctrl+O" in parts.window.view.message() or "file" in parts.window.view.message()
    qtbot.waitUntil(lambda: not parts.controller.is_capturing(), timeout=WAIT_MS)
    assert parts.window.isVisible()


class LosingCamera:
    """A camera that delivers a few frames of the sample and is then unplugged: SourceLost, as CameraSource
    raises it. Reaches the window through the same source-opener interface as a real camera."""

    description, fps = "Test camera", 30.0

    def __init__(self, frames: int) -> None:
        self.frames, self.count = frames, 0
        self.image = cv2.imread(str(asset_path("sample_faces.jpg")))

    def open(self) -> None:
        self.count = 0

    def read(self) -> Frame | None:
        if self.count >= self.frames:
            raise SourceLost("Test camera stopped sending frames.", "Check that it is plugged in, then press "
                             "Start to retry.")
        self.count += 1
        return Frame(self.image, self.count / self.fps, self.count, self.description)

    def close(self) -> None:
        pass


def test_a_lost_camera_says_so_and_start_retries(make_app, qtbot):
    opened = []

    def opener(spec):
        if spec == 0:
            opened.append(LosingCamera(frames=8))
            return opened[-1]
        return open_source(spec)

    parts = make_app(source_opener=opener)
    parts.window.start(0)
    qtbot.waitUntil(lambda: "stopped sending frames" in parts.window.view.message(), timeout=WAIT_MS)
    assert "retry" in parts.window.view.message().lower()
    qtbot.waitUntil(lambda: not parts.controller.is_capturing(), timeout=WAIT_MS)
    shown = parts.window.view.frames_shown
    assert shown >= 1
    parts.window.controls.start_action.trigger()   # "Start" (space) retries the same camera
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "stopped sending frames" in parts.window.view.message(), timeout=WAIT_MS)


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
