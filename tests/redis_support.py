"""A real Debian ``redis-server`` for tests: its own free loopback port and data folder,
append-only persistence (so a restart keeps what it had), stopped at the end.

Example::

    with RedisServer(tmp_path / "redis") as server:
        server.url        # 'redis://127.0.0.1:PORT/0'
        server.restart()  # same port, same data
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    def __init__(self, folder: Path, port: int | None = None, appendfsync: str = "always"):
        self.folder = Path(folder)
        self.appendfsync = appendfsync  # "everysec": as docs/distributed.md advises production
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise RuntimeError("redis-server is missing: run `make setup` (config/debian-packages.txt)")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--save", "", "--appendonly", "yes", "--appendfsync", self.appendfsync,
             "--protected-mode", "yes", "--daemonize", "no", "--logfile", "redis.log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.folder / "redis.log")
                    raise RuntimeError("redis-server did not start: "
                                       + (log.read_text()[-2000:] if log.exists() else "no log"))
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children first found through /proc), in any session."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = [int(c) for c in (task / "children").read_text().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue
            found += kids
            todo += kids
    return found


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL a worker and everything it started (RQ's work horse runs in its own session):
    what a machine dying does to the processes on it."""
    for pid in [proc.pid, *descendants(proc.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=30)
