"""A real HTTP server on 127.0.0.1 that speaks the Hugging Face hub's file download protocol, for tests.

What huggingface_hub's `get_hf_file_metadata` and `http_get` ask (read in huggingface_hub 2.4's
file_download.py): HEAD /{repo}/resolve/{revision}/{filename} answers 200 with X-Repo-Commit (the commit the
revision points at), ETag and X-Linked-Etag (for an LFS file the SHA-256 of its content), X-Linked-Size and
Content-Length, and Accept-Ranges; GET on the same path sends the file, or with "Range: bytes=N-" the rest
from N as 206 Partial Content with Content-Range. An unknown file answers 404 with X-Error-Code
EntryNotFound. `corrupt` serves other bytes than the ETag says, `hold_at` pauses a download at a byte until
`release` is set; every request is logged (method, path, Range).
"""
from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"
_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")
_PATH = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")


@dataclass
class HubState:
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)   # (repo, filename) -> content
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, Range header
    corrupt: bool = False        # send different bytes of the same length than the ETag promises
    hold_at: int | None = None   # stop sending at this byte of the file until `release` is set
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def _handler(state: HubState):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def _file(self) -> tuple[bytes, str] | None:
            with state.lock:
                state.requests.append((self.command, self.path, self.headers.get("Range", "")))
            m = _PATH.match(self.path.split("?")[0])
            if not m or m["rev"] not in ("main", COMMIT):
                return None
            data = state.files.get((m["repo"], m["file"]))
            return None if data is None else (data, hashlib.sha256(data).hexdigest())

        def _not_found(self) -> None:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("X-Error-Message", "Entry not found")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _meta_headers(self, data: bytes, sha: str) -> None:
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("ETag", f'"{sha}"')
            self.send_header("X-Linked-Etag", f'"{sha}"')
            self.send_header("X-Linked-Size", str(len(data)))
            self.send_header("Accept-Ranges", "bytes")

        def do_HEAD(self) -> None:
            found = self._file()
            if found is None:
                return self._not_found()
            data, sha = found
            self.send_response(200)
            self._meta_headers(data, sha)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()

        def do_GET(self) -> None:
            found = self._file()
            if found is None:
                return self._not_found()
            data, sha = found
            if state.corrupt:
                data = bytes(b ^ 0xFF for b in data[:64]) + data[64:]
            start, end = 0, len(data) - 1
            m = _RANGE.match(self.headers.get("Range", ""))
            if m:
                start = int(m[1])
                end = int(m[2]) if m[2] else end
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
            else:
                self.send_response(200)
            self._meta_headers(data, sha)
            body = data[start:end + 1]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            view = memoryview(body)
            for i in range(0, len(body), 1 << 20):
                if state.hold_at is not None and start + i >= state.hold_at:
                    self.wfile.flush()
                    state.release.wait(30)
                self.wfile.write(view[i:i + (1 << 20)])

    return Handler


class HubServer:
    """Start with `with HubServer() as hub:`; `hub.url` is the endpoint for HF_ENDPOINT."""

    def __init__(self) -> None:
        self.state = HubState()
        self._server = _Quiet(("127.0.0.1", 0), _handler(self.state))
        self._thread = threading.Thread(target=self._server.serve_forever, name="hub-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, repo: str, filename: str, data: bytes) -> str:
        """Serves `data` as repo/filename at "main"; returns its SHA-256 (the ETag)."""
        self.state.files[(repo, filename)] = data
        return hashlib.sha256(data).hexdigest()

    def __enter__(self) -> HubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
