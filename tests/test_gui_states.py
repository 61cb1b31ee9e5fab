"""States that tell the truth and feedback for every click (issue 23, part B), on the real window with the real
detector and emotion model, through pytest-qt: a photo is a photo, a folder of photos steps, a hand-set mood and
the detected one agree, the mood header agrees with its numbers, an unreadable source promises no mood, the
track buttons say what they did and can be undone, and the skipped-frame count is per run."""
from __future__ import annotations

import functools
import shutil
import threading

import cv2
import numpy as np
import pytest
from cmyk_jpeg import bgr_to_cmyk, encode_cmyk_jpeg
from conftest import compose_frame, fer_test_faces
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QMenuBar, QToolBar, QWidget

from emotune.capture import open_source
from emotune.core.emotions import EMOTIONS
from emotune.core.mood import MoodSnapshot, blend_of
from emotune.core.types import Frame
from emotune.gui import settings as keys
from emotune.gui.services.interfaces import SummaryAnalyst, TrackBatch, TrackItem
from emotune.gui.widgets.live_text import LiveText
from emotune.gui.widgets.mood_panel import MoodPanel, headline_html
from emotune.gui.widgets.track_list import TrackList
from emotune.gui.workers.frame_slot import CapturedFrame
from emotune.resources import asset_path

pytestmark = pytest.mark.slow
WAIT_MS = 60000
SAMPLE = str(asset_path("sample_faces.jpg"))


@pytest.fixture
def make_app(window_factory, classifier):
    """A window without the language model (the plain summary analyses at once), on the real catalog."""
    return functools.partial(window_factory, classifier=classifier, interval_ms=50,
                             analyst=SummaryAnalyst("no model in these tests"))


@pytest.fixture(scope="module")
def face_video(tmp_path_factory, fer_dir) -> str:
    """A 640×480, 25 fps, 3 s video of one happy FER test face."""
    picks = {label: path for path, label in reversed(fer_test_faces(fer_dir, per_class=1))}
    frame = compose_frame([cv2.imread(str(picks["happy"]), cv2.IMREAD_GRAYSCALE)], face_px=200)
    path = tmp_path_factory.mktemp("video") / "one_face.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (640, 480))
    for i in range(75):
        writer.write(np.roll(frame, i % 5, axis=1))
    writer.release()
    return str(path)


def _words(window, messages: list[str]) -> list[str]:
    """Everything the window says about its state: the picture's message, every visible label and its
    tooltip, every status message shown. The toolbar and menus are left out: they name what can be opened
    ("Open video or image…"), not what is open."""
    said = [window.view.message()] + messages
    skip = set(window.findChildren(QToolBar)) | set(window.findChildren(QMenuBar))
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or any(p in skip for p in _parents(widget)):
            continue
        said.append(widget.toolTip())
        if isinstance(widget, (QLabel, LiveText)):
            said.append(widget.text())
    return said


def _parents(widget: QWidget):
    while widget is not None:
        yield widget
        widget = widget.parentWidget()


def test_a_photo_is_analysed_as_a_photo_and_never_spoken_of_as_a_video(make_app, qtbot):
    parts = make_app()
    window = parts.window
    messages: list[str] = []
    window.status.messageChanged.connect(messages.append)
    parts.controller.start_models()
    # the light as the window set it on opening (its slot runs first): read after waitSignal instead, it could
    # already show the end, when the photo's end was queued behind the opening and both ran in one pass
    lights: list[str] = []
    parts.controller.source_opened.connect(lambda *_: lights.append(window.status.camera.text()))
    with qtbot.waitSignal(parts.controller.source_opened, timeout=WAIT_MS):
        window.start_source(SAMPLE)
    assert lights == ["● Reading sample_faces.jpg"]   # while it is read, not "… on"
    qtbot.waitUntil(lambda: window.view.message().startswith("Photo analysed."), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not parts.controller.is_capturing(), timeout=WAIT_MS)
    assert window.status.camera.text() == "✓ Photo analysed"
    window._update_stats()                                        # the periodic refresh of the light's figures
    assert "a second" not in window.status.camera.toolTip()      # a photo has no frame rate
    assert not window.photo_bar.isVisible()                       # one photo: nothing to step through
    # the mood is kept, without a trend or a hold time (a photo does not change)
    assert parts.session.latest is not None and window.mood.detected is not None
    assert window.mood.headline.text() == headline_html(window.mood.detected)
    assert "held" not in window.mood.detail.text() and "steady" not in window.mood.detail.text()
    said = "\n".join(_words(window, messages)).lower()
    assert "video" not in said and "play it again" not in said and "space" not in said, said


