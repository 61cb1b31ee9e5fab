"""A network guard that refuses every connection except to loopback, and logs what was tried.

Why: EmoTune promises that frames, faces and moods never leave the machine and that the only traffic is
Spotify, after the user connected it. Tests run whole commands under this guard
(`python -m emotune.privacy --log FILE -- recommend --mood sad`) and fail on any logged attempt; the log matters
because the app rightly catches network errors ("Spotify is down") and keeps running, so an exception alone
could go unnoticed.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import socket
import sys
import threading
from pathlib import Path
from typing import Any, Callable

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


class NetworkBlockedError(ConnectionRefusedError):
    """A connection to somewhere other than this machine was attempted while the guard was on."""


def is_loopback(host: Any) -> bool:
    """True for 127.0.0.0/8, ::1, 'localhost' and Unix-domain paths."""
    if isinstance(host, (bytes, bytearray)):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class SocketGuard:
    """Patches socket connect/connect_ex/sendto, create_connection and getaddrinfo while installed."""

    def __init__(self, log_path: Path | None = None, allow: Callable[[Any], bool] = is_loopback) -> None:
        self.log_path = Path(log_path) if log_path else None
        self.allow = allow
        self.attempts: list[str] = []
        self._saved: dict[tuple[Any, str], Any] = {}
        self._lock = threading.Lock()

    def _refuse(self, what: str, target: Any) -> None:
        text = f"{what} {target!r}"
        with self._lock:
            self.attempts.append(text)
            if self.log_path:
                with self.log_path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps({"pid": os.getpid(), "blocked": text}) + "\n")
        raise NetworkBlockedError(f"network access outside this machine is blocked: {text}")

    def _check_address(self, sock: socket.socket, address: Any, what: str) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
            if not self.allow(address[0]):
                self._refuse(what, address)

    def install(self) -> SocketGuard:
        guard = self
        real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
        real_sendto, real_gai = socket.socket.sendto, socket.getaddrinfo
        real_create = socket.create_connection

        def connect(sock, address):
            guard._check_address(sock, address, "connect")
            return real_connect(sock, address)

        def connect_ex(sock, address):
            guard._check_address(sock, address, "connect")
            return real_connect_ex(sock, address)

        def sendto(sock, data, *args):
            guard._check_address(sock, args[-1], "sendto")
            return real_sendto(sock, data, *args)

        def getaddrinfo(host, *args, **kwargs):
            if host is not None and not guard.allow(host):
                guard._refuse("resolve", host)
            return real_gai(host, *args, **kwargs)

        def create_connection(address, *args, **kwargs):
            if not guard.allow(address[0]):
                guard._refuse("connect", address)
            return real_create(address, *args, **kwargs)

        for owner, name, new in ((socket.socket, "connect", connect), (socket.socket, "connect_ex", connect_ex),
                                 (socket.socket, "sendto", sendto), (socket, "getaddrinfo", getaddrinfo),
                                 (socket, "create_connection", create_connection)):
            self._saved[(owner, name)] = getattr(owner, name)
            setattr(owner, name, new)
        return self

    def uninstall(self) -> None:
        for (owner, name), original in self._saved.items():
            setattr(owner, name, original)
        self._saved.clear()

    def __enter__(self) -> SocketGuard:
        return self.install()

    def __exit__(self, *exc) -> None:
        self.uninstall()


def main(argv: list[str] | None = None) -> int:
    """`python -m emotune.privacy [--log FILE] -- EMOTUNE-ARGS...`: runs an emotune command under the guard."""
    parser = argparse.ArgumentParser(prog="python -m emotune.privacy",
                                     description="Run an emotune command with all non-loopback network access blocked.")
    parser.add_argument("--log", type=Path, help="append each blocked attempt to this file (JSON lines)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="emotune arguments, after --")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    SocketGuard(args.log).install()
    from emotune.cli.main import main as emotune_main

    return emotune_main(command)


if __name__ == "__main__":
    sys.exit(main())
