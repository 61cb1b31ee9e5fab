"""The catalog's genre families are one list: the Settings dialog offers it with tracks per family, the
analysis (LLM) chooses from it, and a ticked family filters the recommendations."""
from __future__ import annotations

from PySide6.QtCore import Qt

from emotune.core.history import MoodSummary
from emotune.gui import settings as keys
from emotune.gui.dialogs.settings_dialog import SettingsDialog
from emotune.gui.services.music_service import CatalogMusic
from emotune.gui.settings import Settings
from emotune.llm.prompt import offered_genres
from emotune.llm.values import AnalysisRequest


def _items(dialog: SettingsDialog) -> list:
    return [dialog.genre_list.item(i) for i in range(dialog.genre_list.count())]


def _ticked(dialog: SettingsDialog) -> list[str]:
    return [i.data(Qt.ItemDataRole.UserRole) for i in _items(dialog) if i.checkState() == Qt.CheckState.Checked]


def test_settings_and_the_analysis_offer_the_same_families(qtbot, tmp_path):
    music = CatalogMusic()
    counts = music.genre_counts()
    # every family of the shipped catalog holds enough tracks to be offered (issue 24: jazz had 1, country 3)
    assert tuple(counts) == music.genres() and len(counts) == 24 and min(counts.values()) >= 300
    neutral = MoodSummary(shares={"neutral": 1.0}, dominant="neutral", dominant_held_s=0.0, trend="steady",
                          valence=0.0, arousal=0.0, face_count=1, duration_s=0.0, samples=1)
    assert offered_genres(AnalysisRequest(neutral, hour=12, catalog_genres=music.genres())) == tuple(counts)

    settings = Settings.at(tmp_path / "settings.ini")
    settings.set(keys.GENRES, ("hard rock", "R&B"))
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.genre_list.count() == 1 and "Counting" in dialog.genre_list.item(0).text()
    dialog.show_genre_counts(counts)
    assert [i.text() for i in _items(dialog)] == [f"{f} ({n:,} tracks)" for f, n in counts.items()]
    assert f"rock ({counts['rock']:,} tracks)" in [i.text() for i in _items(dialog)]
    assert _ticked(dialog) == ["r&b"]                 # what the user typed, ticked; a subgenre stays typed
    rock = next(i for i in _items(dialog) if i.data(Qt.ItemDataRole.UserRole) == "rock")
    rock.setCheckState(Qt.CheckState.Checked)
    assert dialog.genres.text() == "hard rock, R&B, rock"
    dialog.genres.setText("hard rock, latin")
    assert _ticked(dialog) == ["latin"]
    dialog.accept()
    assert Settings.at(tmp_path / "settings.ini").get(keys.GENRES) == ("hard rock", "latin")


def test_thin_families_come_last_under_a_heading_and_the_analysis_never_gets_them(qtbot, tmp_path):
    """A family with fewer than 300 tracks (a user's import of polka, say) cannot fill a list for every mood:
    Settings lists it after the others under "more (few tracks)", and the analysis does not offer it."""
    from emotune.music.lists.coverage import OFFER_MIN_TRACKS, split_offered

    counts = {"rock": 9000, "polka": 12, "pop": 8000, "jazz": OFFER_MIN_TRACKS}
    assert split_offered(counts) == (["rock", "pop", "jazz"], ["polka"])
    dialog = SettingsDialog(Settings.at(tmp_path / "settings.ini"))
    qtbot.addWidget(dialog)
    dialog.genres.setText("polka")
    dialog.show_genre_counts(counts)
    texts = [i.text() for i in _items(dialog)]
    assert texts == ["rock (9,000 tracks)", "pop (8,000 tracks)", "jazz (300 tracks)", "more (few tracks)",
                     "polka (12 tracks)"]
    heading = _items(dialog)[3]
    assert not heading.flags() & Qt.ItemFlag.ItemIsUserCheckable and heading.data(Qt.ItemDataRole.UserRole) is None
    assert _ticked(dialog) == ["polka"]           # still choosable, by a user who knows it is thin


def test_a_failed_count_says_so_in_the_list(qtbot, tmp_path):
    dialog = SettingsDialog(Settings.at(tmp_path / "settings.ini"))
    qtbot.addWidget(dialog)
    dialog.show_genre_error("no music catalog found")
    assert dialog.genre_list.item(0).text() == "No genre list: no music catalog found"


def test_the_windows_settings_dialog_gets_the_counts_from_a_worker(qtbot, tmp_path):
    """File → Settings: the dialog opens at once, a worker loads the catalog and counts, and the families with
    their counts appear while the dialog is open (the GUI thread never loads the catalog)."""
    from PySide6.QtCore import QThread, QTimer
    from PySide6.QtWidgets import QApplication

    from emotune.gui.app import build

    parts = build(Settings.at(tmp_path / "settings.ini"), camera_probe=None, journal=False,
                  classifier_factory=lambda: None)
    qtbot.addWidget(parts.window)
    seen: dict[str, object] = {"polls": 0}
    gui_thread = QThread.currentThread()
    music = parts.session.music
    counted_on = []
    original = music.genre_counts
    music.genre_counts = lambda: (counted_on.append(QThread.currentThread() is gui_thread), original())[1]

    def poll() -> None:          # runs inside the dialog's own event loop
        seen["polls"] += 1
        dialog = next((w for w in QApplication.topLevelWidgets() if isinstance(w, SettingsDialog) and w.isVisible()),
                      None)
        if dialog is not None and dialog.genre_list.count() > 1:
            seen["items"] = [dialog.genre_list.item(i).text() for i in range(dialog.genre_list.count())]
            dialog.reject()
        elif dialog is not None and seen["polls"] > 1500:       # 30 s: give up, the assertions below say why
            dialog.reject()
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)
    parts.window.open_settings()
    counts = original()
    assert seen.get("items") == [f"{f} ({n:,} tracks)" for f, n in counts.items()]
    assert counted_on == [False]
    parts.window.close()
    assert parts.threads_running() == []