def test_a_folder_of_photos_steps_through_them_with_the_buttons_and_the_keys(make_app, qtbot, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / "a_people.jpg")
    cv2.imwrite(str(folder / "b_empty_room.png"), np.full((480, 640, 3), 120, np.uint8))
    shutil.copy(SAMPLE, folder / "c_people_again.jpg")
    opened: list[str] = []

    def opener(spec):
        opened.append(str(spec))
        return open_source(spec)

    parts = make_app(source_opener=opener)
    window, bar = parts.window, parts.window.photo_bar
    parts.controller.start_models()
    window.start_source(str(folder))
    assert bar.isVisible() and bar.position.text() == "Photo 1 of 3: a_people.jpg"
    assert not bar.previous_action.isEnabled() and bar.next_action.isEnabled()
    qtbot.waitUntil(lambda: window.view.message().startswith("Photo analysed.\nPhoto 1 of 3"), timeout=WAIT_MS)
    assert "→ next" in window.view.message() and "previous" not in window.view.message()
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Right)                       # → : the next photo
    assert bar.position.text() == "Photo 2 of 3: b_empty_room.png" and bar.previous_action.isEnabled()
    qtbot.waitUntil(lambda: window.view.message().startswith("No face found in this photo.\nPhoto 2 of 3"),
                    timeout=WAIT_MS)
    assert window.mood.headline.text() == "No mood yet"            # the first photo's mood is not carried over
    assert window.mood.detail.text() == "No face found in this photo."
    assert window.status.camera.text() == "○ No face found"
    bar.next_action.trigger()                                       # the button
    qtbot.waitUntil(lambda: window.view.message().startswith("Photo analysed.\nPhoto 3 of 3"), timeout=WAIT_MS)
    assert not bar.next_action.isEnabled() and "next" not in window.view.message()
    qtbot.keyClick(window, Qt.Key.Key_PageUp)                       # Page Up: back one
    assert bar.position.text() == "Photo 2 of 3: b_empty_room.png"
    qtbot.waitUntil(lambda: not parts.controller.is_capturing() and "Photo 2 of 3" in window.view.message(),
                    timeout=WAIT_MS)
    assert [p.rsplit("/", 1)[-1] for p in opened] == ["a_people.jpg", "b_empty_room.png", "c_people_again.jpg",
                                                      "b_empty_room.png"]
    assert window.settings.get(keys.LAST_SOURCE) == str(folder)    # the folder is what was opened


