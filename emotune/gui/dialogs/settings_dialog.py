"""The settings dialog, in four tabs that scroll rather than squeeze: General (camera, inference interval, the
journal and whether the analysis may read it), Music (genre families with their track counts, languages by name,
the explicit filter), Analysis model (the GGUF file, checked the moment it is chosen, and the opt-in download) and
Spotify (a short guide and the Client ID, checked as typed). It edits a Settings object only when OK is pressed."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from emotune.gui import settings as keys
from emotune.gui.accessibility import name_controls
from emotune.gui.dialogs.genre_picker import GenrePicker
from emotune.gui.dialogs.model_download import ModelDownloadBox
from emotune.gui.settings import JOURNAL_DAYS, Settings
from emotune.gui.style import breakable
from emotune.llm.model_files.model_locator import ModelFileError, check_model_file

SPOTIFY_GUIDE = (
    "Spotify is optional: EmoTune recommends from its offline catalog without it. To connect your account: "
    "open <a href='https://developer.spotify.com/dashboard'>developer.spotify.com/dashboard</a>, create an app, "
    "add the redirect URI shown below (Spotify accepts only 127.0.0.1, not “localhost”), tick “Web API”, add "
    "yourself under “User Management”, then paste the app's Client ID here. Since 2026 such apps need a "
    "Premium owner and allow five listed users."
)
CLIENT_ID = re.compile(r"[0-9a-fA-F]{32}")
# languages offered by name; the catalog and the recommender speak ISO 639-1 codes
LANGUAGE_CODES = ("en", "es", "pt", "fr", "de", "it", "nl", "sv", "pl", "tr", "ru", "ar", "hi", "ja", "ko", "zh")
ERROR_STYLE = "color: #b3261e;"   # 6.3:1 on a white window: readable (WCAG AA) without relying on colour alone


def language_name(code: str) -> str:
    """"es" → "Spanish"; an unknown code stays as typed."""
    locale = QLocale(code)
    if locale.language() in (QLocale.Language.C, QLocale.Language.AnyLanguage) or \
            not locale.name().lower().startswith(code.lower()[:2]):
        return code
    return QLocale.languageToString(locale.language())


def model_problem(path: str) -> str:
    """"" when `path` is empty (the built-in model) or a complete GGUF model; else the reason and the fix."""
    if not path.strip():
        return ""
    try:
        check_model_file(Path(path.strip()))
    except ModelFileError as exc:
        reason = str(exc).rstrip(".")
        fix = "" if any(w in reason.lower() for w in ("choose", "download")) else \
            " Choose a complete GGUF chat model (a .gguf file)."
        return f"Not used: {reason}.{fix} Or leave the field empty for the built-in SmolLM2-135M."
    return ""


def client_id_problem(text: str) -> str:
    text = text.strip()
    if not text or CLIENT_ID.fullmatch(text):
        return ""
    return (f"A Client ID is 32 characters, digits 0–9 and letters a–f (this one has {len(text)}). Copy it from "
            "your app's page on developer.spotify.com.")


def _scrolled(*groups: QWidget) -> QScrollArea:
    """One tab's groups, top-aligned in a scroll area: a small window scrolls instead of squeezing them."""
    page = QWidget()
    layout = QVBoxLayout(page)
    for group in groups:
        layout.addWidget(group)
    layout.addStretch(1)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(page)
    return scroll


