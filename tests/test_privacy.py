"""Privacy: whole commands run under a socket guard that refuses anything but loopback (and logs every try),
and write nothing outside EMOTUNE_HOME and the temp folder: HOME and the working folder are compared before
and after, and no image or array (a frame, a face crop) is written even inside those.

The guard only sees Python's socket module, so each command also runs under strace, which sees every connect
and sendto the process and its threads make, native code included (llama.cpp, ONNX Runtime, Qt, OpenCV): only
AF_UNIX and loopback may appear. And the guard proves it is live: after the command, the same process tries a
real connection, which must be refused and logged (a guard that was never installed would let it through)."""
from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from emotune.privacy import NetworkBlockedError, SocketGuard, is_loopback

REPO = Path(__file__).resolve().parent.parent
CANARY = ("192.0.2.1", 9)       # TEST-NET-1: an address outside this machine that no one answers on

# The guarded child: runs `emotune ARGS` under the guard, then tries a real connection from the same process.
_GUARDED_CHILD = f"""
import socket, sys
from emotune.privacy import NetworkBlockedError, main
rc = main(sys.argv[1:])
try:
    socket.create_connection({CANARY!r}, timeout=3).close()
    print("CANARY: connected", file=sys.stderr)
except NetworkBlockedError:
    print("CANARY: refused by the guard", file=sys.stderr)
except OSError as exc:
    print(f"CANARY: reached the network ({{exc}})", file=sys.stderr)
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:   # allowed, and seen by strace: the trace is live
    udp.sendto(b"loopback", ("127.0.0.1", 9))
sys.exit(rc)
"""


def strace_prefix(trace: Path, also: tuple[str, ...] = ()) -> list[str]:
    """strace on every thread and child, connect/sendto/sendmsg (and the syscalls in `also`) only. Required on
    Linux (scripts/system-deps.sh installs it); elsewhere the test skips, since the check is a Linux tool."""
    exe = shutil.which("strace")
    if exe is None:
        if sys.platform.startswith("linux"):
            pytest.fail("strace is not installed: run scripts/system-deps.sh (apt-get install strace)")
        pytest.skip("strace is Linux-only")
    calls = ",".join(("connect", "sendto", "sendmsg", *also))
    return [exe, "-f", "-qq", "-e", f"trace={calls}", "-e", "signal=none", "-o", str(trace)]


_ADDRESS = re.compile(r"sa_family=(AF_\w+)(?:.*?inet_addr\(\"([^\"]+)\"\)|.*?inet_pton\(AF_INET6, \"([^\"]+)\")?")


def outside_connections(trace: Path) -> list[str]:
    """The traced calls that address anything but a local socket or loopback (IPv4 127/8, IPv6 ::1)."""
    bad = []
    for line in trace.read_text(errors="replace").splitlines():
        for family, ipv4, ipv6 in _ADDRESS.findall(line):
            if family in ("AF_UNIX", "AF_NETLINK", "AF_UNSPEC"):
                continue
            if (ipv4 and is_loopback(ipv4)) or (ipv6 and is_loopback(ipv6)):
                continue
            bad.append(line)
    return bad


def test_loopback_detection():
    assert all(map(is_loopback, ["127.0.0.1", "127.8.9.1", "::1", "localhost", b"127.0.0.1"]))
    assert not any(map(is_loopback, ["8.8.8.8", "api.spotify.com", "::ffff:1.2.3.4", "10.0.0.1", None]))


def test_guard_blocks_the_outside_and_lets_loopback_through(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log = tmp_path / "net.log"
    try:
        with SocketGuard(log) as guard:
            with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=5):
                pass
            for attempt in (lambda: socket.create_connection(("203.0.113.5", 443), timeout=1),
                            lambda: socket.socket().connect(("198.51.100.7", 80)),
                            lambda: socket.getaddrinfo("accounts.spotify.com", 443),
                            lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("9.9.9.9", 53))):
                with pytest.raises(NetworkBlockedError):
                    attempt()
        assert len(guard.attempts) == 4 and len(log.read_text().splitlines()) == 4
        assert socket.create_connection.__qualname__ == "create_connection"   # uninstalled again
    finally:
        server.shutdown()
        server.server_close()


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns) if p.is_file() else (0, 0)
    return out