def test_a_hand_set_mood_and_the_detected_one_agree_across_a_replay(make_app, qtbot, face_video):
    parts = make_app()
    window, session = parts.window, parts.session
    messages: list[str] = []
    window.status.messageChanged.connect(messages.append)
    parts.controller.start_models()
    window.controls.set_manual("angry")                            # set by hand before anything was detected
    assert "Tense and angry" in window.mood.headline.text()
    assert window.mood.detail.text().startswith("Set by hand")
    window.start_source(face_video)
    qtbot.waitUntil(lambda: window.mood.detected is not None, timeout=WAIT_MS)
    # faces are boxed: the panel shows the hand-set mood in force and what is detected under it
    assert "Tense and angry" in window.mood.headline.text() and "No mood yet" not in window.mood.headline.text()
    assert "Detected now:" in window.mood.detail.text() and "Looking for a face" not in window.mood.detail.text()
    qtbot.waitUntil(lambda: window.mood.timeline.point_count() >= 3, timeout=WAIT_MS)   # the chart keeps going
    qtbot.waitUntil(lambda: not parts.controller.is_capturing(), timeout=WAIT_MS)
    window.controls.start_action.trigger()                          # replay, still set by hand
    qtbot.waitUntil(lambda: parts.controller.is_capturing(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.mood.detected is not None and window.mood.timeline.point_count() >= 2,
                    timeout=WAIT_MS)
    assert "Tense and angry" in window.mood.headline.text() and "Detected now:" in window.mood.detail.text()
    # back to the detected mood: the headline, the chart and the status agree on it
    window.controls.set_manual("")
    detected = window.mood.detected
    assert window.mood.headline.text() == headline_html(detected)
    assert "Set by hand" not in window.mood.detail.text() and window.mood.timeline.point_count() >= 2
    assert messages[-1] == "Back to the detected mood."
    assert session.current_mood() is session.latest


def test_the_mood_header_agrees_with_its_numbers_and_the_valence_words(qtbot):
    panel = MoodPanel()
    qtbot.addWidget(panel)
    one_face = MoodSnapshot.from_distribution([0.01, 0.01, 0.02, 0.91, 0.01, 0.02, 0.02])
    panel.show_mood(one_face)
    assert "Happy" in panel.headline.text() and panel.detail.text().startswith("91% sure")
    assert "pleasant" in panel.va.text() and "unpleasant" not in panel.va.text()
    # a group of one happy (91 %) and two sad faces: not "Happy · 32 % sure" over a valence of about 0
    sad_faces = [[0.05, 0.02, 0.08, 0.0, 0.75, 0.0, 0.10], [0.10, 0.02, 0.05, 0.0, 0.70, 0.0, 0.13]]
    group = MoodSnapshot.from_distribution(np.mean([one_face.distribution, *sad_faces], axis=0), face_count=3)
    panel.show_mood(group)
    assert group.blend().mixed and "Mixed:" in panel.headline.text() and "sure" not in panel.detail.text()
    assert "across 3 faces" in panel.detail.text()
    assert "neither pleasant nor unpleasant" not in panel.va.text()
    # a flat distribution never makes a headline of its strongest emotion at 16 %
    flat = MoodSnapshot.from_distribution([0.16, 0.14, 0.14, 0.14, 0.14, 0.14, 0.14])
    panel.show_mood(flat)
    assert panel.headline.text().count("●") == 2 and "Mixed:" in panel.headline.text()
    assert "Tense and angry" not in panel.headline.text()
    # in words that read as a sentence, not the class names ("happy and fear")
    happy_and_afraid = MoodSnapshot.from_distribution([0.05, 0.0, 0.35, 0.45, 0.05, 0.05, 0.05])
    panel.show_mood(happy_and_afraid)
    assert panel.headline.text().endswith("Mixed: happy and fearful")
    # a single clear mood names its emotion, whatever the hysteresis held before
    assert not blend_of([0, 0, 0, 0.2, 0.7, 0, 0.1], "sad").mixed
    assert blend_of([0, 0, 0, 0.3, 0.6, 0, 0.1], "sad").emotions == ("sad", "happy")   # opposite feelings
    assert all(len(blend_of(np.eye(7)[i]).emotions) == 1 for i in range(len(EMOTIONS)))


def test_the_window_header_agrees_with_the_main_face_on_a_one_face_video(make_app, qtbot, face_video):
    parts = make_app()
    window = parts.window
    parts.controller.start_models()
    window.start_source(face_video)
    qtbot.waitUntil(lambda: window.mood.detected is not None and window.bars.scores() is not None,
                    timeout=WAIT_MS)
    mood = window.mood.detected
    blend = mood.blend()
    if blend.mixed:
        assert "Mixed:" in window.mood.headline.text() and "sure" not in window.mood.detail.text()
    else:
        assert f"{blend.shares[0]:.0%} sure" in window.mood.detail.text()
    qtbot.waitUntil(lambda: not parts.controller.is_capturing(), timeout=WAIT_MS)


def test_a_cmyk_photo_is_read_and_its_faces_found(make_app, qtbot, tmp_path):
    """A print-shop JPEG (CMYK, Adobe marker) is a photo like any other: read, its three faces found."""
    photo = tmp_path / "print.jpg"
    photo.write_bytes(encode_cmyk_jpeg(bgr_to_cmyk(cv2.imread(SAMPLE))))
    parts = make_app()
    parts.controller.start_models()
    parts.window.start_source(str(photo))
    qtbot.waitUntil(lambda: parts.window.view.message().startswith("Photo analysed.")
                    and parts.session.latest is not None, timeout=WAIT_MS)
    assert parts.session.latest.face_count == 3
    qtbot.waitUntil(lambda: not parts.controller.is_capturing(), timeout=WAIT_MS)


def test_an_unreadable_source_promises_no_mood(make_app, qtbot, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"this is not a picture")
    parts = make_app()
    parts.controller.start_models()
    parts.window.start_source(str(broken))
    qtbot.waitUntil(lambda: "Cannot read broken.jpg as an image" in parts.window.view.message(), timeout=WAIT_MS)
    assert parts.window.mood.detail.text() == "No mood: cannot read broken.jpg as an image."
    assert "Looking for a face" not in parts.window.mood.detail.text()
    assert parts.window.mood.headline.text() == "No mood yet"


def test_a_replay_counts_its_own_skipped_frames(make_app, qtbot):
    release = threading.Event()

    def opener(spec):   # the run opens only when the test lets it, so no frame of it is counted yet
        release.wait(WAIT_MS / 1000)
        return open_source(spec)

    parts = make_app(source_opener=opener)
    slot = parts.controller.slot
    image = np.zeros((8, 8, 3), np.uint8)
    for i in range(4):   # four frames nobody took (an earlier run's): three skipped
        slot.put(CapturedFrame(Frame(image, float(i), i, "test"), float(i), parts.controller.generation))
    assert slot.dropped == 3
    parts.window.start_source(SAMPLE)
    assert slot.dropped == 0
    release.set()


TRACK = TrackItem("4uLU6hMCjMI75M1A2tKUQC", "Never Gonna Give You Up", "Rick Astley", "Whenever You Need Somebody",
                  "upbeat and warm to match a happy mood", "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC")


def _track_list(qtbot, **kwargs) -> tuple[TrackList, list[str]]:
    tracks = TrackList(**kwargs)
    qtbot.addWidget(tracks)
    tracks.show()
    said: list[str] = []
    tracks.message.connect(said.append)
    tracks.show_batch(TrackBatch((TRACK,), "", "offline catalog"))
    return tracks, said


def test_play_without_a_browser_says_so_and_copies_the_link(qtbot):
    tried: list[str] = []
    tracks, said = _track_list(qtbot, opener=lambda url: tried.append(url.toString()) or False)
    QGuiApplication.clipboard().clear()
    row = tracks.rows()[0]
    row.play_button.click()
    assert tried == [TRACK.url]
    assert said == [("No web browser could be opened, so the link to “Never Gonna Give You Up” is on the "
                     "clipboard: paste it into your browser.")]
    assert QGuiApplication.clipboard().text() == TRACK.url and row.copy_button.text() == "✓ Copied"


def test_copy_link_confirms_visibly(qtbot):
    tracks, said = _track_list(qtbot, opener=lambda url: True)
    row = tracks.rows()[0]
    row.copy_button.click()
    assert QGuiApplication.clipboard().text() == TRACK.url
    assert row.copy_button.text() == "✓ Copied" and said == ["Link to “Never Gonna Give You Up” copied."]
    qtbot.waitUntil(lambda: row.copy_button.text() == "Copy link", timeout=WAIT_MS)   # ready for the next copy


@pytest.mark.parametrize("kind, words, greyed", [("like", "♥ Liked", False), ("skip", "Skipped", True),
                                                 ("not_for_mood", "Not for this mood", True)])
def test_each_vote_shows_its_effect_and_can_be_undone(qtbot, kind, words, greyed):
    tracks, said = _track_list(qtbot, opener=lambda url: True)
    given, undone = [], []
    tracks.feedback_given.connect(lambda item, k: given.append(k))
    tracks.feedback_undone.connect(lambda item, k: undone.append((item, k)))
    row = tracks.rows()[0]
    title = row._labels[0]
    row.feedback_buttons[kind].click()
    assert given == [kind] and row.vote() == kind
    assert row.state.isVisibleTo(row) and row.state.text().startswith(words)
    assert row.undo_button.isVisibleTo(row) and title.isEnabled() != greyed
    assert not any(b.isEnabled() for b in row.feedback_buttons.values())
    row.undo_button.click()
    assert undone == [(TRACK, kind)] and row.vote() == ""
    assert not row.state.isVisibleTo(row) and not row.undo_button.isVisibleTo(row) and title.isEnabled()
    assert all(b.isEnabled() for b in row.feedback_buttons.values())
    assert said[-1].startswith("Undone:")


def test_play_on_youtube_music_searches_for_the_artist_and_title(make_app, qtbot):
    parts = make_app()
    tracks, settings = parts.window.tracks, parts.window.settings
    tracks.player_actions["youtube_music"].trigger()
    assert settings.get(keys.PLAY_ON) == "youtube_music" and tracks.player_button.text() == "Play on: YouTube Music ▾"
    opened: list[QUrl] = []
    tracks._opener = lambda url: opened.append(url) or True
    tracks.show_batch(TrackBatch((TRACK,), "", "offline catalog"))
    tracks.rows()[0].play_button.click()
    assert [u.toString() for u in opened] == ["https://music.youtube.com/search?q=Rick+Astley+Never+Gonna+Give+You+Up"]
    tracks.player_actions["youtube"].trigger()                   # the rows shown follow at once
    assert tracks.rows()[0].url == "https://www.youtube.com/results?search_query=Rick+Astley+Never+Gonna+Give+You+Up"
    assert settings.get(keys.PLAY_ON) == "youtube"


def test_undo_takes_the_feedback_out_of_the_journal(make_app, qtbot):
    parts = make_app(journal=True)
    bridge = parts.journal
    qtbot.waitUntil(lambda: bridge.store is not None, timeout=WAIT_MS)
    parts.controller.start_models()
    parts.window.start_source(SAMPLE)
    qtbot.waitUntil(lambda: parts.session.latest is not None, timeout=WAIT_MS)
    with qtbot.waitSignal(parts.session.tracks_ready, timeout=WAIT_MS):
        parts.window.controls.capture_action.trigger()
    row = parts.window.tracks.rows()[0]
    with qtbot.waitSignal(bridge.written, timeout=WAIT_MS, check_params_cb=lambda what: what == "feedback"):
        row.feedback_buttons["not_for_mood"].click()
    mood = parts.session.captured_mood.dominant
    assert row.track.track_id in bridge.store.boosts_for(mood).excluded
    with qtbot.waitSignal(bridge.written, timeout=WAIT_MS, check_params_cb=lambda what: what == "feedback"):
        row.undo_button.click()
    assert bridge.store.counts()["feedback"] == 0
    assert row.track.track_id not in bridge.store.boosts_for(mood).excluded


def test_a_folder_without_photos_says_so_and_promises_no_mood(make_app, qtbot, tmp_path):
    empty = tmp_path / "no_photos"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a photo")
    parts = make_app()
    parts.controller.start_models()
    parts.window.start_source(str(empty))
    qtbot.waitUntil(lambda: "No images in" in parts.window.view.message(), timeout=WAIT_MS)
    assert "Choose a folder with JPEG or PNG files." in parts.window.view.message()
    assert parts.window.mood.detail.text().startswith("No mood: no images in")
    assert not parts.window.photo_bar.isVisible()
