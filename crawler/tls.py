"""TLS per host: on a handshake failure, retry the host offering only P-256, then with legacy
settings; remember what worked for the rest of the run.

Shenzhen's hosts fail OpenSSL's handshake (``BAD_ECPOINT``) unless the client offers only the
P-256 curve; some old hosts speak only TLS 1.0/1.1 or need ciphers below OpenSSL 3's default
security level. The profiles, tried in this order:

- ``default``: Scrapy's own client context;
- ``p256``: the same, with P-256 (secp256r1) as the only key-exchange group;
- ``legacy``: TLS 1.0 and up (Twisted's floor is 1.2), ``DEFAULT:@SECLEVEL=0`` ciphers,
  unsafe legacy renegotiation.

Scrapy 2.19 builds one client context factory per download handler (its own setting for a
custom factory is deprecated), so the https handler here is Scrapy's HTTP/1.1 handler with
a per-host policy in place of that factory: each new TLS connection (direct or inside a
proxy's CONNECT tunnel) gets the context of its host's current profile.

Example::

    DOWNLOAD_HANDLERS = {"https": "crawler.tls.TLSFallbackDownloadHandler"}
    HostTLS.of(ArchiveSession.of(crawler)).profile("www.sz.gov.cn")   # DEFAULT, then P256 …
"""

from __future__ import annotations

import enum
import logging
import threading
import weakref
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from OpenSSL import SSL
from scrapy.core.downloader.contextfactory import (_ScrapyCertificateOptions,
                                                   _ScrapyClientContextFactory)
from scrapy.http import Request, Response
from twisted.internet.ssl import TLSVersion
from twisted.web.iweb import IPolicyForHTTPS
from zope.interface import implementer

from crawler.fetch import META_KEY, FetchMeta
from crawler.pool import PooledDownloadHandler
from crawler.session import ArchiveSession

logger = logging.getLogger(__name__)

LEGACY_CIPHERS = b"DEFAULT:@SECLEVEL=0"
OP_LEGACY_SERVER_CONNECT = 0x4


class TLSProfile(str, enum.Enum):
    DEFAULT = "default"
    P256 = "p256"
    LEGACY = "legacy"


FALLBACK_ORDER = (TLSProfile.DEFAULT, TLSProfile.P256, TLSProfile.LEGACY)
_HOSTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class HostTLS:
    """The run's memory of which profile each https host needs (thread-safe: contexts are
    made in the reactor thread, but tests and the summary read it from others)."""

    def __init__(self):
        self._current: dict[str, TLSProfile] = {}
        self._worked: dict[str, TLSProfile] = {}
        self._failures: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, session) -> "HostTLS":
        """The run's memory: one per archive session (crawlers of one run share it)."""
        hosts = _HOSTS.get(session)
        if hosts is None:
            hosts = _HOSTS[session] = cls()
        return hosts

    def profile(self, host: str) -> TLSProfile:
        with self._lock:
            return self._current.get(host, TLSProfile.DEFAULT)

    def failed(self, host: str, profile: TLSProfile, error: str) -> TLSProfile | None:
        """``profile`` failed the handshake with ``host``: the profile to try next (the current
        one if another request already moved on), or None when every profile has failed or
        the host's handshakes have worked before (then it is an ordinary network error)."""
        with self._lock:
            current = self._current.get(host, TLSProfile.DEFAULT)
            if host in self._worked:
                return None  # this host's handshakes work: an ordinary network error
            if profile is current:
                self._failures.setdefault(host, []).append(f"{profile.value}: {error}")
                position = FALLBACK_ORDER.index(profile)
                if position + 1 == len(FALLBACK_ORDER):
                    return None
                current = self._current[host] = FALLBACK_ORDER[position + 1]
                logger.info("TLS handshake with %s failed (%s); trying the %s profile",
                            host, error, current.value)
            return current

    def worked(self, host: str, profile: TLSProfile) -> None:
        with self._lock:
            if host not in self._worked and profile is self._current.get(host, TLSProfile.DEFAULT):
                self._worked[host] = profile

    def summary(self) -> dict[str, dict]:
        """Hosts that needed a fallback or never got through: ``{host: {"profile", "failed"}}``
        (``profile`` None: no profile worked)."""
        with self._lock:
            return {host: {"profile": self._worked[host].value if host in self._worked else None,
                           "failed": list(failures)}
                    for host, failures in sorted(self._failures.items())}


