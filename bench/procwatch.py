"""Peak resident memory of a process and of each of its descendants, by polling
``/proc/PID/status`` (``VmHWM``: the kernel's own high-water mark), no psutil.

Example::

    proc = subprocess.Popen([...])
    with ProcessWatch(proc.pid) as watch:
        proc.wait()
    watch.peak_mb(proc.pid), watch.children()   # MB; {pid: (cmdline, MB)}
"""

from __future__ import annotations

import threading
from pathlib import Path


def _status_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found += [int(c) for c in text]
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


class ProcessWatch:
    """Poll a process tree every ``interval`` seconds until stopped; keep each pid's peak."""

    def __init__(self, root: int, interval: float = 0.05):
        self.root, self.interval = root, interval
        self.peaks: dict[int, int] = {}  # pid -> VmHWM kB (last seen, it only grows)
        self.commands: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _poll(self) -> None:
        pending = [self.root]
        while pending:
            pid = pending.pop()
            hwm = _status_kb(pid, "VmHWM")
            if hwm is not None:
                self.peaks[pid] = max(hwm, self.peaks.get(pid, 0))
                if pid not in self.commands:
                    self.commands[pid] = _cmdline(pid)
            pending += _children(pid)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._poll()
            self._stop.wait(self.interval)

    def __enter__(self) -> "ProcessWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def peak_mb(self, pid: int) -> float:
        return self.peaks.get(pid, 0) / 1024

    def children(self) -> dict[int, tuple[str, float]]:
        return {pid: (self.commands.get(pid, ""), kb / 1024)
                for pid, kb in self.peaks.items() if pid != self.root}
