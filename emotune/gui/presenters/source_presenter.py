"""The picture side of the window: which source is read (camera, video, photo, a folder's photo), the video
view's messages over it, the photo bar, the toolbar's source commands and the capture light in the status bar.
`start_source` is the one way a source starts (toolbar, file dialog, command line). GUI thread."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QWidget

from emotune.capture import VideoSource
from emotune.capture.sources import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from emotune.gui import settings as keys
from emotune.gui.services.session import MoodSession
from emotune.gui.services.source_plan import SourcePlan
from emotune.gui.settings import Settings
from emotune.gui.widgets.controls import Controls
from emotune.gui.widgets.mood_panel import LOOKING
from emotune.gui.widgets.photo_steps import PhotoStepBar
from emotune.gui.widgets.status_bar import StatusBar
from emotune.gui.widgets.video_view import VideoView
from emotune.gui.workers.inference_worker import InferenceOutput, ModelStatus
from emotune.gui.workers.pipeline_controller import PipelineController
from emotune.gui.workers.tasks import TaskRunner

SourceSpec = int | str
LOADING = "Loading the models…"


class SourcePresenter(QObject):
    """Keeps what the picture shows true to the source: opening, looking, stopped, failed or read to its end."""

    run_started = Signal(bool)         # still: a source (or a folder's next photo) is read from its start
    photo_without_face = Signal()      # a photo was read to its end and no face was found in it

    def __init__(self, window: QWidget, controls: Controls, view: VideoView, photo_bar: PhotoStepBar,
                 status: StatusBar, controller: PipelineController, session: MoodSession,
                 settings: Settings, tasks: TaskRunner, source_opener: Callable[[SourceSpec], VideoSource],
                 camera_probe: Callable[[], list[int]] | None) -> None:
        super().__init__(window)
        self._window, self.controls, self.view, self.photo_bar, self.status = window, controls, view, photo_bar, status
        self.controller, self.session, self.settings, self.tasks = controller, session, settings, tasks
        self._source_opener, self._camera_probe = source_opener, camera_probe
        self._source: SourceSpec | None = None
        self.plan: SourcePlan | None = None   # what the source is (a photo, a folder's photo, …): the words follow
        self._closed = False
        self._halted = False   # the source failed, ended or was stopped: its message stays until a restart
        self._ended = False    # it was read to its end (a photo: analysed)
        self._faces_seen = False   # a face was found since the source (or photo) started
        controls.source_chosen.connect(self.start_source)
        controls.open_file_requested.connect(self.open_file_dialog)
        controls.open_folder_requested.connect(self.open_folder_dialog)
        controls.start_stop_requested.connect(self.toggle_capture)
        photo_bar.step_requested.connect(self.step_photo)
        controller.models_ready.connect(self._on_models_ready)
        controller.source_opened.connect(self._on_source_opened)
        controller.source_failed.connect(self._on_source_failed)
        controller.source_ended.connect(self._on_source_ended)
        controller.running_changed.connect(self._on_running_changed)
        controller.result.connect(self._on_result)

    def is_still(self) -> bool:
        """A photo is shown (no frame rate, no live picture)."""
        return self.plan is not None and self.plan.is_photo

    def start(self, source: SourceSpec | None) -> None:
        """The first source: the given one, else the camera search decides."""
        if source is not None:
            self.start_source(source)
        else:
            self.view.set_message("Looking for cameras…")
        if self._camera_probe is not None:
            probe = self._camera_probe
            self.tasks.run(lambda report, cancel: probe(), on_done=self._on_cameras,
                           on_error=lambda exc: self._on_cameras([]))

    def shutdown(self) -> None:
        self._closed = True

    @Slot(object)
    def start_source(self, spec: SourceSpec) -> None:
        self._source = spec
        self.plan = SourcePlan.of(spec)
        self.controls.show_source(spec)
        if isinstance(spec, str):
            self.settings.set(keys.LAST_SOURCE, spec)
        self._start_run()

    @Slot(int)
    def step_photo(self, delta: int) -> None:
        """The previous (-1) or next (+1) photo of the folder that is open."""
        plan = self.plan.stepped(delta) if self.plan is not None else None
        if plan is not None:
            self.plan = plan
            self._start_run()

    def _start_run(self) -> None:
        """Reads the current source (or photo of a folder) from its start, with a fresh mood."""
        plan = self.plan
        self.session.reset()
        self.run_started.emit(plan.is_photo)
        self.view.clear()
        self._halted = self._ended = self._faces_seen = False
        self.photo_bar.show_plan(plan)
        name = Path(plan.target).name if plan.is_folder else self.controls.source.currentText()
        self.view.set_message(f"Opening {name}…")
        opener, target = self._source_opener, plan.target
        self.controller.start(lambda: opener(target))  # called in the capture thread

    @Slot()
    def toggle_capture(self) -> None:
        if self.controller.is_capturing():
            self.controller.stop()
            self._halted = True
            self.view.set_message("Stopped. Press Space to start again.")
        elif self._source is not None:
            self._start_run()
        else:
            self.open_file_dialog()

    @Slot()
    def open_file_dialog(self) -> None:
        patterns = " ".join(f"*{s}" for s in sorted(VIDEO_SUFFIXES | IMAGE_SUFFIXES))
        path, _ = QFileDialog.getOpenFileName(self._window, "Open a video or image", self._start_dir(),
                                              f"Videos and images ({patterns});;All files (*)")
        self._open_chosen(path)

    @Slot()
    def open_folder_dialog(self) -> None:
        """A folder of photos: they are read one after the other (the README's promise)."""
        self._open_chosen(QFileDialog.getExistingDirectory(self._window, "Open a folder of photos",
                                                           self._start_dir()))

    def _start_dir(self) -> str:
        last = self.settings.get(keys.LAST_SOURCE)
        return str(Path(last).parent) if last else str(Path.home())

    def _open_chosen(self, path: str) -> None:
        if path:
            self.start_source(path)
        elif self._source is not None:
            self.controls.show_source(self._source)

    def _on_cameras(self, indices: list[int]) -> None:
        if self._closed:
            return
        preferred = self.settings.get(keys.CAMERA_INDEX)
        self.controls.set_cameras(indices, preferred if preferred in indices else None)
        if self._source is not None:
            self.controls.show_source(self._source)
        elif indices:
            self.start_source(preferred if preferred in indices else indices[0])
        else:
            self.view.set_message("No camera found.\nConnect one and choose it above, or open a video or image "
                                  "with Ctrl+O.")
            self.status.showMessage("No camera found. You can still open a video or image (Ctrl+O).")

    @Slot(object)
    def _on_models_ready(self, status: ModelStatus) -> None:
        if self.view.message() == LOADING:
            self.view.set_message(LOOKING)

    @Slot(str, float)
    def _on_source_opened(self, description: str, fps: float) -> None:
        self.view.set_message(LOADING if self.controller.model_status is None else LOOKING)
        self._show_capture_light(True, description)

    @Slot(str, str, str)
    def _on_source_failed(self, kind: str, message: str, hint: str) -> None:
        self._halted = True
        retry = "\nPress Space (Start) to retry." if kind == "lost" else ""
        extra = "" if kind != "unavailable" or not isinstance(self._source, int) else \
            "\nOr open a video or image with Ctrl+O."
        self.view.set_message(f"{message}\n{hint}{extra if hint and 'file' not in hint else ''}{retry}".strip())
        self.status.showMessage(message, 15000)

    @Slot()
    def _on_source_ended(self) -> None:
        self._halted = self._ended = True
        self.view.set_message(self.plan.ended_message(found_face=self._faces_seen))
        if self.plan.is_photo:   # the light turns with the message, not a moment later when the thread ends
            self._show_capture_light(False, self.controller.source_description)
            if not self._faces_seen:
                self.photo_without_face.emit()

    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        self.controls.set_running(running)
        self._show_capture_light(running, self.controller.source_description)

    def _show_capture_light(self, running: bool, description: str) -> None:
        self.status.set_capturing(running, description)
        if self.is_still() and (running or self._ended):   # read, then analysed
            self.status.camera.setText(f"● Reading {Path(self.plan.target).name}" if running else
                                       "✓ Photo analysed" if self._faces_seen else "○ No face found")

    @Slot(object)
    def _on_result(self, output: InferenceOutput) -> None:
        """The faces over the picture, and its message: none while a face shows, "Looking…" while none does
        (a result of a frame from before the source stopped keeps the stop's message)."""
        result = output.result
        self.view.set_faces(result.faces, result.frame.size, output.emotions)
        if result.faces:
            self._faces_seen = True
        if not self._halted:
            self.view.set_message("" if result.faces else LOOKING)
