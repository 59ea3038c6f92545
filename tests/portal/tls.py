"""Self-signed TLS certificates per host, made at startup with ``cryptography``.

The portal answers ``CONNECT host:443`` and then speaks TLS as ``host`` with one of these;
clients must not verify (Scrapy does not by default).

``tls_p256`` imitates the Shenzhen hosts that fail OpenSSL's handshake (``BAD_ECPOINT``) unless
the client offers only P-256. Python's ``ssl`` cannot make a server fail that way by itself: a
server limited to P-256 (``set_ecdh_curve``) still completes the handshake with a client that
offers X25519 first (TLS 1.3 HelloRetryRequest). So the portal peeks at the ClientHello
(``MSG_PEEK``) and answers a fatal ``handshake_failure`` alert when its ``supported_groups``
name anything but P-256; the client sees a TLS handshake error (``tls alert handshake
failure``, not ``BAD_ECPOINT``). ``tls_legacy`` is served faithfully: TLS 1.0/1.1 only, with
``SECLEVEL=0`` ciphers, which OpenSSL 3 clients refuse by default.

Example::

    certs = CertificateStore()
    ctx = certs.context("www.huadu.gov.cn")   # ssl.SSLContext, server side, cached
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import tempfile
import threading
import time
import warnings
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .faults import TLS_HOST


def self_signed(host: str) -> tuple[bytes, bytes]:
    """(certificate PEM, private key PEM) valid for ``host`` for a year."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


class CertificateStore:
    """Server-side SSL contexts, one per host, created on first use and cached."""

    def __init__(self, hosts: tuple[str, ...] = ()):
        self._dir = tempfile.TemporaryDirectory(prefix="gkmlpt-portal-tls-")
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()
        for host in hosts:
            self.context(host)

    def context(self, host: str, variant: str = "") -> ssl.SSLContext:
        """The cached server context for ``host``; ``variant`` "p256" offers only the P-256
        group, "legacy" only TLS 1.0/1.1 with ``SECLEVEL=0`` ciphers."""
        with self._lock:
            if (host, variant) not in self._contexts:
                cert_file = Path(self._dir.name) / f"{host}.pem"
                if not cert_file.exists():
                    cert_file.write_bytes(b"".join(self_signed(host)))
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(cert_file)
                if variant == "p256":
                    ctx.set_ecdh_curve("prime256v1")
                elif variant == "legacy":
                    with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated: that is the point
                        warnings.simplefilter("ignore", DeprecationWarning)
                        ctx.minimum_version = ssl.TLSVersion.TLSv1
                        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
                    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                self._contexts[host, variant] = ctx
            return self._contexts[host, variant]

    def tunnel_context(self, host: str, sock: socket.socket,
                       switches: frozenset[str]) -> ssl.SSLContext | None:
        """The context to speak TLS as ``host`` on ``sock`` under the switches, or None when
        the handshake is refused (``tls_p256`` and a ClientHello offering any group but
        P-256: a fatal ``handshake_failure`` alert has been sent)."""
        if host == TLS_HOST and "tls_p256" in switches:
            try:
                groups = client_hello_groups(peek_client_hello(sock))
            except (NotAClientHello, OSError):
                return None
            if groups != (SECP256R1,):
                sock.sendall(HANDSHAKE_FAILURE_ALERT)
                return None
            return self.context(host, "p256")
        if host == TLS_HOST and "tls_legacy" in switches:
            return self.context(host, "legacy")
        return self.context(host)

    def close(self) -> None:
        """Remove the temporary key files."""
        self._dir.cleanup()


SECP256R1 = 0x0017
SUPPORTED_GROUPS = 0x000A
HANDSHAKE_FAILURE_ALERT = b"\x15\x03\x01\x00\x02\x02\x28"  # fatal, handshake_failure (40)


class NotAClientHello(ValueError):
    """The bytes are not (the start of) a TLS ClientHello."""


def client_hello_groups(data: bytes) -> tuple[int, ...]:
    """The ``supported_groups`` a TLS ClientHello record offers (empty if it names none).

    >>> client_hello_groups(hello_bytes)      # OpenSSL 3 by default
    (29, 23, 30, 25, 24, 256, 257, 258, 259, 260)
    """
    if len(data) < 9 or data[0] != 0x16 or data[5] != 0x01:
        raise NotAClientHello("not a TLS handshake record holding a ClientHello")
    end = 5 + int.from_bytes(data[3:5], "big")
    if len(data) < end:
        raise NotAClientHello("ClientHello record is incomplete")
    pos = 9 + 2 + 32  # record + handshake headers, client_version, random
    pos += 1 + data[pos]  # session id
    pos += 2 + int.from_bytes(data[pos:pos + 2], "big")  # cipher suites
    pos += 1 + data[pos]  # compression methods
    ext_end = pos + 2 + int.from_bytes(data[pos:pos + 2], "big")
    pos += 2
    while pos + 4 <= min(ext_end, end):
        kind, size = int.from_bytes(data[pos:pos + 2], "big"), int.from_bytes(data[pos + 2:pos + 4], "big")
        body = data[pos + 4:pos + 4 + size]
        if kind == SUPPORTED_GROUPS:
            return tuple(int.from_bytes(body[i:i + 2], "big") for i in range(2, 2 + int.from_bytes(body[:2], "big"), 2))
        pos += 4 + size
    return ()


def peek_client_hello(sock, timeout: float = 5.0) -> bytes:
    """The client's first TLS record, read with MSG_PEEK (the handshake still sees it)."""
    sock.settimeout(timeout)
    try:
        data = b""
        for _ in range(50):
            data = sock.recv(16384, socket.MSG_PEEK)
            if not data or (len(data) >= 5 and len(data) >= 5 + int.from_bytes(data[3:5], "big")):
                return data
            time.sleep(0.01)
        return data
    finally:
        sock.settimeout(None)
