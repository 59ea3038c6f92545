"""HTTP side of the simulated portal: proxy-style and origin-form requests, CONNECT + TLS,
validators, compression, delays and transport faults, all on the standard library.

Example::

    server = PortalServer(("127.0.0.1", 0), app)     # app: a PortalApp
    threading.Thread(target=server.serve_forever, daemon=True).start()
"""

from __future__ import annotations

import gzip
import io
import hashlib
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from .faults import FaultState, slow_delay
from .injection import FaultTargets, inject
from .routes import Request, Response, Router, Transport
from .tls import CertificateStore

TEXT_TYPES = ("text/", "application/json")


@dataclass(frozen=True)
class RequestRecord:
    """One request as the portal saw and answered it (status 0: reset or hung up; method
    "TLS", status 0: a TLS handshake in a CONNECT tunnel failed or was refused)."""

    method: str
    url: str
    status: int
    body_bytes: int
    user_agent: str
    time: float  # when the answer was sent (or the connection dropped)
    cookie: str = ""  # the request's Cookie header
    started: float = 0.0  # when the request line arrived (0: not timed, e.g. CONNECT)
    seconds: float = 0.0  # spent sending the answer (headers and body)


@dataclass
class PortalApp:
    """Everything a request handler needs, shared by all connections."""

    router: Router
    state: FaultState
    targets: FaultTargets
    certs: CertificateStore
    hang_seconds: float = 35.0
    stopping: threading.Event = field(default_factory=threading.Event)
    log: list[RequestRecord] = field(default_factory=list)
    log_lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, rec: RequestRecord) -> None:
        with self.log_lock:
            self.log.append(rec)


class PortalServer(ThreadingHTTPServer):
    """A threading server that remembers its open connections so ``stop`` can drop them."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: PortalApp):
        self.app = app
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, PortalHandler)

    def drop_connections(self) -> None:
        """Shut down every open client connection (used when the portal stops)."""
        with self.connections_lock:
            for sock in list(self.open_connections):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def etag(resp: Response) -> str:
    """A strong validator over body and modification time."""
    stamp = resp.modified.isoformat() if resp.modified else ""
    return '"' + hashlib.sha1(resp.body + stamp.encode()).hexdigest()[:20] + '"'


def not_modified(headers: dict[str, str], resp: Response, tag: str) -> bool:
    """Whether the request's If-None-Match / If-Modified-Since match ``resp``."""
    if "if-none-match" in headers:
        tags = {t.strip().removeprefix("W/") for t in headers["if-none-match"].split(",")}
        return tag in tags or "*" in tags
    since = headers.get("if-modified-since")
    if since and resp.modified:
        try:
            return resp.modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