def run_guarded(tmp_path: Path, *emotune_args: str, timeout: int = 300) -> tuple[subprocess.CompletedProcess, Path]:
    """Runs `emotune ARGS` under the guard with a fresh HOME, working folder, EMOTUNE_HOME and TMPDIR;
    asserts nothing was tried on the network and nothing was written to HOME or the working folder."""
    home, cwd, app, tmp = (tmp_path / n for n in ("home", "cwd", "emotune-home", "tmp"))
    for d in (home, cwd, tmp):
        d.mkdir(exist_ok=True)
    (home / "Music").mkdir(exist_ok=True)               # a lived-in HOME, so a write anywhere in it shows
    (cwd / "notes.txt").write_text("the user's own file\n")
    log = tmp_path / "network.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "EMOTUNE_"))}
    env.update(HOME=str(home), EMOTUNE_HOME=str(app), TMPDIR=str(tmp), PYTHONDONTWRITEBYTECODE="1",
               QT_QPA_PLATFORM="offscreen", EMOTUNE_NO_CRASH_DIALOG="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    before_home, before_cwd = _tree(home), _tree(cwd)
    trace = tmp_path / "strace.txt"
    result = subprocess.run([*strace_prefix(trace), sys.executable, "-c", _GUARDED_CHILD, "--log", str(log), "--",
                             *emotune_args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                            stdin=subprocess.DEVNULL)
    blocked = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    assert result.returncode >= 0, f"the command crashed (signal {-result.returncode}): {result.stderr[-3000:]}"
    # the guard was live: the canary, and only the canary, was refused and logged
    assert "CANARY: refused by the guard" in result.stderr, result.stderr[-3000:]
    assert [b["blocked"].split(" ", 1)[1] for b in blocked] == [repr(CANARY)], f"network access attempted: {blocked}"
    # nothing reached the network from native code either (the refused canary never became a syscall)
    assert 'sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")' in trace.read_text(), "strace saw nothing"
    assert outside_connections(trace) == [], outside_connections(trace)
    changed_home = sorted(set(_tree(home).items()) ^ set(before_home.items()))
    changed_cwd = sorted(set(_tree(cwd).items()) ^ set(before_cwd.items()))
    assert changed_home == [], f"written to HOME: {changed_home}"
    assert changed_cwd == [], f"written to the working folder: {changed_cwd}"
    images = _images_under(app) + _images_under(tmp)
    assert images == [], f"frames or face crops were written to disk: {images}"
    return result, app


# JPEG, PNG, BMP, NumPy .npy, TIFF: what a frame or a face crop would look like on disk
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"BM", b"\x93NUMPY", b"II*\x00", b"MM\x00*")


def _images_under(root: Path) -> list[str]:
    """Files under `root` that hold an image or an array (by their first bytes, whatever their name)."""
    found = []
    for path in (root.rglob("*") if root.exists() else ()):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as fh:
                head = fh.read(8)
            if head.startswith(_IMAGE_MAGIC):
                found.append(str(path.relative_to(root)))
    return found


def _owner_only(app: Path) -> dict[str, str]:
    """Every folder EmoTune made under `app` and every file it wrote there that others could read: the
    top-level folders must be 0700 and each file 0600 (or stricter), like the Spotify token."""
    loose = {}
    for top in sorted(p for p in (app.iterdir() if app.exists() else ()) if p.is_dir()):
        if stat.S_IMODE(top.stat().st_mode) & 0o077:
            loose[str(top.relative_to(app))] = oct(stat.S_IMODE(top.stat().st_mode))
        for path in top.rglob("*"):
            if path.is_file() and not path.is_symlink() and "keras" not in path.parts:
                mode = stat.S_IMODE(path.stat().st_mode)
                if mode & 0o077:
                    loose[str(path.relative_to(app))] = oct(mode)
    return loose


def test_recommend_runs_offline_and_writes_nowhere_else(tmp_path):
    result, _ = run_guarded(tmp_path, "recommend", "--mood", "sad", "-n", "5", "--json")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["tracks"]) == 5


