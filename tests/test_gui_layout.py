"""Layouts that hold, on the real window through pytest-qt: nothing overlaps at the minimum size, four tracks or
more show at the default and the common sizes, notes wrap instead of being cut, the status bar never cuts a
message silently, the menus reach what the README promises, every control has a name, and grey text passes
WCAG AA."""
from __future__ import annotations

import functools

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QLabel, QSplitterHandle, QWidget

from emotune.core.mood import MoodSnapshot
from emotune.gui.accessibility import unnamed_controls
from emotune.gui.main_window import DEFAULT_SIZE, MINIMUM_SIZE
from emotune.gui.style import AA_CONTRAST, contrast_ratio

# long, real messages the window shows (source failure, Spotify, saved playlist, journal)
MESSAGES = (
    "Liked Call You Mine. The next tracks for this mood favour it and its artist (kept in your mood journal).",
    ("Spotify login timed out: nobody approved EmoTune in the browser within 3 minutes. Press File → Connect "
     "Spotify… to try again."),
    ("Saved “EmoTune – Happy – 25 Nov” (8 tracks) to your Spotify account: https://open.spotify.com/playlist/"
     "37i9dQZF1DXcBWIGoYBM5M"),
    "No camera found. You can still open a video or image (Ctrl+O).",
)


@pytest.fixture
def make_app(window_factory, classifier):
    return functools.partial(window_factory, classifier=classifier, interval_ms=100)


def _sized(qtbot, window, size) -> None:
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == tuple(size))
    qtbot.wait(50)   # let the layouts settle (no condition to wait for: the sizes above are already final)


def _overlaps(root: QWidget) -> list[str]:
    """Pairs of visible sibling widgets whose rectangles intersect, anywhere under `root`."""
    found = []
    for parent in [root, *root.findChildren(QWidget)]:
        if not parent.isVisible() or isinstance(parent, QAbstractScrollArea):
            continue   # a scroll area's viewport, bars and corner are laid out by Qt itself
        kids = [w for w in parent.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
                if w.isVisible() and not w.isWindow() and not isinstance(w, QSplitterHandle)
                and w.width() > 0 and w.height() > 0]
        for i, a in enumerate(kids):
            for b in kids[i + 1:]:
                if a.geometry().intersects(b.geometry()):
                    found.append(f"{type(a).__name__}({a.objectName() or a.accessibleName()[:30]}) × "
                                 f"{type(b).__name__}({b.objectName() or b.accessibleName()[:30]}) in "
                                 f"{type(parent).__name__}")
    return found


def _cut_labels(root: QWidget) -> list[str]:
    """Visible word-wrapped labels shorter than their text needs (the text is cut at the bottom)."""
    return [label.text()[:60] for label in root.findChildren(QLabel)
            if label.isVisible() and label.wordWrap() and label.text()
            and label.height() < label.heightForWidth(label.width())]


def _cut_buttons(root: QWidget) -> list[str]:
    """Visible buttons narrower than their text needs (at the minimum size the track list's five header
    buttons once read "tch my mo", "Play…fy")."""
    return [button.text() for button in root.findChildren(QAbstractButton)
            if button.isVisible() and button.text() and button.width() < button.sizeHint().width()]


def _real_tracks(parts, mood="happy"):
    """A real list from the offline catalog, with its real reasons."""
    prefs = parts.settings.preferences()
    return parts.session.music.recommend(MoodSnapshot.manual_mood(mood), "match", prefs, None, False)


