"""What kind of source the window is showing (camera, video, one photo, a folder of photos) and, for a folder,
which photo: the words the window uses for its states follow from it.

Why its own value: a photo is read for a few seconds and then stays on screen analysed, so "The video ended.
Press Space to play it again" and a frame rate would be untrue for it; a folder of photos is stepped through by
the user (each photo its own short run, so nothing is analysed while the user looks at a result).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from emotune.capture.errors import SourceUnavailable
from emotune.capture.sources import IMAGE_SUFFIXES, list_images

SourceSpec = int | str

VIDEO_ENDED = "The video ended. Press Space to play it again, or open another file (Ctrl+O)."


@dataclass(frozen=True)
class SourcePlan:
    """`spec` as the user chose it; `photos` the photo(s) it stands for (empty for a camera or a video) and
    `index` the one shown now."""

    spec: SourceSpec
    photos: tuple[str, ...] = ()
    index: int = 0

    @classmethod
    def of(cls, spec: SourceSpec) -> SourcePlan:
        """The plan for a camera index, a video, a photo or a folder (listed here: a folder without photos stays
        a folder, so opening it says what is wrong)."""
        if isinstance(spec, str) and not spec.strip().isdigit():
            path = Path(spec).expanduser()
            if path.is_dir():
                try:
                    photos = tuple(str(p) for p in list_images(path))
                except SourceUnavailable:   # opening it says why
                    photos = ()
                return cls(spec, photos)
            if path.suffix.lower() in IMAGE_SUFFIXES:
                return cls(spec, (spec,))
        return cls(spec)

    @property
    def is_photo(self) -> bool:
        return bool(self.photos)

    @property
    def is_folder(self) -> bool:
        return len(self.photos) > 1 or (bool(self.photos) and self.photos[0] != self.spec)

    @property
    def target(self) -> SourceSpec:
        """What to open now: the current photo of a folder, else the source itself."""
        return self.photos[self.index] if self.is_folder else self.spec

    def stepped(self, delta: int) -> SourcePlan | None:
        """The plan on the photo `delta` steps away; None past either end (or when not a folder)."""
        index = self.index + delta
        if not self.is_folder or not 0 <= index < len(self.photos):
            return None
        return replace(self, index=index)

    def position(self) -> str:
        """"Photo 2 of 5: beach.jpg" for a folder, "" otherwise."""
        if not self.is_folder:
            return ""
        return f"Photo {self.index + 1} of {len(self.photos)}: {Path(self.photos[self.index]).name}"

    def ended_message(self, found_face: bool) -> str:
        """The picture's message when the source has been read to its end."""
        if not self.is_photo:
            return VIDEO_ENDED
        said = "Photo analysed." if found_face else "No face found in this photo."
        if not self.is_folder:
            return f"{said}\nOpen another photo or a folder with Ctrl+O."
        moves = [hint for hint, ok in (("← previous", self.index > 0),
                                       ("→ next", self.index < len(self.photos) - 1)) if ok]
        return f"{said}\n{self.position()}" + (f" · {' · '.join(moves)}" if moves else "")
