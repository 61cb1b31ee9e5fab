"""The settings dialog: camera, inference interval, Spotify (with a short guide), LLM model file, genres (the
catalog's genre families with their track counts) and languages to prefer, the explicit filter, the journal
and whether the analysis may read it. It edits a Settings object only when OK is pressed."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from PySide6.QtCore import Qt

from emotune.music.coverage import split_offered
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from emotune.gui import settings as keys
from emotune.gui.dialogs.model_download import ModelDownloadBox
from emotune.gui.settings import JOURNAL_DAYS, Settings

SPOTIFY_GUIDE = (
    "Spotify is optional: EmoTune recommends from its offline catalog without it. To connect your account: "
    "open <a href='https://developer.spotify.com/dashboard'>developer.spotify.com/dashboard</a>, create an app, "
    "add the redirect URI shown below (Spotify accepts only 127.0.0.1, not “localhost”), tick “Web API”, add "
    "yourself under “User Management”, then paste the app's Client ID here. Since 2024 such apps need a "
    "Premium owner and allow five listed users."
)


class SettingsDialog(QDialog):
    """GUI thread; modal. `accepted` means the settings were written."""

    def __init__(self, settings: Settings, parent: QWidget | None = None, models_folder: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("EmoTune settings")
        self._settings = settings
        s = settings

        self.camera = QSpinBox(minimum=0, maximum=16, value=s.get(keys.CAMERA_INDEX))
        self.interval = QSpinBox(minimum=0, maximum=2000, singleStep=50, suffix=" ms",
                                 value=s.get(keys.INFERENCE_INTERVAL_MS))
        self.interval.setToolTip("Least time between two analysed frames: higher saves CPU, lower reacts faster")
        capture = QGroupBox("Camera and analysis")
        form = QFormLayout(capture)
        form.addRow("Camera index", self.camera)
        form.addRow("Analyse a frame every", self.interval)

        self.client_id = QLineEdit(s.get(keys.SPOTIFY_CLIENT_ID))
        self.client_id.setPlaceholderText("32 hex characters from your Spotify app")
        self.port = QSpinBox(minimum=1024, maximum=65535, value=s.get(keys.SPOTIFY_REDIRECT_PORT))
        self.redirect = QLabel()
        self.redirect.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.port.valueChanged.connect(self._update_redirect)
        self._update_redirect()
        guide = QLabel(SPOTIFY_GUIDE)
        guide.setWordWrap(True)
        guide.setOpenExternalLinks(True)
        spotify = QGroupBox("Spotify (optional)")
        form = QFormLayout(spotify)
        form.addRow(guide)
        form.addRow("Client ID", self.client_id)
        form.addRow("Redirect port", self.port)
        form.addRow("Redirect URI", self.redirect)

        self.model = QLineEdit(s.get(keys.LLM_MODEL_PATH))
        self.model.setPlaceholderText("default: the bundled SmolLM2-135M")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_model)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(browse)
        self.genres = QLineEdit(", ".join(s.get(keys.GENRES)))
        self.genres.setPlaceholderText("e.g. rock, hard rock, neo soul")
        # the catalog's genre families (the list the analysis chooses from too), with tracks per family;
        # filled by show_genre_counts once a worker has counted them
        self.genre_list = QListWidget()
        self.genre_list.setMinimumHeight(90)
        self.genre_list.setMaximumHeight(120)
        self.genre_list.addItem("Counting the catalog's tracks per genre…")
        self.genre_list.itemChanged.connect(self._genre_ticked)
        self.genres.textChanged.connect(self._tick_typed_genres)
        self.languages = QLineEdit(", ".join(s.get(keys.LANGUAGES)))
        self.languages.setPlaceholderText("e.g. en, es")
        self.no_explicit = QCheckBox("Hide tracks marked explicit", checked=s.get(keys.NO_EXPLICIT))
        self.journal = QCheckBox("Keep a mood journal on this computer", checked=s.get(keys.JOURNAL_ENABLED))
        self.journal_in_analysis = QCheckBox(f"Let the analysis use my mood journal of the last {JOURNAL_DAYS} days",
                                             checked=s.get(keys.JOURNAL_IN_ANALYSIS))
        self.journal_in_analysis.setToolTip("Off by default. When on, the language model on this computer also "
                                            "reads each earlier day's main mood, e.g. to compare with yesterday.")
        self.journal_in_analysis.setEnabled(self.journal.isChecked())
        self.journal.toggled.connect(self.journal_in_analysis.setEnabled)
        music = QGroupBox("Analysis and music")
        form = QFormLayout(music)
        form.addRow("Language model file", model_row)
        form.addRow("Preferred genres", self.genres)
        form.addRow("", self.genre_list)
        form.addRow("Preferred languages", self.languages)
        form.addRow(self.no_explicit)
        form.addRow(self.journal)
        form.addRow(self.journal_in_analysis)

        # the opt-in model download, a self-contained box (emotune/gui/dialogs/model_download.py)
        if models_folder is None:
            from emotune.llm.model_files.model_locator import default_model_dirs
            models_folder = default_model_dirs()[0]
        self.download = ModelDownloadBox(models_folder)
        self.download.downloaded.connect(self.model.setText)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (capture, spotify, music, self.download):
            layout.addWidget(widget)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def show_genre_counts(self, counts: Mapping[str, int]) -> None:
        """Lists the catalog's genre families with their track counts, ticked where preferred. GUI thread."""
        self.genre_list.blockSignals(True)
        self.genre_list.clear()
        offered, few = split_offered(counts)       # a thin family cannot fill a list for every mood: listed last
        for family in offered + (["more (few tracks)"] if few else []) + few:
            if family not in counts:                                   # the heading of the thin families
                heading = QListWidgetItem(family)
                heading.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.genre_list.addItem(heading)
                continue
            item = QListWidgetItem(f"{family} ({counts[family]:,} tracks)")
            item.setData(Qt.ItemDataRole.UserRole, family)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.genre_list.addItem(item)
        self.genre_list.blockSignals(False)
        self.genre_list.setToolTip("A family also finds its subgenres (rock: hard rock, album rock, …); type a "
                                   "subgenre above to keep to it alone.")
        self._tick_typed_genres()

    def show_genre_error(self, text: str) -> None:
        self.genre_list.clear()
        self.genre_list.addItem(f"No genre list: {text}")

    def _typed_genres(self) -> list[str]:
        return [g.strip() for g in self.genres.text().split(",") if g.strip()]

    def _tick_typed_genres(self) -> None:
        typed = {g.lower() for g in self._typed_genres()}
        self.genre_list.blockSignals(True)
        for i in range(self.genre_list.count()):
            item = self.genre_list.item(i)
            family = item.data(Qt.ItemDataRole.UserRole)
            if family:
                item.setCheckState(Qt.CheckState.Checked if family in typed else Qt.CheckState.Unchecked)
        self.genre_list.blockSignals(False)

    def _genre_ticked(self, item: QListWidgetItem) -> None:
        family = item.data(Qt.ItemDataRole.UserRole)
        if not family:
            return
        typed = [g for g in self._typed_genres() if g.lower() != family]
        if item.checkState() == Qt.CheckState.Checked:
            typed.append(family)
        self.genres.setText(", ".join(typed))

    def _update_redirect(self) -> None:
        self.redirect.setText(f"http://127.0.0.1:{self.port.value()}/callback")

    def _choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF chat model", self.model.text(),
                                              "GGUF models (*.gguf);;All files (*)")
        if path:
            self.model.setText(path)

    def accept(self) -> None:
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
        s.set(keys.LLM_MODEL_PATH, self.model.text().strip())
        s.set(keys.GENRES, tuple(g.strip() for g in self.genres.text().split(",")))
        s.set(keys.LANGUAGES, tuple(g.strip() for g in self.languages.text().split(",")))
        s.set(keys.NO_EXPLICIT, self.no_explicit.isChecked())
        s.set(keys.JOURNAL_ENABLED, self.journal.isChecked())
        s.set(keys.JOURNAL_IN_ANALYSIS, self.journal_in_analysis.isChecked())
        s.sync()
