"""Frame sources: video files written here with OpenCV, images, folders, missing cameras and broken files."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from emotune.capture import (CameraSource, ImageSource, SourceLost, SourceUnavailable, VideoFileSource,
                             open_source)
from emotune.capture.sources import read_image
from cmyk_jpeg import bgr_to_cmyk, encode_cmyk_jpeg
from emotune.resources import asset_path
from emotune.vision import BlazeFaceDetector
from fuzz_inputs import png_with_size


def write_video(path, n=10, fps=10.0, size=(160, 120)):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    for i in range(n):
        writer.write(np.full((size[1], size[0], 3), i * 20, np.uint8))
    writer.release()
    return path


def test_video_file_frames_carry_increasing_timestamps(tmp_path):
    with VideoFileSource(write_video(tmp_path / "v.avi")) as src:
        frames = []
        while (f := src.read()) is not None:
            frames.append(f)
    assert len(frames) == 10
    assert [f.index for f in frames] == list(range(10))
    ts = [f.timestamp for f in frames]
    assert ts == sorted(ts) and ts[-1] == pytest.approx(0.9, abs=0.05)
    assert src.fps == pytest.approx(10.0)


def test_video_file_loops_with_timestamps_still_rising(tmp_path):
    with VideoFileSource(write_video(tmp_path / "v.avi", n=5), loop=True) as src:
        frames = [src.read() for _ in range(12)]
    assert all(f is not None for f in frames)
    ts = [f.timestamp for f in frames]
    assert all(b > a for a, b in zip(ts, ts[1:]))


def test_missing_camera_raises_typed_error_with_hint():
    src = CameraSource(index=97)
    with pytest.raises(SourceUnavailable) as info:
        src.open()
    assert "No camera" in str(info.value) and info.value.hint


class HiccupCapture:
    """A real OpenCV capture of a video file whose every `period`-th read fails, as a USB camera drops a frame
    now and then; at the end of the file every read fails, as when the camera is unplugged."""

    def __init__(self, path, period: int) -> None:
        self.cap, self.period, self.reads = cv2.VideoCapture(str(path)), period, 0

    def __getattr__(self, name):
        return getattr(self.cap, name)

    def read(self):
        self.reads += 1
        return (False, None) if self.reads % self.period == 0 else self.cap.read()


def test_a_camera_stream_that_stops_is_detected_as_lost_with_a_hint(tmp_path):
    """CameraSource's own detection on a real OpenCV stream: the frames of the stream arrive, then the reads
    fail and after `max_failures` of them in a row the camera is reported lost."""
    video = write_video(tmp_path / "stream.avi", n=12)
    captures = []

    def open_capture(index):
        captures.append(HiccupCapture(video, period=1000))
        return captures[-1]

    src = CameraSource(0, max_failures=5, open_capture=open_capture)
    src.open()
    assert src.fps == pytest.approx(10.0)
    frames = [src.read() for _ in range(12)]
    assert [f.index for f in frames] == list(range(12)) and frames[5].image.mean() == pytest.approx(100, abs=3)
    with pytest.raises(SourceLost) as info:
        src.read()
    assert "Camera 0 stopped sending frames" in info.value.message and "plugged in" in info.value.hint
    assert captures[0].reads == 12 + 5      # exactly max_failures failed reads, then it gave up
    src.close()
    with pytest.raises(SourceUnavailable, match="not open"):
        src.read()


def test_a_camera_that_drops_single_frames_keeps_streaming(tmp_path):
    video = write_video(tmp_path / "stream.avi", n=12)
    src = CameraSource(0, max_failures=3, open_capture=lambda index: HiccupCapture(video, period=3))
    with src:
        frames = [src.read() for _ in range(12)]
    assert [f.index for f in frames] == list(range(12))     # every dropped read was retried, none was lost
    assert [round(f.image.mean() / 20) for f in frames] == list(range(12))


def test_a_camera_that_opens_but_is_not_there_says_so(tmp_path):
    src = CameraSource(3, open_capture=lambda index: cv2.VideoCapture(str(tmp_path / "no_such_device.avi")))
    with pytest.raises(SourceUnavailable) as info:
        src.open()
    assert "No camera found at index 3" in info.value.message and "video or image file" in info.value.hint


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(SourceUnavailable, match="not found"):
        VideoFileSource(tmp_path / "nope.mp4").open()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    with pytest.raises(SourceUnavailable, match="Cannot read"):
        VideoFileSource(bad).open()
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 garbage")
    with pytest.raises(SourceUnavailable, match="Cannot read broken.jpg"):
        ImageSource([broken]).open()


def test_image_slideshow_and_folder(tmp_path):
    for i in range(2):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((40, 50, 3), 100 * i, np.uint8))
    src = open_source(tmp_path)
    src.open()
    frames = []
    while (f := src.read()) is not None:
        frames.append(f)
    assert isinstance(src, ImageSource)
    assert len(frames) == 2 * 30  # 3 s per image at 10 fps
    assert frames[0].image.mean() == 0 and frames[-1].image.mean() == 100


def test_odd_but_valid_images_read_as_bgr(tmp_path):
    """16-bit, grey, alpha and 1-pixel images are converted to 3-channel 8-bit BGR, not refused."""
    base = np.zeros((20, 30, 3), np.uint8)
    base[:, :, 2] = 200                                       # red in BGR
    variants = {"sixteen.png": base.astype(np.uint16) * 257, "alpha.png": cv2.cvtColor(base, cv2.COLOR_BGR2BGRA),
                "grey.png": cv2.cvtColor(base, cv2.COLOR_BGR2GRAY), "tiny.png": base[:1, :1],
                "sixteen.tif": base.astype(np.uint16) * 257}
    for name, image in variants.items():
        cv2.imwrite(str(tmp_path / name), image)
        read = read_image(tmp_path / name)
        assert read.dtype == np.uint8 and read.shape == image.shape[:2] + (3,), name
    assert read_image(tmp_path / "sixteen.png")[0, 0].tolist() == [0, 0, 200]
    assert read_image(tmp_path / "alpha.png")[0, 0].tolist() == [0, 0, 200]


@pytest.mark.parametrize("ycck", [False, True], ids=["cmyk", "ycck"])
def test_a_cmyk_jpeg_reads_as_its_colours_and_its_faces_are_found(tmp_path, ycck):
    """A print-shop JPEG (4 channels, Adobe marker; YCCK as Photoshop saves it) is converted to BGR, not refused."""
    colours = np.zeros((48, 64, 3), np.uint8)
    colours[:, :32] = (40, 160, 220)                          # orange, then blue (BGR)
    colours[:, 32:] = (200, 90, 30)
    (tmp_path / "colours.jpg").write_bytes(encode_cmyk_jpeg(bgr_to_cmyk(colours), ycck=ycck))
    read = read_image(tmp_path / "colours.jpg")
    assert read.dtype == np.uint8 and read.shape == (48, 64, 3)
    assert np.abs(read[8:40, 4:28].astype(int) - (40, 160, 220)).max() <= 6
    assert np.abs(read[8:40, 36:60].astype(int) - (200, 90, 30)).max() <= 6
    photo = cv2.imread(str(asset_path("sample_faces.jpg")))
    (tmp_path / "faces.jpg").write_bytes(encode_cmyk_jpeg(bgr_to_cmyk(photo), ycck=ycck))
    assert len(BlazeFaceDetector().detect(read_image(tmp_path / "faces.jpg"))) == 3


def test_unreadable_images_say_why(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(SourceUnavailable) as info:
        read_image(tmp_path / "empty.jpg")
    assert info.value.message == "empty.jpg is empty." and "JPEG" in info.value.hint
    cv2.imwrite(str(tmp_path / "whole.png"), np.full((40, 50, 3), 90, np.uint8))
    (tmp_path / "cut.png").write_bytes((tmp_path / "whole.png").read_bytes()[:60])
    with pytest.raises(SourceUnavailable, match="Cannot read cut.png as an image"):
        read_image(tmp_path / "cut.png")
    (tmp_path / "huge.png").write_bytes(png_with_size(2**31 - 1, 2**31 - 1))
    with pytest.raises(SourceUnavailable, match="Cannot read huge.png as an image"):
        read_image(tmp_path / "huge.png")


def test_a_folder_slideshow_skips_damaged_images_and_logs_one_line_each(tmp_path, caplog):
    cv2.imwrite(str(tmp_path / "1.png"), np.full((40, 50, 3), 100, np.uint8))
    (tmp_path / "2.jpg").write_bytes(b"")
    (tmp_path / "3.png").write_bytes(b"text, not an image")
    cv2.imwrite(str(tmp_path / "4.png"), np.full((40, 50, 3), 200, np.uint8))
    src = open_source(tmp_path)
    src.open()
    frames = []
    while (f := src.read()) is not None:
        frames.append(f)
    assert [f.source for f in frames] == ["1.png"] * 30 + ["4.png"] * 30
    assert [f.timestamp for f in frames] == sorted(f.timestamp for f in frames)
    skipped = [r for r in caplog.records if "skipping an image" in r.getMessage()]
    assert len(skipped) == 2 and not any(r.exc_info for r in caplog.records)
    assert "2.jpg is empty." in skipped[0].getMessage()


def test_a_folder_of_only_damaged_images_says_so(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"")
    (tmp_path / "b.png").write_bytes(b"nope")
    with pytest.raises(SourceUnavailable, match="None of the 2 images can be read"):
        open_source(tmp_path).open()
    with pytest.raises(SourceUnavailable, match="Cannot open the folder none-here"):
        ImageSource.from_folder(tmp_path / "none-here")


def test_open_source_picks_the_right_kind(tmp_path):
    assert isinstance(open_source("0"), CameraSource)
    assert isinstance(open_source(tmp_path / "x.mp4"), VideoFileSource)
    assert isinstance(open_source(tmp_path / "x.JPG"), ImageSource)


def test_source_lost_is_a_capture_error():
    err = SourceLost("Camera 0 stopped sending frames.", "Check the cable.")
    assert str(err) == "Camera 0 stopped sending frames. Check the cable."


def test_a_looping_slideshow_skips_a_damaged_image_every_round(tmp_path):
    (tmp_path / "1.png").write_bytes(b"")
    cv2.imwrite(str(tmp_path / "2.png"), np.full((40, 50, 3), 100, np.uint8))
    (tmp_path / "3.png").write_bytes(b"not an image")
    src = ImageSource.from_folder(tmp_path, seconds_per_image=0.5, fps=10.0, loop=True)
    src.open()
    frames = [src.read() for _ in range(12)]
    assert [f.source for f in frames] == ["2.png"] * 12
    assert all(a.timestamp < b.timestamp for a, b in zip(frames, frames[1:]))


def test_an_image_that_cannot_be_opened_says_why(tmp_path, monkeypatch):
    """The OS refuses the read (permissions, a disk error): the user's problem, said as such."""
    cv2.imwrite(str(tmp_path / "locked.png"), np.full((8, 8, 3), 9, np.uint8))

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(np, "fromfile", refuse)
    with pytest.raises(SourceUnavailable) as info:
        read_image(tmp_path / "locked.png")
    assert info.value.message == "Cannot open locked.png: Permission denied."
    assert info.value.hint == "Check that the file can be read by you."
