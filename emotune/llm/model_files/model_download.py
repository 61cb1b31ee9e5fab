"""The opt-in download of one recommended, larger analysis model (Settings → "Download a better model").

The only network use besides Spotify (docs/privacy.md), and only when the user presses the button. It goes
through huggingface_hub: `get_hf_file_metadata` asks the hub (HEAD /{repo}/resolve/{revision}/{file}) for the
file's commit, size and ETag (for an LFS file the SHA-256 of its content); `http_get` streams it with a
Range request from where an earlier, cancelled or broken download stopped, and checks the size. The file
grows as `<name>.<etag>.part` next to its destination, so a cancel keeps what came and a new revision on the
hub starts over; at the end its SHA-256 must equal the hub's ETag and it must read as a GGUF, and only then
is it renamed into the user's models folder, where model discovery finds it.

`HF_ENDPOINT` points the download elsewhere (a mirror; the tests use a server on 127.0.0.1). Qt-free: the
Settings widget runs `download_model` in a worker thread.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from emotune.llm.model_files.model_locator import ModelFileError, check_model_file

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://huggingface.co"
Progress = Callable[[int, "int | None"], None]   # bytes on disk so far, total bytes (None while unknown)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ModelOffer:
    """One downloadable GGUF: where it lives on the hub and what to tell the user before they agree."""

    repo_id: str
    filename: str
    title: str
    size_text: str
    licence: str
    revision: str = "main"


# Qwen2.5-1.5B-Instruct from its publisher's own GGUF repository: Apache-2.0, 1.1 GB at Q4_K_M, a chat
# template in the file (llama-cpp-python formats the prompt with it), 32k context; about 10x the 135M
# default's parameters, still a few seconds per analysis on a laptop CPU.
RECOMMENDED = ModelOffer(
    repo_id="Qwen/Qwen2.5-1.5B-Instruct-GGUF", filename="qwen2.5-1.5b-instruct-q4_k_m.gguf",
    title="Qwen2.5-1.5B-Instruct (Q4_K_M)", size_text="1.1 GB", licence="Apache-2.0",
)


class DownloadError(RuntimeError):
    """The download did not finish; the message is for the user (what happened, what to do)."""


class DownloadCancelled(DownloadError):
    """The user cancelled; what came so far is kept for the next try."""


def endpoint() -> str:
    """The hub to download from: HF_ENDPOINT when set, else huggingface.co."""
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def partial_files(offer: ModelOffer, folder: Path) -> list[Path]:
    """Unfinished downloads of the offer in `folder` (one per hub revision that was started)."""
    return sorted(folder.glob(f"{offer.filename}.*.part"))


def download_model(offer: ModelOffer, folder: Path, progress: Progress | None = None,
                   cancel: threading.Event | None = None) -> Path:
    """Downloads the offer into `folder` (worker thread) and returns the GGUF's path; resumes a partial file
    of the same revision. Raises DownloadCancelled when `cancel` is set, DownloadError for everything else."""
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url
    from huggingface_hub.file_download import http_get

    # huggingface_hub 2.x asks the hub for an "agent harness" list (GET /api/agent-harnesses) to tag its
    # user agent, unless telemetry is off: EmoTune sends the two requests of the download and nothing else
    constants.HF_HUB_DISABLE_TELEMETRY = True
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / offer.filename
    if dest.exists():
        _check_gguf(dest)
        return dest
    hub = endpoint()
    url = hf_hub_url(offer.repo_id, offer.filename, revision=offer.revision, endpoint=hub)
    try:
        meta = get_hf_file_metadata(url, token=False, endpoint=hub)
    except Exception as exc:  # noqa: BLE001 - translated for the user below
        raise _user_error(exc, hub) from exc
    etag = (meta.etag or "").strip('"').lower()
    if meta.size is None or not etag:
        raise DownloadError(f"{urlparse(hub).netloc} did not say the size and checksum of {offer.filename}; "
                            f"nothing was downloaded")
    part = folder / f"{offer.filename}.{etag[:16]}.part"
    for stale in partial_files(offer, folder):
        if stale != part:
            stale.unlink(missing_ok=True)   # an older revision: its bytes do not belong to this file
    done = part.stat().st_size if part.exists() else 0
    if done > meta.size:
        part.unlink()
        done = 0
    log.info("downloading %s from %s (%d of %d bytes already here)", offer.filename, hub, done, meta.size)
    report = _reporter(progress, cancel, meta.size)
    report(done)
    try:
        with open(part, "ab") as fh:
            http_get(meta.location, fh, resume_size=done, expected_size=meta.size,
                     displayed_filename=offer.filename, tqdm_class=_progress_class(report, done))
    except DownloadCancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - translated for the user below
        raise _user_error(exc, hub) from exc
    _verify(part, meta.size, etag)
    part.replace(dest)
    _check_gguf(dest)
    log.info("downloaded %s (commit %s)", dest, meta.commit_hash)
    return dest


def _reporter(progress: Progress | None, cancel: threading.Event | None, total: int) -> Callable[[int], None]:
    def report(done: int) -> None:
        if cancel is not None and cancel.is_set():
            raise DownloadCancelled("download cancelled; what came so far is kept and the next download goes on "
                                    "from there")
        if progress is not None:
            progress(done, total)
    return report


def _progress_class(report: Callable[[int], None], start: int):
    """A tqdm class for http_get that reports bytes on disk and raises DownloadCancelled on cancel (the file
    keeps every chunk written before)."""
    from tqdm.auto import tqdm

    class Progress(tqdm):
        def __init__(self, *args, **kwargs) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self.done = start

        def update(self, n: float | None = 1) -> bool | None:
            self.done += int(n or 0)
            report(self.done)
            return None

    return Progress


def _verify(part: Path, size: int, etag: str) -> None:
    """The hub's checks: the size, and for an LFS file (ETag = SHA-256 of the content) the hash."""
    got = part.stat().st_size
    if got != size:
        raise DownloadError(f"the download is {got} bytes, the hub says {size}; press Download again to go on")
    if _SHA256.match(etag):
        digest = hashlib.sha256()
        with open(part, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != etag:
            part.unlink(missing_ok=True)
            raise DownloadError("the downloaded file does not match the hub's checksum (SHA-256), so it was "
                                "deleted; press Download to fetch it again")


def _check_gguf(path: Path) -> None:
    try:
        check_model_file(path)
    except ModelFileError as exc:
        raise DownloadError(f"the downloaded file is not a usable model ({exc})") from None


def _user_error(exc: Exception, hub: str) -> DownloadError:
    """What went wrong, in words: offline, not found, refused, or the library's own message."""
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    host = urlparse(hub).netloc or hub
    if isinstance(exc, OfflineModeIsEnabled):
        return DownloadError("downloads are switched off (HF_HUB_OFFLINE is set); unset it to download the model")
    if isinstance(exc, HfHubHTTPError):
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status == 404:
            return DownloadError(f"{host} does not have this model file any more (404); "
                                 f"choose another .gguf file in Settings")
        return DownloadError(f"{host} refused the download (HTTP {status}); try again later")
    if _is_network_error(exc):
        return DownloadError(f"no connection to {host}: you seem to be offline. Connect to the internet and "
                             f"press Download again; what came so far is kept")
    return DownloadError(f"the download failed: {exc}")


def _is_network_error(exc: BaseException) -> bool:
    """Connection refused, DNS failure, timeout or a dropped connection, from httpx/httpx2 or the OS."""
    for err in (exc, exc.__cause__, exc.__context__):
        if err is None:
            continue
        if isinstance(err, (ConnectionError, TimeoutError)) or type(err).__module__.split(".")[0].startswith("httpx"):
            return True
    return False
