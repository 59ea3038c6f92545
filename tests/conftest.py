"""Suite-wide: no test may reach a non-loopback address (``tests/netguard/sitecustomize.py``).

The guard is installed in the pytest process and, through ``PYTHONPATH``, in every Python
process a test starts; a refused attempt anywhere fails the test that made it.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

import pytest

GUARD_DIR = Path(__file__).resolve().parent / "netguard"


def _load_guard():
    spec = importlib.util.spec_from_file_location("gkarchive_netguard", GUARD_DIR / "sitecustomize.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GUARD = _load_guard()


def pytest_configure(config):
    path = Path(os.environ.get(GUARD.LOG_ENV) or _log_path())
    path.touch()
    os.environ[GUARD.LOG_ENV] = str(path)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(GUARD_DIR), os.environ.get("PYTHONPATH", "")) if p)
    GUARD.install()


def _log_path() -> Path:
    return Path(tempfile.mkdtemp(prefix="gkarchive-netguard-")) / "attempts.log"


@pytest.fixture(autouse=True)
def _loopback_only():
    """Fail the test if it (or a process it started) tried to reach beyond loopback."""
    log = Path(os.environ[GUARD.LOG_ENV])
    before = log.stat().st_size
    yield
    with log.open(encoding="utf-8") as attempts:
        attempts.seek(before)
        tried = attempts.read().strip()
    if tried:
        pytest.fail(f"tried to reach beyond loopback:\n{tried}", pytrace=False)
