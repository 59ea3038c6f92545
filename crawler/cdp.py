"""A small Chrome DevTools Protocol client over ``--remote-debugging-pipe``, on asyncio.

Chromium started with ``--remote-debugging-pipe`` reads CDP messages from its fd 3 and writes
them to its fd 4: JSON objects, each terminated by a NUL byte. A call is
``{"id", "method", "params"[, "sessionId"]}``; its reply carries the same ``id`` and a
``result`` or an ``error``; everything else the browser writes is an event
(``{"method", "params"[, "sessionId"]}``). :class:`CDPConnection` frames both ways over two
pipes watched by the asyncio loop (``connect_read_pipe`` / ``connect_write_pipe``: nothing
blocks the loop); :class:`ChromiumProcess` starts a browser with those pipes in its own
process group, and kills that whole group when it is closed or its pipe breaks.

Example::

    chromium = await ChromiumProcess.launch(Path("/usr/lib/chromium/chromium-headless-shell"),
                                            ["--single-process"], user_data_dir)
    (await chromium.cdp.call("Browser.getVersion"))["product"]
    await chromium.close()
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

# Listeners get (method, params, sessionId or None) for every event.
Listener = Callable[[str, dict, "str | None"], None]
STDERR_LINES = 20  # the browser's last stderr lines, kept to say why it died


class CDPError(RuntimeError):
    """The browser answered a call with an error."""

    def __init__(self, method: str, code: int | None, message: str):
        super().__init__(f"{method}: {message} (CDP error {code})")
        self.method, self.code, self.message = method, code, message


class CDPClosed(ConnectionError):
    """The pipe to the browser is closed (it exited or crashed, or was closed)."""


class CDPConnection:
    """Calls and events over a read pipe and a write pipe (the browser's fd 4 and fd 3).

    ``closed`` is a future that gets the reason once the connection is gone; every call still
    waiting then fails with :class:`CDPClosed`, and so does any call made afterwards."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[str, asyncio.Future]] = {}
        self._listeners: list[Listener] = []
        self._buffer = bytearray()
        self._writer: asyncio.WriteTransport | None = None
        self._reader: asyncio.ReadTransport | None = None
        self.closed: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    @classmethod
    async def over_fds(cls, read_fd: int, write_fd: int) -> CDPConnection:
        """A connection reading ``read_fd`` and writing ``write_fd`` (it owns and closes both)."""
        loop = asyncio.get_running_loop()
        conn = cls()
        conn._reader, _ = await loop.connect_read_pipe(
            lambda: _PipeProtocol(conn), os.fdopen(read_fd, "rb", buffering=0))
        conn._writer, _ = await loop.connect_write_pipe(
            lambda: _PipeProtocol(conn), os.fdopen(write_fd, "wb", buffering=0))
        return conn

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` for every event from now on; returns the function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def call(self, method: str, params: dict | None = None, session: str | None = None,
                   timeout: float | None = None) -> dict:
        """Send ``method`` (to the target attached as ``session``) and return its ``result``.
        Raises :class:`CDPError` on an error reply, :class:`CDPClosed` if the pipe closes first,
        ``TimeoutError`` after ``timeout`` seconds."""
        if self.closed.done():
            raise CDPClosed(f"{method}: {self.closed.result()}")
        message = {"id": next(self._ids), "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        reply = asyncio.get_running_loop().create_future()
        self._pending[message["id"]] = (method, reply)
        self._writer.write(json.dumps(message).encode() + b"\0")
        try:
            return await asyncio.wait_for(reply, timeout)
        finally:
            self._pending.pop(message["id"], None)

    def close(self, reason: str = "closed") -> None:
        """Close both pipes and fail every waiting call (idempotent)."""
        if not self.closed.done():
            self.closed.set_result(reason)
        for method, reply in self._pending.values():
            if not reply.done():
                reply.set_exception(CDPClosed(f"{method}: {reason}"))
        self._pending.clear()
        for transport in (self._writer, self._reader):
            if transport is not None and not transport.is_closing():
                transport.close()

    def _received(self, data: bytes) -> None:
        self._buffer += data
        while (end := self._buffer.find(b"\0")) >= 0:
            raw = bytes(self._buffer[:end])
            del self._buffer[:end + 1]
            try:
                message = json.loads(raw)
            except ValueError:
                self.close(f"malformed message from the browser: {raw[:200]!r}")
                return
            self._dispatch(message)

    def _dispatch(self, message: dict) -> None:
        if "id" in message:
            method, reply = self._pending.get(message["id"], (None, None))
            if reply is None or reply.done():
                return  # the caller gave up on it (timeout, cancellation)
            if "error" in message:
                error = message["error"]
                reply.set_exception(CDPError(method, error.get("code"), error.get("message", "")))
            else:
                reply.set_result(message.get("result", {}))
            return
        for listener in list(self._listeners):
            try:
                listener(message.get("method", ""), message.get("params", {}),
                         message.get("sessionId"))
            except Exception:  # one broken listener must not deafen the others
                logger.exception("CDP listener failed on %s", message.get("method"))


class _PipeProtocol(asyncio.Protocol):
    """Either pipe's side: data goes to the connection, a closed pipe closes it."""

    def __init__(self, conn: CDPConnection):
        self.conn = conn

    def data_received(self, data: bytes) -> None:
        self.conn._received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.conn.close(f"pipe to the browser lost: {exc}" if exc else "the browser closed its pipe")


class ChromiumProcess:
    """A Chromium child process driven over its debugging pipe.

    Started in a process group of its own (``start_new_session``), so :meth:`close` and a
    broken pipe kill the browser and every process it started; the browser itself is reaped
    (no zombie)."""

    def __init__(self, process: asyncio.subprocess.Process, cdp: CDPConnection):
        self.process = process
        self.cdp = cdp
        self.stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self._stderr_task = asyncio.ensure_future(self._drain_stderr())
        self._reaper = asyncio.ensure_future(self._reap())

    @classmethod
    async def launch(cls, executable: Path, args: list[str], user_data_dir: Path,
                     timeout: float = 30.0) -> ChromiumProcess:
        """Start ``executable`` with ``args``; returns once it answers ``Browser.getVersion``
        (``self.version``). Raises ``OSError`` if it cannot start, :class:`CDPClosed` if it
        exits before answering, ``TimeoutError`` if it does not answer in ``timeout`` s."""
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # The browser wants the pipes as its fd 3 and fd 4, and subprocess maps only 0-2: hand
        # them over as stdin and stdout, and a shell moves them there and execs the browser.
        command = ["/bin/sh", "-c", 'exec "$0" "$@" 3<&0 4>&1 </dev/null >/dev/null',
                   str(executable), "--remote-debugging-pipe", f"--user-data-dir={user_data_dir}",
                   *args]
        try:
            process = await asyncio.create_subprocess_exec(
                *command, stdin=to_browser_r, stdout=from_browser_w,
                stderr=asyncio.subprocess.PIPE, start_new_session=True)
        except BaseException:
            os.close(to_browser_w)
            os.close(from_browser_r)
            raise
        finally:
            os.close(to_browser_r)
            os.close(from_browser_w)
        chromium = cls(process, await CDPConnection.over_fds(from_browser_r, to_browser_w))
        try:
            version = await chromium.cdp.call("Browser.getVersion", timeout=timeout)
        except BaseException as exc:
            await chromium.close()
            if isinstance(exc, CDPClosed):
                raise CDPClosed(f"{executable.name} exited before it answered "
                                f"({chromium.why_dead()})") from None
            raise
        chromium.version = version.get("product", "").rpartition("/")[2]
        return chromium

    async def death(self, timeout: float = 2.0) -> str:
        """After the pipe closed: wait up to ``timeout`` s for the exit and the rest of stderr,
        and say why the browser is gone."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(asyncio.gather(self._reaper,
                                                                 self._stderr_task)), timeout)
        return self.why_dead()

    def why_dead(self) -> str:
        """The exit status and the last stderr line, to say why the browser is gone."""
        code = self.process.returncode
        status = ("still running" if code is None else
                  f"killed by signal {-code}" if code < 0 else f"exit status {code}")
        last = next((line for line in reversed(self.stderr) if line.strip()), "")
        return f"{status}; stderr: {last[:300]}" if last else status

    async def close(self, grace: float = 2.0) -> None:
        """Ask the browser to quit, wait ``grace`` seconds, then kill its process group; waits
        for its exit (idempotent)."""
        if self.process.returncode is None and not self.cdp.closed.done():
            try:
                await self.cdp.call("Browser.close", timeout=grace)
            except (CDPError, CDPClosed, TimeoutError):
                pass  # it is killed below
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._reaper), grace)
        self._kill_group()
        await self._reaper
        self.cdp.close("the browser was closed")
        await self._stderr_task

    def _kill_group(self) -> None:
        try:  # the group outlives its leader while the browser's own children run
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    async def _reap(self) -> None:
        await self.process.wait()
        self._kill_group()  # the browser is gone: so are the processes it started
        self.cdp.close(f"the browser exited ({self.why_dead()})")

    async def _drain_stderr(self) -> None:
        """Read the browser's stderr to its end (a full pipe would stall it), keeping the
        last lines."""
        async for line in self.process.stderr:
            self.stderr.append(line.decode(errors="replace").rstrip())
