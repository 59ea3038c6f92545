"""The loopback-only network guard of the test suite, for this process and its children.

``tests/conftest.py`` puts this folder on ``PYTHONPATH`` and sets ``GKARCHIVE_NETGUARD_LOG``,
so every Python process a test starts (``gkarchive crawl``, ``scrapy``, extraction workers)
runs this file at start-up. A connect to, or a name lookup of, anything but loopback
(127.0.0.0/8, ::1, ``localhost``) or a Unix socket is refused (with
``GKARCHIVE_NETGUARD_OFFLINE=1``, loopback too) with an ``OSError`` and written
to the log; the conftest fails the test that caused it, even if the code under test caught
the error (a crawler retries network errors; the guard must not be swallowed with them).

Example: ``GKARCHIVE_NETGUARD_LOG=/tmp/n.log PYTHONPATH=tests/netguard python -c
"import urllib.request; urllib.request.urlopen('http://example.org')"`` fails and logs it.
"""

from __future__ import annotations

import ipaddress
import os
import socket

LOG_ENV = "GKARCHIVE_NETGUARD_LOG"
OFFLINE_ENV = "GKARCHIVE_NETGUARD_OFFLINE"  # "1": refuse loopback too (an offline process)
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class NetworkGuardError(OSError):
    """A test tried to reach beyond loopback."""


def _is_loopback(host) -> bool:
    if os.environ.get(OFFLINE_ENV) == "1":
        return False
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").split("%", 1)[0].lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse(what: str) -> None:
    path = os.environ.get(LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"pid {os.getpid()}: {what}\n")
    raise NetworkGuardError(f"network guard: the tests may reach loopback only, not {what}")


def _checked_address(sock, address) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        _refuse(f"connect to {address!r}")


def install() -> None:
    """Patch socket connects and name lookups in this process (idempotent)."""
    if getattr(socket, "_gkarchive_guarded", False):
        return
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
    getaddrinfo, gethostbyname = socket.getaddrinfo, socket.gethostbyname
    gethostbyname_ex = socket.gethostbyname_ex

    def guarded_connect(self, address):
        _checked_address(self, address)
        return connect(self, address)

    def guarded_connect_ex(self, address):
        _checked_address(self, address)
        return connect_ex(self, address)

    def lookup(original):
        def guarded(host, *args, **kwargs):
            if host is not None and not _is_loopback(host):
                _refuse(f"name lookup of {host!r}")
            return original(host, *args, **kwargs)
        return guarded

    socket.socket.connect, socket.socket.connect_ex = guarded_connect, guarded_connect_ex
    socket.getaddrinfo = lookup(getaddrinfo)
    socket.gethostbyname = lookup(gethostbyname)
    socket.gethostbyname_ex = lookup(gethostbyname_ex)
    socket._gkarchive_guarded = True


if os.environ.get(LOG_ENV):
    install()
