"""The DevTools pipe client alone (crawler/cdp.py). The browser's side is a fake peer over
real ``os.pipe`` pipes — the test writes and reads the raw NUL-framed bytes itself — so that
framing (partial and several messages per read), replies against events, error replies and a
peer that goes away can each be driven exactly; then :class:`ChromiumProcess` with a fake
browser (a Python script reading fd 3 and writing fd 4, with a child of its own) for the pipe
hand-over and the killing of the whole process group. The real browser: test_browser_solver.py."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from crawler.cdp import CDPClosed, CDPConnection, CDPError, ChromiumProcess


class Peer:
    """The browser's ends of the two pipes."""

    def __init__(self):
        self.ours_r, self.peer_w = os.pipe()  # the browser writes (its fd 4)
        self.peer_r, self.ours_w = os.pipe()  # the browser reads (its fd 3)
        self.pending = b""

    async def connect(self) -> CDPConnection:
        return await CDPConnection.over_fds(self.ours_r, self.ours_w)

    def sent(self) -> list[dict]:
        """Every whole message the client has written so far."""
        os.set_blocking(self.peer_r, False)
        try:
            while chunk := os.read(self.peer_r, 65536):
                self.pending += chunk
        except BlockingIOError:
            pass
        *whole, self.pending = self.pending.split(b"\0")
        return [json.loads(m) for m in whole]

    def write(self, *chunks: bytes) -> None:
        for chunk in chunks:
            os.write(self.peer_w, chunk)

    async def feed(self, data: bytes, size: int = 16384) -> None:
        """``data`` in ``size`` pieces, letting the loop read between them (a pipe holds 64 kB)."""
        for start in range(0, len(data), size):
            self.write(data[start:start + size])
            await asyncio.sleep(0.001)

    def close(self) -> None:
        for fd in (self.peer_w, self.peer_r):
            try:
                os.close(fd)
            except OSError:
                pass


def frame(message: dict) -> bytes:
    return json.dumps(message).encode() + b"\0"


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0.01)


def run(coroutine_function):
    peer = Peer()
    try:
        return asyncio.run(coroutine_function(peer))
    finally:
        peer.close()


def test_calls_replies_in_pieces_and_together_with_events():
    async def go(peer):
        conn = await peer.connect()
        events = []
        conn.listen(lambda method, params, session: events.append((method, params, session)))
        first = asyncio.ensure_future(conn.call("Browser.getVersion"))
        second = asyncio.ensure_future(conn.call("Page.navigate", {"url": "about:blank"}, "S1"))
        await settle()
        sent = peer.sent()
        assert sent == [{"id": 1, "method": "Browser.getVersion", "params": {}},
                        {"id": 2, "method": "Page.navigate", "params": {"url": "about:blank"},
                         "sessionId": "S1"}]
        reply_two = frame({"id": 2, "result": {"frameId": "F"}, "sessionId": "S1"})
        event = frame({"method": "Network.responseReceived", "params": {"type": "Document"},
                       "sessionId": "S1"})
        reply_one = frame({"id": 1, "result": {"product": "HeadlessChrome/156.0"}})
        # out of order; one read holds a reply, an event and half the next reply
        blob = reply_two + event + reply_one
        cut = len(reply_two) + len(event) + 7
        peer.write(blob[:3], blob[3:cut])
        await settle()
        assert second.done() and not first.done()  # half a message is not a message
        peer.write(blob[cut:])
        assert await first == {"product": "HeadlessChrome/156.0"}
        assert await second == {"frameId": "F"}
        assert events == [("Network.responseReceived", {"type": "Document"}, "S1")]  # replies never
        conn.close()

    run(go)


def test_a_big_message_across_many_reads_and_a_listener_that_fails():
    async def go(peer):
        conn = await peer.connect()
        heard = []

        def broken(method, params, session):
            raise ValueError("listener bug")

        conn.listen(broken)
        stop = conn.listen(lambda method, params, session: heard.append(len(params["data"])))
        data = "x" * 1_000_000  # a screenshot's size: far more than one read
        message = frame({"method": "Page.screencastFrame", "params": {"data": data}})
        await peer.feed(message)
        await settle()
        assert heard == [1_000_000]
        stop()
        await peer.feed(message)
        await settle()
        assert heard == [1_000_000]  # stopped listening
        conn.close()

    run(go)