def test_journal_commands_run_offline_and_write_only_to_the_app_folder(tmp_path):
    result, app = run_guarded(tmp_path, "journal", "info")
    assert result.returncode == 0, result.stderr
    assert (app / "data" / "journal.sqlite3").exists()


def test_the_journal_and_its_export_are_owner_only(tmp_path):
    """Under a permissive umask (022, the common default) the journal (with its WAL files) and its export are
    still created readable by their owner only (0600, folders 0700): they describe the user's moods."""
    old = os.umask(0o022)
    try:
        out = tmp_path / "cwd" / "moods.csv"
        (tmp_path / "cwd").mkdir()
        (tmp_path / "cwd" / "notes.txt").write_text("the user's own file\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "EMOTUNE_"))}
        env.update(EMOTUNE_HOME=str(tmp_path / "app"), HOME=str(tmp_path / "home"),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        for args in (["journal", "info"], ["journal", "export", "--format", "csv", "--out", str(out)]):
            result = subprocess.run([sys.executable, "-m", "emotune", *args], cwd=tmp_path / "cwd", env=env,
                                    capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
                                    check=False)
            assert result.returncode == 0, result.stderr
    finally:
        os.umask(old)
    app = tmp_path / "app"
    assert (app / "data" / "journal.sqlite3").is_file() and out.is_file()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "cwd").stat().st_mode) == 0o755     # the user's own folder is left alone
    assert _owner_only(app) == {}


def test_the_log_files_stay_owner_only_across_a_rollover(tmp_path):
    code = ("import logging, os, sys\n"
            "from pathlib import Path\n"
            "os.umask(0o022)\n"
            "from emotune.logging_setup import configure_logging\n"
            "configure_logging(Path(sys.argv[1]) / 'log', console=False)\n"
            "for i in range(3000):\n"
            "    logging.getLogger('emotune.test').info('line %d %s', i, 'x' * 400)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in (tmp_path / "log").iterdir())
    assert files == ["emotune.log", "emotune.log.1"]          # 1.3 MB of lines: one rollover
    assert _owner_only(tmp_path) == {}


def face_video(folder: Path) -> Path:
    """Ten frames of the bundled three-face sample as an MJPG AVI."""
    import cv2

    from emotune.resources import asset_path

    still = cv2.imread(str(asset_path("sample_faces.jpg")))
    video = folder / "faces.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 5.0, (still.shape[1], still.shape[0]))
    for _ in range(10):
        writer.write(still)
    writer.release()
    return video


@pytest.mark.slow
def test_detect_on_a_video_connects_nowhere(tmp_path):
    result, _ = run_guarded(tmp_path, "detect", "--json", str(face_video(tmp_path)))
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [len(line["faces"]) for line in lines] == [3, 3]


@pytest.mark.slow
def test_the_window_on_a_video_connects_nowhere_and_writes_nowhere_else(tmp_path):
    """The whole window offscreen (its self-test): camera-less capture of a video, both models, the local LLM,
    the catalog."""
    old = os.umask(0o022)
    try:
        result, app = run_guarded(tmp_path, "gui", "--self-test", "--source", str(face_video(tmp_path)),
                                  timeout=600)
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary.get("ok") is True and summary["faces"] == 3, summary
    assert _owner_only(app) == {}          # logs and the LLM's prompt state included


def test_keras_keeps_its_config_in_the_app_folder_not_in_home(tmp_path):
    """Keras writes ~/.keras/keras.json when first imported; a starting EmoTune points it at its own cache."""
    home, app = tmp_path / "home", tmp_path / "app"
    home.mkdir()
    code = ("from emotune.logging_setup import setup_app_logging\n"
            "setup_app_logging()\n"
            "import keras\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "EMOTUNE_", "KERAS_HOME"))}
    env.update(HOME=str(home), EMOTUNE_HOME=str(app), PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert list(home.iterdir()) == [], sorted(str(p) for p in home.rglob("*"))
    assert (app / "cache" / "keras" / "keras.json").is_file()