def test_the_window_at_its_minimum_size_has_no_overlap_and_no_cut_note(make_app, qtbot):
    parts = make_app()
    window = parts.window
    assert (window.minimumWidth(), window.minimumHeight()) == MINIMUM_SIZE
    window.tracks.show_batch(_real_tracks(parts))
    _sized(qtbot, window, MINIMUM_SIZE)
    assert _cut_buttons(window) == []                 # the columns share the width by their contents: twice
    window.mood.show_mood(MoodSnapshot.manual_mood("happy"))
    window.analysis.begin("Reading your mood…")
    _sized(qtbot, window, MINIMUM_SIZE)
    assert _overlaps(window) == []
    assert _cut_labels(window) == []
    assert _cut_buttons(window) == []
    assert not window.tracks.scroll.horizontalScrollBar().isVisible()
    assert window.statusBar().isVisible() and window.rect().contains(window.statusBar().geometry())
    va = window.mood.va
    assert va.text() and va.isVisible() and va.height() >= max(va.fontMetrics().height(), va.heightForWidth(va.width()))
    # the longest headline, a mix of the two longest words, over a group's two-line detail, is shown whole
    window.mood.set_manual(None)
    window.mood.show_mood(MoodSnapshot.from_distribution([0.0, 0.42, 0.0, 0.0, 0.0, 0.40, 0.18], face_count=3))
    _sized(qtbot, window, MINIMUM_SIZE)
    headline = window.mood.headline
    assert headline.text().endswith("Mixed: disgusted and surprised")
    assert headline.isVisible() and headline.wordWrap() and _cut_labels(window) == []
    timeline = window.mood.timeline   # its second line pushes nothing out of the mood box
    assert timeline.visibleRegion().boundingRect() == timeline.rect()


@pytest.mark.parametrize("size", [DEFAULT_SIZE, (1280, 800), (1600, 1000)])
def test_four_tracks_or_more_show_and_a_new_list_opens_at_the_top(make_app, qtbot, size):
    parts = make_app()
    window = parts.window
    window.tracks.show_batch(_real_tracks(parts, "sad"))
    _sized(qtbot, window, size)
    viewport = window.tracks.scroll.viewport()
    area = QRect(0, 0, viewport.width(), viewport.height())

    def whole_rows() -> int:
        return sum(area.contains(QRect(row.mapTo(viewport, row.rect().topLeft()), row.size()))
                   for row in window.tracks.rows())

    assert whole_rows() >= 4
    assert not window.tracks.scroll.horizontalScrollBar().isVisible()
    bar = window.tracks.scroll.verticalScrollBar()
    bar.setValue(bar.maximum())
    assert bar.value() > 0
    window.tracks.show_batch(_real_tracks(parts, "happy"))
    assert bar.value() == 0


def test_the_default_size_fits_the_screen_and_is_never_below_the_minimum(make_app):
    window = make_app().window
    w, h = window._default_size()
    screen = window.screen().availableGeometry()
    assert w == max(MINIMUM_SIZE[0], min(DEFAULT_SIZE[0], screen.width()))
    assert h == max(MINIMUM_SIZE[1], min(DEFAULT_SIZE[1], screen.height()))


def test_every_status_message_is_shown_in_full_or_elided_with_a_tooltip(make_app, qtbot):
    window = make_app().window
    _sized(qtbot, window, MINIMUM_SIZE)
    status = window.status
    for text in MESSAGES:
        status.showMessage(text, 60000)
        label = status.message
        assert status.currentMessage() == text
        assert label.isVisible() and label.width() > 200          # the fixed items leave the message room
        if label.is_elided():
            assert label.shown_text().endswith("…") and label.toolTip().startswith(text)
        else:
            assert label.shown_text() == text
    for item in (status.camera, status.models, status.network):
        assert not item.is_elided() or item.toolTip().startswith(item.text())


def test_the_status_bar_speaks_plain_words(make_app, qtbot):
    window = make_app().window
    window.status.set_rates(10.0, 2.2, 597)
    shown = " ".join(w.text() for w in (window.status.camera, window.status.models, window.status.network))
    for jargon in ("fps", "ms/face", "frames not analysed", "✓", ".gguf"):
        assert jargon not in shown
    assert "2.2 ms" in window.status.camera.toolTip()          # the figures are still there, on hover


def test_file_open_reaches_a_folder_and_the_mood_override_is_in_a_menu(make_app, qtbot, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog

    window = make_app().window
    opened = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path)))
    monkeypatch.setattr(window.sources, "start_source", opened.append)   # the source panel opens it
    file_menu = window.menuBar().actions()[0].menu()
    folder = next(a for a in file_menu.actions() if "folder" in a.text().lower())
    folder.trigger()
    assert opened == [str(tmp_path)]
    source = window.controls.source                    # the Source list offers it too
    pos = source.findText("Open a folder of photos…")
    assert pos >= 0
    source.activated.emit(pos)
    assert opened == [str(tmp_path)] * 2
    window.controls.set_cameras([0])
    assert [source.itemText(i) for i in range(source.count())][-2:] == ["Open video or image…",
                                                                       "Open a folder of photos…"]

    window.controls.mood_actions["sad"].trigger()
    assert window.controls.manual.currentData() == "sad" and window.session.manual
    window.controls.set_manual("")
    assert window.controls.mood_actions[""].isChecked()
    help_texts = [a.text().replace("&", "") for a in window.help_actions if a is not None]
    assert len(help_texts) >= 4 and "Where is my data?" in help_texts