def _error_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.setVisible(False)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class SettingsDialog(QDialog):
    """GUI thread; modal. `accepted` means the settings were written."""

    def __init__(self, settings: Settings, parent: QWidget | None = None, models_folder: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("EmoTune settings")
        self._settings = settings
        capture, journal = self._general_boxes(settings)
        spotify = self._spotify_box(settings)
        analysis = self._analysis_box(settings, models_folder)
        music = self._music_box(settings)

        self.tabs = QTabWidget()
        self.tabs.tabBar().setAccessibleName("Settings pages")
        self.tabs.addTab(_scrolled(capture, journal), "&General")
        self.tabs.addTab(_scrolled(music), "&Music")
        self.tabs.addTab(_scrolled(analysis, self.download), "&Analysis model")
        self.tabs.addTab(_scrolled(spotify), "&Spotify")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.setMinimumSize(420, 360)
        self.resize(600, 560)
        name_controls(self)
        self._check_client_id()
        if self.model.text().strip() and not self._good_model:
            self.set_model_path(self.model.text())

    # --- the pages ------------------------------------------------------------------------------------------------
    def _general_boxes(self, s: Settings) -> tuple[QGroupBox, QGroupBox]:
        """Camera and analysis; the mood journal."""
        self.camera = QSpinBox(minimum=0, maximum=16, value=s.get(keys.CAMERA_INDEX))
        self.interval = QSpinBox(minimum=0, maximum=2000, singleStep=50, suffix=" ms",
                                 value=s.get(keys.INFERENCE_INTERVAL_MS))
        self.interval.setToolTip("Least time between two analysed frames: higher saves CPU, lower reacts faster")
        capture = QGroupBox("Camera and analysis")
        form = QFormLayout(capture)
        form.addRow("Camera &number", self.camera)
        form.addRow("Analyse a &frame every", self.interval)
        self.journal = QCheckBox("Keep a mood &journal on this computer", checked=s.get(keys.JOURNAL_ENABLED))
        self.journal_in_analysis = QCheckBox(f"Let the analysis use my mood journal of the last {JOURNAL_DAYS} days",
                                             checked=s.get(keys.JOURNAL_IN_ANALYSIS))
        self.journal_in_analysis.setToolTip("Off by default. When on, the language model on this computer also "
                                            "reads each earlier day's main mood, e.g. to compare with yesterday.")
        self.journal_in_analysis.setEnabled(self.journal.isChecked())
        self.journal.toggled.connect(self.journal_in_analysis.setEnabled)
        journal = QGroupBox("Mood journal")
        box = QVBoxLayout(journal)
        box.addWidget(self.journal)
        box.addWidget(self.journal_in_analysis)
        return capture, journal

    def _spotify_box(self, s: Settings) -> QGroupBox:
        """The optional Spotify app: Client ID, redirect port, and a guide to making one."""
        self.client_id = QLineEdit(s.get(keys.SPOTIFY_CLIENT_ID))
        self.client_id.setPlaceholderText("32 hex characters from your Spotify app")
        self.client_id_error = _error_label()
        self.client_id.textChanged.connect(self._check_client_id)
        self.port = QSpinBox(minimum=1024, maximum=65535, value=s.get(keys.SPOTIFY_REDIRECT_PORT))
        self.redirect = QLabel()
        self.redirect.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.port.valueChanged.connect(self._update_redirect)
        self._update_redirect()
        self.spotify_guide = QLabel(SPOTIFY_GUIDE)
        self.spotify_guide.setWordWrap(True)
        self.spotify_guide.setOpenExternalLinks(True)
        spotify = QGroupBox("Spotify (optional)")
        form = QFormLayout(spotify)
        form.addRow(self.spotify_guide)
        form.addRow("&Client ID", self.client_id)
        form.addRow(self.client_id_error)
        form.addRow("Redirect &port", self.port)
        form.addRow("Redirect URI", self.redirect)
        return spotify

    def _analysis_box(self, s: Settings, models_folder: Path | None) -> QGroupBox:
        """The language model file (typed or chosen); the opt-in download box goes in self.download."""
        self._good_model = s.get(keys.LLM_MODEL_PATH)
        if model_problem(self._good_model):
            self._good_model = ""
        self.model = QLineEdit(s.get(keys.LLM_MODEL_PATH))
        self.model.setPlaceholderText("empty: the built-in SmolLM2-135M")
        self.model.editingFinished.connect(lambda: self.set_model_path(self.model.text()))
        self.model_error = _error_label()
        browse = QPushButton("C&hoose…")
        browse.setAccessibleName("Choose a language model file")
        browse.clicked.connect(self._choose_model)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(browse)
        analysis = QGroupBox("Analysis")
        form = QFormLayout(analysis)
        model_label = QLabel("&Language model file")
        model_label.setBuddy(self.model)   # a row of two widgets gets no buddy by itself: Alt+L and the name need one
        form.addRow(model_label, model_row)
        form.addRow(self.model_error)
        # the opt-in model download, a self-contained box (emotune/gui/dialogs/model_download.py)
        if models_folder is None:
            from emotune.llm.model_files.model_locator import default_model_dirs
            models_folder = default_model_dirs()[0]
        self.download = ModelDownloadBox(models_folder)
        self.download.downloaded.connect(self.set_model_path)
        return analysis

    def _music_box(self, s: Settings) -> QGroupBox:
        """Preferred genres and languages, explicit tracks."""
        self.genre_picker = GenrePicker(s.get(keys.GENRES))
        self.genres, self.genre_list = self.genre_picker.field, self.genre_picker.list
        self.languages = self._build_language_list(s.get(keys.LANGUAGES))
        self.no_explicit = QCheckBox("Hide tracks marked &explicit", checked=s.get(keys.NO_EXPLICIT))
        music = QGroupBox("Music")
        form = QFormLayout(music)
        form.addRow("Preferred &genres", self.genres)
        form.addRow("", self.genre_list)
        form.addRow("Preferred l&anguages", self.languages)
        form.addRow(self.no_explicit)
        return music

    # --- languages and genre counts -----------------------------------------------------------------------------------
    def _build_language_list(self, chosen: tuple[str, ...]) -> QListWidget:
        """Languages by name, ticked where preferred; codes the list does not know are kept and shown as typed."""
        languages = QListWidget()
        languages.setAccessibleName("Preferred languages")
        languages.setMinimumHeight(100)
        chosen_codes = [c.lower() for c in chosen if c]
        codes = list(LANGUAGE_CODES) + [c for c in chosen_codes if c not in LANGUAGE_CODES]
        for code in codes:
            item = QListWidgetItem(language_name(code))
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if code in chosen_codes else Qt.CheckState.Unchecked)
            languages.addItem(item)
        languages.setToolTip("Tracks in these languages come first; none ticked: any language")
        return languages

    def chosen_languages(self) -> tuple[str, ...]:
        items = (self.languages.item(i) for i in range(self.languages.count()))
        return tuple(it.data(Qt.ItemDataRole.UserRole) for it in items if it.checkState() == Qt.CheckState.Checked)

    def show_genre_counts(self, counts: Mapping[str, int]) -> None:
        """The catalog's genre families with their track counts (GUI thread, once a worker has counted them)."""
        self.genre_picker.show_counts(counts)

    def show_genre_error(self, text: str) -> None:
        self.genre_picker.show_error(text)

    def _update_redirect(self) -> None:
        self.redirect.setText(f"http://127.0.0.1:{self.port.value()}/callback")

    def _choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF chat model", self.model.text() or self._good_model,
                                              "GGUF models (*.gguf);;All files (*)")
        if path:
            self.set_model_path(path)

    def set_model_path(self, path: str) -> bool:
        """Checks the file at once: a good one (or empty: the built-in model) fills the field; a bad one leaves the
        previous good path there and says why, with the fix, under the field."""
        problem = model_problem(path)
        self.model_error.setText(breakable(problem))
        self.model_error.setVisible(bool(problem))
        if problem:
            self.model.setText(self._good_model)
            self.model.setToolTip(f"Not used: {path}")
            return False
        self._good_model = path.strip()
        self.model.setText(self._good_model)
        self.model.setToolTip("")
        return True

    def _check_client_id(self) -> bool:
        problem = client_id_problem(self.client_id.text())
        self.client_id_error.setText(problem)
        self.client_id_error.setVisible(bool(problem))
        return not problem

    def accept(self) -> None:
        if self.model.text().strip() != self._good_model and not self.set_model_path(self.model.text()):
            self.tabs.setCurrentIndex(2)
            self.model.setFocus()
            return
        if not self._check_client_id():
            self.tabs.setCurrentIndex(3)
            self.client_id.setFocus()
            return
        self.save()
        super().accept()

    def done(self, result: int) -> None:
        self.download.shutdown()   # a running download stops; its partial file stays for a resume
        super().done(result)

    def save(self) -> None:
        s = self._settings
        s.set(keys.CAMERA_INDEX, self.camera.value())
        s.set(keys.INFERENCE_INTERVAL_MS, self.interval.value())
        s.set(keys.SPOTIFY_CLIENT_ID, self.client_id.text().strip())
        s.set(keys.SPOTIFY_REDIRECT_PORT, self.port.value())
        s.set(keys.LLM_MODEL_PATH, self._good_model)
        s.set(keys.GENRES, tuple(self.genre_picker.typed()))
        s.set(keys.LANGUAGES, self.chosen_languages())
        s.set(keys.NO_EXPLICIT, self.no_explicit.isChecked())
        s.set(keys.JOURNAL_ENABLED, self.journal.isChecked())
        s.set(keys.JOURNAL_IN_ANALYSIS, self.journal_in_analysis.isChecked())
        s.sync()