class _ProfileCertificateOptions(_ScrapyCertificateOptions):
    """Scrapy's certificate options (no verification, legacy renegotiation allowed) with the
    profile's changes applied to every context they make."""

    profile = TLSProfile.DEFAULT

    def _makeContext(self, skipCiphers: bool = False) -> SSL.Context:
        ctx = super()._makeContext(skipCiphers)
        if self.profile is TLSProfile.P256:
            ctx.set_tmp_ecdh(ec.SECP256R1())  # OpenSSL 3: the group list becomes just P-256
        elif self.profile is TLSProfile.LEGACY:
            ctx.set_options(OP_LEGACY_SERVER_CONNECT)
            if not skipCiphers:
                ctx.set_cipher_list(LEGACY_CIPHERS)
        return ctx


_OPTIONS = {profile: type(f"_{profile.name.title()}CertificateOptions",
                         (_ProfileCertificateOptions,), {"profile": profile})
            for profile in FALLBACK_ORDER}


class _ProfileContextFactory(_ScrapyClientContextFactory):
    profile = TLSProfile.DEFAULT

    def _get_cert_options(self):
        return _OPTIONS[self.profile](**self._get_cert_options_kwargs())

    def _get_cert_options_kwargs(self) -> dict:
        kwargs = super()._get_cert_options_kwargs()
        if self.profile is TLSProfile.LEGACY and not {"method", "raiseMinimumTo"} & set(kwargs):
            kwargs["insecurelyLowerMinimumTo"] = TLSVersion.TLSv1_0  # Twisted's floor is 1.2
        return kwargs


@implementer(IPolicyForHTTPS)
class PerHostTLSPolicy:
    """``creatorForNetloc`` with the context of the host's current profile."""

    def __init__(self, crawler):
        self.hosts = HostTLS.of(ArchiveSession.of(crawler))
        self.factories = {}
        for profile in FALLBACK_ORDER:
            factory = _ProfileContextFactory.from_crawler(crawler)
            factory.profile = profile
            self.factories[profile] = factory

    def creatorForNetloc(self, hostname: bytes, port: int):
        profile = self.hosts.profile(hostname.decode("ascii").lower())
        return self.factories[profile].creatorForNetloc(hostname, port)


class TLSFallbackDownloadHandler(PooledDownloadHandler):
    """Scrapy's HTTP/1.1 download handler with per-host TLS profiles (and the pooled
    handler's keep-alive)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self._contextFactory = PerHostTLSPolicy(crawler)


def tls_handshake_error(exception: BaseException) -> str | None:
    """The OpenSSL error inside a failed download (Twisted wraps it in
    ``ResponseNeverReceived``/``ResponseFailed`` and their ``reasons``), or None."""
    pending, seen = [exception], set()
    while pending:
        exc = pending.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        if isinstance(exc, SSL.Error):
            return str(exc) or type(exc).__name__
        pending += [getattr(reason, "value", reason) for reason in getattr(exc, "reasons", [])]
        pending += [exc.__cause__, exc.__context__]
    return None


class TLSFallbackMiddleware:
    """Note the profile each https request goes out with; on a handshake failure move the
    host to the next profile and send the request again (not counted as a retry)."""

    def __init__(self, hosts: HostTLS):
        self.hosts = hosts

    @classmethod
    def from_crawler(cls, crawler):
        return cls(HostTLS.of(ArchiveSession.of(crawler)))

    def process_request(self, request: Request):
        host = urlsplit(request.url).hostname or ""
        if request.url.startswith("https://"):
            request.meta["gk_tls_profile"] = self.hosts.profile(host).value
        return None

    def process_response(self, request: Request, response: Response):
        profile = request.meta.get("gk_tls_profile")
        if profile:
            self.hosts.worked(urlsplit(request.url).hostname or "", TLSProfile(profile))
        return response

    def process_exception(self, request: Request, exception: Exception):
        profile = request.meta.get("gk_tls_profile")
        error = tls_handshake_error(exception) if profile else None
        if error is None:
            return None
        following = self.hosts.failed(urlsplit(request.url).hostname or "", TLSProfile(profile), error)
        if following is None or request.meta.get("gk_tls_tries", 0) >= len(FALLBACK_ORDER):
            return None  # every profile failed: the retry middleware and the errback take over
        retry = request.replace(dont_filter=True)
        retry.meta[META_KEY] = FetchMeta.of(request).retry(0.0)  # the next attempt, at once
        retry.meta["gk_tls_tries"] = request.meta.get("gk_tls_tries", 0) + 1
        return retry