def test_about_names_the_network_caveats():
    from emotune.gui.dialogs.help_dialogs import PRIVACY

    assert "Spotify" in PRIVACY and "huggingface.co" in PRIVACY


def test_every_control_has_an_accessible_name_and_grey_text_passes_aa(make_app, qtbot):
    parts = make_app()
    window = parts.window
    window.tracks.show_batch(_real_tracks(parts))
    assert [type(w).__name__ + ":" + w.objectName() for w in unnamed_controls(window)] == []
    reason = next(lab for lab in window.tracks.rows()[0].findChildren(QLabel) if not lab.isEnabled())
    pal = reason.palette()
    grey = pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    for background in (pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Window),
                       pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Base)):
        assert contrast_ratio(grey, background) >= AA_CONTRAST


def test_contrast_ratio_matches_wcag_examples():
    from PySide6.QtGui import QColor

    assert round(contrast_ratio(QColor("black"), QColor("white")), 1) == 21.0
    assert round(contrast_ratio(QColor("#767676"), QColor("white")), 2) == 4.54


def test_every_control_is_reachable_from_the_keyboard(make_app, qtbot):
    from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QAbstractSpinBox, QComboBox, QLineEdit

    parts = make_app()
    window = parts.window
    window.tracks.show_batch(_real_tracks(parts))
    kinds = (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QComboBox, QLineEdit)
    unreachable = [f"{type(w).__name__}:{w.accessibleName()}" for w in window.findChildren(QWidget)
                   if isinstance(w, kinds) and w.isVisibleTo(window)
                   and not w.focusPolicy() & Qt.FocusPolicy.TabFocus
                   and not (isinstance(w, QAbstractButton) and not w.shortcut().isEmpty())]
    assert unreachable == []
    for action in (window.controls.open_action, window.open_folder_action, window.controls.capture_action,
                   window.controls.settings_action, window.controls.start_action):
        assert not action.shortcut().isEmpty() and any(action in menu.actions() for menu in
                                                       (a.menu() for a in window.menuBar().actions()))


def test_where_is_my_data_names_every_file_and_folder(tmp_path):
    from emotune.appdirs import AppDirs
    from emotune.gui.dialogs.help_dialogs import data_text

    dirs = AppDirs.under(tmp_path)
    text = data_text(dirs, str(tmp_path / "config" / "settings.ini"))
    for path in (tmp_path / "config" / "settings.ini", dirs.data / "journal.sqlite3", dirs.log, dirs.cache):
        assert str(path) in text


def test_the_shortcuts_page_lists_every_shortcut_in_words(make_app):
    from emotune.gui.dialogs.help_dialogs import shortcut_rows

    window = make_app().window
    page = shortcut_rows(window.shortcut_actions)
    for words in ("Open video or image", "Open a folder of photos", "Start or stop", "Capture mood", "Full screen",
                  "How EmoTune works", "Ctrl+O", "Space", "F11"):
        assert words in page
    assert "▶" not in page and "&" not in page.replace("&nbsp;", "")


def test_the_journal_tab_at_the_minimum_size_has_no_overlap_and_no_cut_text(make_app, qtbot):
    window = make_app(journal=True).window
    view = window.journal_view
    with qtbot.waitSignal(view.loaded, timeout=30000):
        window.tabs.setCurrentWidget(view)
    _sized(qtbot, window, MINIMUM_SIZE)
    assert _overlaps(window) == []
    assert _cut_labels(window) == []
    legend = next(w for w in view.findChildren(QWidget) if type(w).__name__ == "MoodLegend")
    assert legend.width() >= legend.sizeHint().width()        # the valence entry at its end is drawn whole