class PortalHandler(BaseHTTPRequestHandler):
    """One client connection: plain HTTP, absolute-form proxy requests, or a CONNECT tunnel."""

    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    server: PortalServer

    def setup(self) -> None:
        super().setup()
        self.tunnel_host: str | None = None
        with self.server.connections_lock:
            self.server.open_connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        with self.server.connections_lock:
            self.server.open_connections.discard(self.connection)
        if self.tunnel_host:
            self.connection.close()

    def version_string(self) -> str:
        return "nginx"

    def log_message(self, format: str, *args) -> None:  # the request log replaces stderr
        return

    def do_CONNECT(self) -> None:
        host = self.path.rsplit(":", 1)[0].lower()
        app = self.server.app
        if not any(s.host == host for s in app.router.sites.values()):
            self._record(self.path, 502, 0)
            self.send_error(502, "Bad Gateway: unknown host")
            return
        self.send_response(200, "Connection Established")
        self.end_headers()
        self._record(self.path, 200, 0)
        try:
            context = app.certs.tunnel_context(host, self.connection, app.state.switches)
            if context is None:
                self.close_connection = True
                self._record(f"{host}:443", 0, 0, method="TLS")
                return
            tls = context.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            self.close_connection = True
            self._record(f"{host}:443", 0, 0, method="TLS")
            return
        with self.server.connections_lock:
            self.server.open_connections.discard(self.connection)
            self.server.open_connections.add(tls)
        self.connection = self.request = tls
        self.rfile = tls.makefile("rb", self.rbufsize)
        self.wfile = tls.makefile("wb", 0)
        self.tunnel_host = host
        self.close_connection = False

    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_POST = do_GET

    def _parse(self) -> Request:
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path.startswith(("http://", "https://")):  # absolute form: a proxy request
            parts = urlsplit(self.path)
            scheme, host, path, query = parts.scheme, parts.netloc, parts.path, parts.query
        else:
            parts = urlsplit(self.path)
            scheme = "https" if self.tunnel_host else "http"
            host = headers.get("host") or self.tunnel_host or ""
            path, query = parts.path, parts.query
        host = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host
        return Request(self.command, scheme, host, path or "/",
                       dict(parse_qsl(query, keep_blank_values=True)), headers)

    def _serve(self) -> None:
        started = time.time()
        app = self.server.app
        req = self._parse()
        resp = app.router.route(req)
        resp = inject(resp, req.url, app.state.attempt(req.url), app.state, app.targets)
        resp = self._finalise(req, resp)
        if "slow" in app.state:
            app.stopping.wait(slow_delay(req.url))
        sending = time.monotonic()
        sent = self._send(req, resp)
        self._record(req.url, resp.status if sent >= 0 else 0, max(sent, 0), started,
                     seconds=time.monotonic() - sending)

    def _finalise(self, req: Request, resp: Response) -> Response:
        """Validators (304) and gzip, as the active switches say."""
        state = self.server.app.state
        if resp.status == 200 and resp.modified and "validators" in state:
            tag = etag(resp)
            stamp = format_datetime(resp.modified.astimezone(timezone.utc), usegmt=True)
            resp.headers += [("ETag", tag), ("Last-Modified", stamp)]
            if not_modified(req.headers, resp, tag):
                return Response(304, headers=resp.headers, kind=resp.kind)
        asked = "gzip" in req.headers.get("accept-encoding", "")
        is_text = resp.content_type.startswith(TEXT_TYPES)
        if resp.status == 200 and resp.body and ("gzip_unasked" in state or (asked and is_text)):
            resp.body = resp.gzipped or gzip.compress(resp.body, mtime=0)
            resp.headers.append(("Content-Encoding", "gzip"))
        return resp

    def _send(self, req: Request, resp: Response) -> int:
        """Write ``resp`` with its transport fault; returns body bytes sent (-1: none)."""
        if resp.transport is Transport.RESET:
            self._reset()
            return -1
        if resp.transport is Transport.HANG:
            self.server.app.stopping.wait(self.server.app.hang_seconds)
            self.close_connection = True
            return -1
        self.send_response(resp.status)
        if resp.status != 304:
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers:
            self.send_header(name, value)
        self.end_headers()
        body = b"" if req.method == "HEAD" or resp.status == 304 else resp.body
        return self._write_body(body, resp.transport)

    def _write_body(self, body: bytes, transport: Transport) -> int:
        if transport in (Transport.TRUNCATE, Transport.RESET_MID_BODY):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            if transport is Transport.RESET_MID_BODY:
                time.sleep(0.05)  # let the partial body reach the client first
                self._reset()
            self.close_connection = True
            return len(body) // 2
        if transport is Transport.DRIP:
            size = max(512, len(body) // 50)
            pause = min(0.1, 4.0 / max(1, len(body) // size))
            for start in range(0, len(body), size):
                self.wfile.write(body[start:start + size])
                if self.server.app.stopping.wait(pause):
                    break
            return len(body)
        self.wfile.write(body)
        return len(body)

    def _reset(self) -> None:
        """Close with SO_LINGER 0 so the peer sees a TCP reset, not a clean end."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.rfile.close()
            self.wfile.close()
            self.connection.close()
        except OSError:
            pass
        self.wfile = io.BytesIO()  # the handler's final flush must find an open sink

    def _record(self, url: str, status: int, sent: int, started: float = 0.0,
                method: str | None = None, seconds: float = 0.0) -> None:
        """Log one answer; ``method`` "TLS" with status 0 is a failed or refused handshake;
        ``seconds``: time spent sending the answer."""
        self.server.app.record(RequestRecord(method or self.command, url, status, sent,
                                             self.headers.get("User-Agent", ""), time.time(),
                                             self.headers.get("Cookie", ""), started, seconds))


class ServedPortal:
    """Start, stop and address of a portal serving ``self.app`` on ``self._address``; the
    gkmlpt ``Portal`` and the UCAP portal share it."""

    app: PortalApp
    _address: tuple[str, int]
    _server: "PortalServer | None" = None

    def start(self):
        """Bind and serve in a background thread; returns self."""
        self._server = PortalServer(self._address, self.app)
        threading.Thread(target=self._server.serve_forever, name=type(self).__name__,
                         daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving, release hung responses and drop open connections."""
        self.app.stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.drop_connections()
            self._server.server_close()
            self._server = None
        self.app.certs.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server, "portal not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the proxy URL (and plain server) to point clients at."""
        return f"http://{self._address[0]}:{self.port}"

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of the request log, oldest first."""
        with self.app.log_lock:
            return list(self.app.log)
