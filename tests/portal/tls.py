"""Self-signed TLS certificates per host, made at startup with ``cryptography``.

The portal answers ``CONNECT host:443`` and then speaks TLS as ``host`` with one of these;
clients must not verify (Scrapy does not by default).

Example::

    certs = CertificateStore()
    ctx = certs.context("www.huadu.gov.cn")   # ssl.SSLContext, server side, cached
"""

from __future__ import annotations

import datetime as dt
import ssl
import tempfile
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


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

    def context(self, host: str) -> ssl.SSLContext:
        """The cached server context for ``host``."""
        with self._lock:
            if host not in self._contexts:
                cert_pem, key_pem = self_signed(host)
                cert_file = Path(self._dir.name) / f"{host}.pem"
                cert_file.write_bytes(cert_pem + key_pem)
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(cert_file)
                self._contexts[host] = ctx
            return self._contexts[host]

    def close(self) -> None:
        """Remove the temporary key files."""
        self._dir.cleanup()
