"""The suite's network guard (``tests/conftest.py``) refuses anything but loopback, in the
pytest process and in the Python processes tests start, and lets loopback through."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.conftest import GUARD
from tests.crawl_support import REPO

REACH_OUT = ("import socket\n"
             "try:\n"
             "    socket.create_connection(('10.255.255.1', 80), timeout=1)\n"
             "except OSError as exc:\n"
             "    print(type(exc).__name__)\n")


def test_a_connect_beyond_loopback_is_refused_and_logged(tmp_path, monkeypatch):
    log = tmp_path / "attempts.log"
    monkeypatch.setenv(GUARD.LOG_ENV, str(log))
    for address in (("10.255.255.1", 80), ("8.8.8.8", 53)):
        with socket.socket() as sock, pytest.raises(GUARD.NetworkGuardError):
            sock.connect(address)
    with socket.socket(socket.AF_INET6) as sock, pytest.raises(GUARD.NetworkGuardError):
        sock.connect_ex(("2001:db8::1", 80))
    with pytest.raises(GUARD.NetworkGuardError):
        socket.getaddrinfo("www.dg.gov.cn", 80)
    assert len(log.read_text().splitlines()) == 4


def test_loopback_is_allowed(tmp_path, monkeypatch):
    monkeypatch.setenv(GUARD.LOG_ENV, str(tmp_path / "attempts.log"))
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
    assert socket.getaddrinfo("localhost", 80)
    assert not (tmp_path / "attempts.log").exists()


def test_a_subprocess_is_guarded_too(tmp_path):
    log = tmp_path / "attempts.log"
    env = dict(os.environ, **{GUARD.LOG_ENV: str(log)})
    result = subprocess.run([sys.executable, "-c", REACH_OUT], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "NetworkGuardError", result.stderr
    assert "10.255.255.1" in log.read_text()
