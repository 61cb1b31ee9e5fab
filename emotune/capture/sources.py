"""VideoSource implementations. Sources open lazily in `open()`, so constructing one never touches a device,
and they are used from the capture thread only."""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, Protocol, Sequence, runtime_checkable

import cv2
import numpy as np

from emotune.capture.errors import SourceLost, SourceUnavailable
from emotune.core.types import Frame

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm"})
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"})


@runtime_checkable
class VideoSource(Protocol):
    """Where frames come from. `read()` returns None at the end of a finite source."""

    description: str
    fps: float  # the rate the source delivers at (for pacing files); 0 if unknown

    def open(self) -> None: ...

    def read(self) -> Frame | None: ...

    def close(self) -> None: ...


class _SourceBase:
    description = ""
    fps = 0.0

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class CameraSource(_SourceBase):
    """A camera by index. Several failed reads in a row mean the camera is gone: SourceLost.

    `open_capture` makes the OpenCV capture for the index (tests pass one that streams a video file, which fails
    its reads at the end just as an unplugged camera does)."""

    def __init__(self, index: int = 0, width: int = 640, height: int = 480, max_failures: int = 15,
                 open_capture: Callable[[int], cv2.VideoCapture] = cv2.VideoCapture) -> None:
        self.index, self.width, self.height, self.max_failures = index, width, height, max_failures
        self.description = f"Camera {index}"
        self._open_capture = open_capture
        self._cap: cv2.VideoCapture | None = None
        self._count = 0

    def open(self) -> None:
        cap = self._open_capture(self.index)
        if not cap.isOpened():
            cap.release()
            raise SourceUnavailable(
                f"No camera found at index {self.index}.",
                "Connect a camera or close the app using it, or open a video or image file instead.",
            )
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        self.fps = float(cap.get(cv2.CAP_PROP_FPS) or 30.0)
        self._cap = cap

    def read(self) -> Frame | None:
        if self._cap is None:
            raise SourceUnavailable(f"{self.description} is not open.")
        for _ in range(self.max_failures):
            ok, image = self._cap.read()
            if ok and image is not None:
                self._count += 1
                return Frame(image, time.monotonic(), self._count - 1, self.description)
            time.sleep(0.02)
        raise SourceLost(
            f"{self.description} stopped sending frames.",
            "Check that it is plugged in and not used by another app, then press Start to retry.",
        )

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class VideoFileSource(_SourceBase):
    """A video file; with `loop` it starts again at the end and timestamps keep increasing."""

    def __init__(self, path: str | Path, loop: bool = False) -> None:
        self.path, self.loop = Path(path), loop
        self.description = self.path.name
        self._cap: cv2.VideoCapture | None = None
        self._count = self._pos = 0
        self._offset = self._last_ts = 0.0

    def open(self) -> None:
        if not self.path.is_file():
            raise SourceUnavailable(f"Video file not found: {self.path}.", "Check the path and try again.")
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise SourceUnavailable(
                f"Cannot read {self.path.name} as a video.", "Try another file (MP4, AVI, MKV, WebM, …)."
            )
        self.fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if not 1.0 <= self.fps <= 240.0:
            self.fps = 25.0
        self._cap, self._count, self._pos, self._offset = cap, 0, 0, 0.0

    def read(self) -> Frame | None:
        if self._cap is None:
            raise SourceUnavailable(f"{self.description} is not open.")
        ok, image = self._cap.read()
        if not ok:
            if not self.loop or self._count == 0:
                return None
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            self._offset, self._pos = self._last_ts + 1.0 / self.fps, 0
            ok, image = self._cap.read()
            if not ok:
                return None
        # Media time from the frame position: CAP_PROP_POS_MSEC is unreliable after a seek on some backends.
        index = self._count
        self._last_ts = self._offset + self._pos / self.fps
        self._count += 1
        self._pos += 1
        return Frame(image, self._last_ts, index, self.description)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class ImageSource(_SourceBase):
    """Still images as a slideshow: each image is shown for `seconds_per_image` (as `fps` frames).

    An image that cannot be read is skipped with one log line, so one damaged photo does not end a folder's
    slideshow; SourceUnavailable only when no image can be read (for a single image: why it cannot)."""

    def __init__(self, paths: Sequence[str | Path], seconds_per_image: float = 3.0, fps: float = 10.0,
                 loop: bool = False) -> None:
        self.paths = [Path(p) for p in paths]
        self.fps, self.loop = fps, loop
        self._repeats = max(1, round(seconds_per_image * fps))
        self.description = self.paths[0].name if len(self.paths) == 1 else f"{len(self.paths)} images"
        self._count = 0
        self._current: tuple[int, np.ndarray] | None = None
        self._bad: dict[int, SourceUnavailable] = {}

    @classmethod
    def from_folder(cls, folder: str | Path, **kwargs) -> ImageSource:
        paths = list_images(folder)
        if not paths:
            raise SourceUnavailable(f"No images in {folder}.", "Choose a folder with JPEG or PNG files.")
        return cls(paths, **kwargs)

    def open(self) -> None:
        if not self.paths:
            raise SourceUnavailable("No images to show.")
        self._count, self._current, self._bad = 0, None, {}
        self._first_readable(0)  # fail early when none of the images can be read

    def read(self) -> Frame | None:
        slot = self._count // self._repeats
        if slot >= len(self.paths):
            if not self.loop:
                return None
            slot %= len(self.paths)
        readable = self._first_readable(slot)
        if readable is None:
            return None
        if readable != slot:  # skipped damaged images: jump to where the next readable one starts
            self._count = (self._count // self._repeats + (readable - slot) % len(self.paths)) * self._repeats
        frame = Frame(self._image(readable), self._count / self.fps, self._count, self.paths[readable].name)
        self._count += 1
        return frame

    def close(self) -> None:
        self._current = None

    def _first_readable(self, slot: int) -> int | None:
        """The first slot from `slot` on whose image reads (None past the end); raises when none can."""
        for candidate in range(slot, len(self.paths)):
            if candidate in self._bad:
                continue
            try:
                self._image(candidate)
                return candidate
            except SourceUnavailable as exc:
                self._bad[candidate] = exc
                if len(self.paths) > 1:  # a single image's error is the source's own, logged by whoever shows it
                    log.warning("skipping an image that cannot be read: %s", exc)
        if len(self._bad) == len(self.paths):
            if len(self.paths) == 1:
                raise self._bad[0]
            raise SourceUnavailable(f"None of the {len(self.paths)} images can be read.",
                                    "The files may be damaged or not images.")
        return None if not self.loop else self._first_readable(0)

    def _image(self, slot: int) -> np.ndarray:
        if self._current is None or self._current[0] != slot:
            self._current = (slot, read_image(self.paths[slot]))
        return self._current[1]


def list_images(folder: str | Path) -> list[Path]:
    """The images in a folder by name (what a slideshow shows, and what the window steps through); raises
    SourceUnavailable when the folder cannot be listed."""
    try:
        return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    except OSError as exc:
        raise SourceUnavailable(f"Cannot open the folder {Path(folder).name}: {exc.strerror or exc}.",
                                "Check that the folder exists and can be read by you.") from exc


def read_image(path: str | Path) -> np.ndarray:
    """Reads an image as 3-channel BGR uint8 (16-bit, grey, alpha and CMYK files are converted) or raises
    SourceUnavailable saying why: missing, unreadable, empty, damaged or not an image.

    OpenCV raises its own `cv2.error` on some bad data (an empty buffer, a header it rejects): that is the
    user's file, not a bug, so it becomes the same SourceUnavailable as a file it decodes to nothing."""
    path = Path(path)
    if not path.is_file():
        raise SourceUnavailable(f"File not found: {path}.", "Check the path and try again.")
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise SourceUnavailable(f"Cannot open {path.name}: {exc.strerror or exc}.",
                                "Check that the file can be read by you.") from exc
    if data.size == 0:
        raise SourceUnavailable(f"{path.name} is empty.", "Choose an image file (JPEG, PNG, …).")
    try:
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    except cv2.error:
        image = None
    if image is None or image.size == 0:
        raise SourceUnavailable(f"Cannot read {path.name} as an image.", "The file may be damaged or not an image.")
    return image


def open_source(spec: str | int | Path, loop: bool = False) -> VideoSource:
    """A source from what a user typed: a camera index, an image, a folder of images or a video file."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        return CameraSource(int(spec))
    path = Path(spec).expanduser()
    if path.is_dir():
        return ImageSource.from_folder(path, loop=loop)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource([path], loop=loop)
    return VideoFileSource(path, loop=loop)


def list_cameras(max_index: int = 4) -> list[int]:
    """Indices of cameras that open. Probing costs up to a second per index, so call it off the GUI thread."""
    found = []
    for index in range(max_index):
        cap = cv2.VideoCapture(index)
        try:
            if cap.isOpened():
                found.append(index)
        finally:
            cap.release()
    return found
