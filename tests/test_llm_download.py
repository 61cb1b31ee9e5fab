"""The opt-in model download through huggingface_hub, against a real server on 127.0.0.1 that speaks the hub's
download protocol (tests/hub_server.py; HF_ENDPOINT points at it): fetch and check, cancel and resume with a
Range request, a corrupt file refused, offline and missing files explained. Plus the Settings box."""
from __future__ import annotations

import hashlib
import socket
import struct
import threading

import pytest

from emotune.llm.model_files.model_download import (
    RECOMMENDED,
    DownloadCancelled,
    DownloadError,
    ModelOffer,
    download_model,
    partial_files,
)
from tests.hub_server import COMMIT, HubServer

CHUNK = 10 * 1024 * 1024   # huggingface_hub's download chunk (constants.DOWNLOAD_CHUNK_SIZE)
OFFER = ModelOffer(repo_id="emotune-test/tiny-GGUF", filename="tiny-q4.gguf", title="Tiny", size_text="25 MB",
                   licence="Apache-2.0")


def gguf_bytes(data_bytes: int) -> bytes:
    """A well-formed GGUF v3 file with one F32 tensor of `data_bytes` (pseudo-random, so a hash means much)."""
    def s(text: str) -> bytes:
        return struct.pack("<Q", len(text)) + text.encode()
    head = b"GGUF" + struct.pack("<IQQ", 3, 1, 1) + s("general.architecture") + struct.pack("<I", 8) + s("llama")
    head += s("w") + struct.pack("<IQIQ", 1, data_bytes // 4, 0, 0)
    head += b"\0" * (-len(head) % 32)
    block = hashlib.sha256(b"emotune").digest() * 32768          # 1 MiB
    body = (block * (data_bytes // len(block) + 1))[:data_bytes]
    return head + body


@pytest.fixture(scope="module")
def model_bytes() -> bytes:
    return gguf_bytes(2 * CHUNK + 5 * 1024 * 1024)               # three chunks: the middle one is cancelled


@pytest.fixture
def hub(monkeypatch, model_bytes):
    with HubServer() as server:
        server.add(OFFER.repo_id, OFFER.filename, model_bytes)
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        yield server


def test_download_fetches_checks_and_places_the_model(hub, tmp_path, model_bytes):
    seen = []
    path = download_model(OFFER, tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert path == tmp_path / OFFER.filename and path.read_bytes() == model_bytes
    assert partial_files(OFFER, tmp_path) == []
    assert seen[0] == (0, len(model_bytes)) and seen[-1] == (len(model_bytes), len(model_bytes))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    methods = [(m, p) for m, p, _ in hub.state.requests]
    assert methods == [("HEAD", f"/{OFFER.repo_id}/resolve/main/{OFFER.filename}"),
                       ("GET", f"/{OFFER.repo_id}/resolve/main/{OFFER.filename}")]
    # a second call finds the file and asks nothing
    assert download_model(OFFER, tmp_path) == path and len(hub.state.requests) == 2


def test_cancel_keeps_what_came_and_the_next_download_resumes_with_a_range(hub, tmp_path, model_bytes):
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done >= CHUNK:
            cancel.set()          # the next chunk is refused: the first one stays on disk

    with pytest.raises(DownloadCancelled, match="kept"):
        download_model(OFFER, tmp_path, progress=progress, cancel=cancel)
    (part,) = partial_files(OFFER, tmp_path)
    assert part.stat().st_size == CHUNK and not (tmp_path / OFFER.filename).exists()
    assert part.name.startswith(OFFER.filename) and hashlib.sha256(model_bytes).hexdigest()[:16] in part.name
    seen = []
    path = download_model(OFFER, tmp_path, progress=lambda done, total: seen.append(done))
    assert path.read_bytes() == model_bytes and partial_files(OFFER, tmp_path) == []
    assert hub.state.requests[-1][2] == f"bytes={CHUNK}-"        # only the rest was asked for
    assert seen[0] == CHUNK


def test_a_file_that_does_not_match_the_hubs_checksum_is_refused_and_deleted(hub, tmp_path):
    hub.state.corrupt = True
    with pytest.raises(DownloadError, match="checksum"):
        download_model(OFFER, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_offline_and_missing_files_get_a_clear_message(monkeypatch, tmp_path, hub):
    missing = ModelOffer(repo_id=OFFER.repo_id, filename="gone.gguf", title="Gone", size_text="1 MB",
                         licence="MIT")
    with pytest.raises(DownloadError, match="404"):
        download_model(missing, tmp_path)
    with socket.socket() as sock:           # a port nobody listens on: connection refused, as when offline
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    with pytest.raises(DownloadError, match="offline"):
        download_model(OFFER, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_recommended_model_comes_from_its_publishers_repository():
    assert RECOMMENDED.repo_id == "Qwen/Qwen2.5-1.5B-Instruct-GGUF" and RECOMMENDED.licence == "Apache-2.0"
    assert RECOMMENDED.filename.endswith("q4_k_m.gguf") and COMMIT


def test_settings_box_downloads_off_the_gui_thread_with_progress_cancel_and_resume(qtbot, hub, tmp_path,
                                                                                   model_bytes):
    from emotune.gui.dialogs.model_download import ModelDownloadBox

    box = ModelDownloadBox(tmp_path, OFFER)
    qtbot.addWidget(box)
    assert box.start_button.text().startswith("Download") and not hub.state.requests   # nothing until asked
    hub.state.hold_at = CHUNK          # the server pauses after the first chunk until the box has cancelled
    box.start()
    qtbot.waitUntil(lambda: box.progress.value() > 0, timeout=30000)
    assert not box.start_button.isEnabled() and box.cancel_button.isEnabled()
    box.cancel()
    hub.state.release.set()
    qtbot.waitUntil(lambda: not box.busy(), timeout=30000)
    assert "kept" in box.status.text() and box.start_button.text() == "Resume download"
    hub.state.hold_at = None
    with qtbot.waitSignal(box.downloaded, timeout=30000) as got:
        box.start()
    assert got.args == [str(tmp_path / OFFER.filename)] and (tmp_path / OFFER.filename).read_bytes() == model_bytes
    assert box.progress.value() == 1000 and "checked" in box.status.text()
    assert any(r.startswith("bytes=") for _, _, r in hub.state.requests)
    box.shutdown()


def test_settings_box_says_when_offline(qtbot, monkeypatch, tmp_path):
    from emotune.gui.dialogs.model_download import ModelDownloadBox

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    box = ModelDownloadBox(tmp_path, OFFER)
    qtbot.addWidget(box)
    box.start()
    qtbot.waitUntil(lambda: not box.busy(), timeout=30000)
    assert "offline" in box.status.text() and box.start_button.isEnabled()
    box.shutdown()


def test_settings_dialog_offers_the_download_and_takes_the_downloaded_file(qtbot, tmp_path, monkeypatch):
    from emotune.gui.dialogs.settings_dialog import SettingsDialog
    from emotune.gui.settings import Settings

    dialog = SettingsDialog(Settings.at(tmp_path / "settings.ini"), models_folder=tmp_path / "models")
    qtbot.addWidget(dialog)
    assert dialog.download.folder == tmp_path / "models" and not dialog.download.busy()
    assert "huggingface.co" in dialog.download.findChildren(type(dialog.download.status))[0].text()
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.gguf").write_bytes(gguf_bytes(1_100_000))   # the box emits a checked, whole file
    dialog.download.downloaded.emit(str(tmp_path / "models" / "m.gguf"))
    assert dialog.model.text() == str(tmp_path / "models" / "m.gguf")
    dialog.reject()