def test_an_error_reply_is_an_exception_and_a_late_reply_is_dropped():
    async def go(peer):
        conn = await peer.connect()
        failing = asyncio.ensure_future(conn.call("Storage.clearDataForOrigin", {"origin": "x"}))
        await settle()
        [sent] = peer.sent()
        peer.write(frame({"id": sent["id"], "error": {"code": -32603, "message": "Internal error"}}))
        with pytest.raises(CDPError, match=r"Storage.clearDataForOrigin: Internal error") as error:
            await failing
        assert error.value.code == -32603
        with pytest.raises(TimeoutError):
            await conn.call("Target.closeTarget", timeout=0.05)
        [late] = peer.sent()
        peer.write(frame({"id": late["id"], "result": {}}), frame({"id": 999, "result": {}}))
        await settle()  # replies nobody waits for: ignored, the connection lives on
        assert not conn.closed.done()
        answered = asyncio.ensure_future(conn.call("Browser.getVersion"))
        await settle()
        [sent] = peer.sent()
        peer.write(frame({"id": sent["id"], "result": {"ok": True}}))
        assert await answered == {"ok": True}
        conn.close()

    run(go)


def test_the_peer_closing_fails_pending_calls_and_every_later_one():
    async def go(peer):
        conn = await peer.connect()
        pending = [asyncio.ensure_future(conn.call("Page.navigate")) for _ in range(2)]
        await settle()
        os.close(peer.peer_w)  # the browser died: its end of our read pipe is gone
        for call in pending:
            with pytest.raises(CDPClosed, match="Page.navigate: the browser closed its pipe"):
                await call
        assert conn.closed.result() == "the browser closed its pipe"
        with pytest.raises(CDPClosed):
            await conn.call("Browser.getVersion")
        conn.close()

    run(go)


def test_a_malformed_message_closes_the_connection_with_the_reason():
    async def go(peer):
        conn = await peer.connect()
        call = asyncio.ensure_future(conn.call("Browser.getVersion"))
        await settle()
        peer.write(b"{not json\0")
        with pytest.raises(CDPClosed, match="malformed message"):
            await call
        assert "not json" in conn.closed.result()

    run(go)


FAKE_BROWSER = textwrap.dedent("""\
    import json, os, subprocess, sys
    print("fake browser starting", file=sys.stderr, flush=True)
    if "--fail" in sys.argv:
        print("fatal: cannot open display", file=sys.stderr, flush=True)
        sys.exit(3)
    child = subprocess.Popen(["sleep", "300"])  # a renderer of its own
    buffer = b""
    while chunk := os.read(3, 65536):
        buffer += chunk
        while b"\\0" in buffer:
            raw, buffer = buffer.split(b"\\0", 1)
            message = json.loads(raw)
            if message["method"] == "Browser.getVersion":
                reply = {"product": "FakeChrome/1.2.3", "argv": sys.argv[1:]}
            elif message["method"] == "Fake.child":
                reply = {"pid": child.pid}
            elif message["method"] == "Crash":
                os._exit(9)
            else:
                continue  # Browser.close: ignored, so it must be killed
            os.write(4, json.dumps({"id": message["id"], "result": reply}).encode() + b"\\0")
""")


def fake_browser(tmp_path: Path) -> Path:
    script = tmp_path / "fake-browser"
    script.write_text(f"#!{sys.executable}\n{FAKE_BROWSER}")
    script.chmod(0o755)
    return script


def alive(pid: int) -> bool:
    """Running, not a zombie (a zombie still has its /proc entry)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_browser_gets_its_pipes_as_fd_3_and_4_and_is_killed_with_its_children(tmp_path):
    async def go():
        chromium = await ChromiumProcess.launch(fake_browser(tmp_path), ["--flag"], tmp_path)
        assert chromium.version == "1.2.3"
        child = (await chromium.cdp.call("Fake.child", timeout=5))["pid"]
        pid = chromium.process.pid
        assert alive(pid) and alive(child)
        started = time.monotonic()
        await chromium.close(grace=0.5)  # it ignores Browser.close: killed after the grace
        assert time.monotonic() - started < 5
        return pid, child, chromium

    pid, child, chromium = asyncio.run(go())
    assert chromium.process.returncode == -9
    assert not alive(pid)  # reaped: no zombie
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)  # reparented to init, which reaps it
    assert not alive(child)  # the whole process group went


def test_a_browser_that_dies_or_cannot_start_says_why(tmp_path):
    async def go():
        chromium = await ChromiumProcess.launch(fake_browser(tmp_path), [], tmp_path)
        with pytest.raises(CDPClosed):
            await chromium.cdp.call("Crash", timeout=5)
        why = await chromium.death()
        await chromium.close()
        assert not alive(chromium.process.pid)
        with pytest.raises(CDPClosed, match=r"exited before it answered \(exit status 3; "
                                            r"stderr: fatal: cannot open display\)"):
            await ChromiumProcess.launch(fake_browser(tmp_path), ["--fail"], tmp_path)
        return why

    assert asyncio.run(go()).startswith("exit status 9; stderr: fake browser starting")
