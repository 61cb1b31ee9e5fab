"""The Settings dialog through pytest-qt: nothing overlaps at its default size (or when made small), a genre box
ticks only itself, a bad model file is refused IN the dialog with its reason and the previous good path kept,
a bad Spotify Client ID is refused with a visible message, and languages are asked for by name."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QLabel, QSplitterHandle, QWidget
from test_llm_download import gguf_bytes

from emotune.gui import settings as keys
from emotune.gui.dialogs.settings_dialog import SettingsDialog
from emotune.gui.settings import Settings

COUNTS = {"blues": 1210, "classical": 1530, "country": 980, "electronic": 2400, "folk": 1100, "hip hop": 2100,
          "jazz": 1500, "latin": 1700, "metal": 1300, "pop": 3900, "r&b": 1200, "reggae": 600, "rock": 4100}


@pytest.fixture
def good_gguf(tmp_path) -> str:
    """A well-formed, complete GGUF file (1.1 MB: above the reader's "too small to be a model" floor)."""
    path = tmp_path / "good-model.gguf"
    path.write_bytes(gguf_bytes(1_100_000))
    return str(path)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.at(tmp_path / "settings.ini")


@pytest.fixture
def make_dialog(qtbot, tmp_path):
    def make(settings: Settings) -> SettingsDialog:
        dialog = SettingsDialog(settings, models_folder=tmp_path / "models")
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        return dialog
    return make


def _overlaps(root: QWidget) -> list[str]:
    found = []
    for parent in [root, *root.findChildren(QWidget)]:
        if not parent.isVisible() or isinstance(parent, QAbstractScrollArea):
            continue
        kids = [w for w in parent.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
                if w.isVisible() and not w.isWindow() and not isinstance(w, QSplitterHandle)]
        for i, a in enumerate(kids):
            for b in kids[i + 1:]:
                if a.geometry().intersects(b.geometry()):
                    found.append(f"{type(a).__name__} × {type(b).__name__} in {type(parent).__name__}")
    return found


def _every_tab(dialog: SettingsDialog):
    for i in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(i)
        yield dialog.tabs.tabText(i)


@pytest.mark.parametrize("size", [None, (420, 360)])
def test_no_two_visible_widgets_overlap_on_any_tab(make_dialog, settings, qtbot, size):
    dialog = make_dialog(settings)
    dialog.show_genre_counts(COUNTS)
    dialog.set_model_path(__file__)           # the error text is showing too
    if size:
        dialog.resize(*size)
        qtbot.waitUntil(lambda: (dialog.width(), dialog.height()) == size)
    for tab in _every_tab(dialog):
        qtbot.wait(20)   # the tab's layout runs on show
        assert _overlaps(dialog) == [], tab
        cut = [lab.text()[:50] for lab in dialog.findChildren(QLabel) if lab.isVisible() and lab.wordWrap()
               and lab.text() and lab.height() < lab.heightForWidth(lab.width())]
        assert cut == [], tab
        literal_ampersand = [lab.text() for lab in dialog.findChildren(QLabel) if lab.isVisible()
                             and lab.textFormat() != Qt.TextFormat.RichText and "&" in lab.text()
                             and lab.buddy() is None and "<" not in lab.text()]
        assert literal_ampersand == [], tab


def test_clicking_a_genre_box_ticks_only_that_genre(make_dialog, settings, qtbot):
    dialog = make_dialog(settings)
    dialog.show_genre_counts(COUNTS)
    dialog.tabs.setCurrentIndex(1)
    others = (dialog.no_explicit, dialog.journal, dialog.journal_in_analysis)
    before = [box.isChecked() for box in others]
    genre_list = dialog.genre_list
    item = next(genre_list.item(i) for i in range(genre_list.count()) if genre_list.item(i).text().startswith("blues"))
    genre_list.scrollToItem(item)
    rect = genre_list.visualItemRect(item)
    check = QPoint(rect.left() + genre_list.style().pixelMetric(genre_list.style().PixelMetric.PM_IndicatorWidth) // 2
                   + 3, rect.center().y())
    qtbot.mouseClick(genre_list.viewport(), Qt.MouseButton.LeftButton, pos=check)
    assert item.checkState() == Qt.CheckState.Checked
    assert dialog.genres.text() == "blues"
    assert [box.isChecked() for box in others] == before


@pytest.mark.parametrize("content, reason", [(b"Just a text file, not a model.\n", "not a GGUF model"),
                                             (b"GGUF\x03\x00\x00\x00\x00\x00\x00\x00", "truncated GGUF")])
def test_a_bad_model_file_shows_its_reason_and_the_fix_in_the_dialog(make_dialog, settings, tmp_path, content,
                                                                     reason, good_gguf):
    settings.set(keys.LLM_MODEL_PATH, good_gguf)
    dialog = make_dialog(settings)
    bad = tmp_path / ("readme.txt" if content.startswith(b"Just") else "tiny.gguf")
    bad.write_bytes(content)
    dialog.tabs.setCurrentIndex(2)
    assert dialog.set_model_path(str(bad)) is False
    shown = dialog.model_error.text().replace("\u200b", "")
    assert dialog.model_error.isVisible()
    assert bad.name in shown and reason in shown and "choose a complete" in shown.lower()   # the fix, once
    assert shown.lower().count("choose") == 1 and "leave the field empty for the built-in" in shown
    assert dialog.model.text() == good_gguf               # the previous good path stays
    dialog.accept()
    assert settings.get(keys.LLM_MODEL_PATH) == good_gguf


def test_a_typed_bad_model_path_is_refused_on_ok_and_the_dialog_stays_open(make_dialog, settings, tmp_path):
    dialog = make_dialog(settings)
    dialog.model.setText(str(tmp_path / "missing.gguf"))
    dialog.accept()
    assert dialog.isVisible() and dialog.tabs.currentIndex() == 2
    shown = dialog.model_error.text().replace("\u200b", "")
    assert "not found" in shown and "Choose a complete GGUF chat model" in shown
    assert dialog.model.text() == "" and settings.get(keys.LLM_MODEL_PATH) == ""


def test_a_good_model_file_is_taken_and_the_message_goes(make_dialog, settings, tmp_path, good_gguf):
    dialog = make_dialog(settings)
    junk = tmp_path / "readme.txt"
    junk.write_text("hello")
    dialog.set_model_path(str(junk))
    assert dialog.set_model_path(good_gguf) is True
    assert not dialog.model_error.isVisible() and dialog.model.text() == good_gguf


def test_a_client_id_that_is_not_32_hex_characters_is_refused_with_a_message(make_dialog, settings, qtbot):
    dialog = make_dialog(settings)
    dialog.tabs.setCurrentIndex(3)
    qtbot.keyClicks(dialog.client_id, "hello garbage!")
    assert dialog.client_id_error.isVisible()
    assert "32 characters" in dialog.client_id_error.text() and "14" in dialog.client_id_error.text()
    dialog.accept()
    assert dialog.isVisible() and settings.get(keys.SPOTIFY_CLIENT_ID) == ""
    dialog.client_id.setText("0123456789abcdef0123456789ABCDEF")
    assert not dialog.client_id_error.isVisible()
    dialog.accept()
    assert settings.get(keys.SPOTIFY_CLIENT_ID) == "0123456789abcdef0123456789ABCDEF"


def test_languages_are_asked_by_name_and_stored_as_codes(make_dialog, settings):
    settings.set(keys.LANGUAGES, ("es",))
    dialog = make_dialog(settings)
    names = {dialog.languages.item(i).text(): dialog.languages.item(i) for i in range(dialog.languages.count())}
    assert "Spanish" in names and "English" in names and "es" not in names
    assert names["Spanish"].checkState() == Qt.CheckState.Checked
    names["English"].setCheckState(Qt.CheckState.Checked)
    dialog.accept()
    assert set(settings.get(keys.LANGUAGES)) == {"en", "es"}


def test_the_spotify_guide_matches_the_readme_year(make_dialog, settings):
    dialog = make_dialog(settings)
    assert "Since 2026" in dialog.spotify_guide.text()


def test_a_failed_download_explanation_wraps_whole(qtbot, tmp_path):
    from emotune.gui.dialogs.model_download import ModelDownloadBox

    box = ModelDownloadBox(tmp_path)
    qtbot.addWidget(box)
    box.resize(420, 300)
    box.show()
    qtbot.waitExposed(box)
    text = ("The download failed: HTTPSConnectionPool(host='huggingface.co', port=443): Max retries exceeded with "
            "url: /Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/qwen2.5-1.5b-instruct-q4_k_m.gguf (Caused by "
            "NameResolutionError: Failed to resolve 'huggingface.co'). Check the connection and press Download "
            "again: what came so far is kept.")
    box._failed(RuntimeError(text))
    qtbot.waitUntil(lambda: box.status.height() >= box.status.heightForWidth(box.status.width()))
    assert box.status_text() == text
    assert box.status.sizeHint().width() <= box.width()      # long addresses wrap too, nothing runs off the edge


def test_every_control_in_settings_has_an_accessible_name(make_dialog, settings):
    from emotune.gui.accessibility import unnamed_controls

    dialog = make_dialog(settings)
    dialog.show_genre_counts(COUNTS)
    for tab in _every_tab(dialog):
        assert [f"{type(w).__name__}" for w in unnamed_controls(dialog)] == [], tab
