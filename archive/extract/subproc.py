"""Run an external converter (antiword, LibreOffice, tesseract) safely.

A hang is killed with its whole process group after the timeout (``TIMEOUT``, not retried:
a converter that hung once will hang again); a crash or non-zero exit is retried with
tenacity, then reported as ``CONVERTER_FAILED``. Both arrive as :class:`ExtractFailure`.

Example::

    >>> run_tool(["echo", "hi"], timeout_s=5, attempts=1)
    b'hi\\n'
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess

from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from archive.document import ExtractStatus
from archive.extract.limits import ExtractFailure


class _Crashed(Exception):
    """A converter exited non-zero or died on a signal: maybe transient, so retried."""


def run_tool(cmd: list[str], timeout_s: float, attempts: int = 2, stdin: bytes | None = None,
             env: dict[str, str] | None = None) -> bytes:
    """Run ``cmd`` and return its stdout; raise ExtractFailure on timeout or failure."""
    retrying = Retrying(stop=stop_after_attempt(max(1, attempts)), wait=wait_fixed(0.2),
                        retry=retry_if_exception_type(_Crashed), reraise=False)
    try:
        for attempt in retrying:
            with attempt:
                return _run_once(cmd, timeout_s, stdin, env)
    except RetryError as exc:
        raise ExtractFailure(ExtractStatus.CONVERTER_FAILED,
                             f"{cmd[0]}: {exc.last_attempt.exception()}") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _run_once(cmd: list[str], timeout_s: float, stdin: bytes | None,
              env: dict[str, str] | None) -> bytes:
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True, env=env)
    except OSError as exc:
        raise ExtractFailure(ExtractStatus.CONVERTER_FAILED, f"{cmd[0]}: {exc}") from None
    try:
        out, err = proc.communicate(stdin, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise ExtractFailure(ExtractStatus.TIMEOUT,
                             f"{cmd[0]} did not finish in {timeout_s:g} s") from None
    if proc.returncode != 0:
        raise _Crashed(f"exit {proc.returncode}: {err.decode('utf-8', 'replace')[-300:].strip()}")
    return out


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


@functools.cache
def tool_version(cmd: str, flag: str = "--version") -> str:
    """First version-looking token of ``cmd --version`` (cached per process), or ``unknown``."""
    try:
        out = subprocess.run([cmd, flag], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    for token in (out.stdout + out.stderr).decode("utf-8", "replace").split():
        if token[:1].isdigit() and "." in token:
            return token
    return "unknown"
