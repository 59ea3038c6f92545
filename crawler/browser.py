"""Solve JavaScript cookie challenges (加速乐 521, 瑞数 412) in a real headless browser.

A Debian-packaged Chromium (never a downloaded browser) — the headless shell (package
``chromium-headless-shell``) when it is installed, else the full ``chromium`` — driven over
its debugging pipe by the project's own small DevTools Protocol client (``crawler/cdp.py``)
on the asyncio loop of Scrapy's reactor, so nothing blocks the reactor. It runs as one
process (``--single-process``: about 170 MB RSS with the shell, docs/benchmarks.md) in a
process group of its own, killed whole when it is closed (and it quits by itself if the crawl
dies: its pipe closes). It is the fallback for the challenges the embedded engine
(``crawler/jsengine.py``) cannot run.

One browser at a time, launched on the first challenge (again when a solve asks for another
proxy: the proxy is a launch flag, its URL's credentials answer the proxy's 407), closed when no challenge came for ``IDLE_SECONDS`` and
by :meth:`BrowserSolver.close` at the end. Every solve runs in the browser's one page, in its
default context (a new context hangs under ``--single-process``), after every cookie and the
URL's origin's storage were cleared, so it holds no cookies but those handed in; the cache
and service workers are bypassed, images, media, fonts and style sheets are failed unsent,
and the solve stops as soon as a main-frame navigation is answered by something other than a
challenge, the page then blanked: the browser never keeps or archives an ordinary page —
Scrapy fetches it again over plain HTTP with the browser's cookies and User-Agent. Every
main-frame navigation answer (status, raw request and response headers) is handed back for
the archive; a timeout, a browser that dies mid-solve or cannot start is
:class:`ChallengeUnsolved` with the reason and the answers so far.

Example::

    solver = BrowserSolver()
    clearance = await solver.solve("https://www.example.gov.cn/gkmlpt/index",
                                   cookies=[], proxy=None)
    clearance.cookies, clearance.user_agent, solver.launches
    await solver.close()
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from archive.sites import BROWSER_USER_AGENT
from crawler.browser_page import (CHALLENGE_STATUSES, BrowserCookie,  # noqa: F401 (theirs too)
                                   BrowserExchange, ChallengeUnsolved, Navigation, Tab,
                                   browser_cookie)
from crawler.cdp import CDPClosed, CDPError, ChromiumProcess

logger = logging.getLogger(__name__)

# Debian's old headless shell (package chromium-headless-shell: no UI code, far lighter),
# else the full browser (package chromium, whose headless mode is the whole browser).
HEADLESS_SHELL = Path("/usr/lib/chromium/chromium-headless-shell")
CHROMIUM = Path("/usr/bin/chromium")
BROWSERS = (HEADLESS_SHELL, CHROMIUM)
# The flags that work here (DEVELOPERS.md), and memory savers, each measured
# (docs/benchmarks.md): one process for browser, renderer, GPU and network
# (--single-process, which needs no zygote), V8 without its optimising compilers
# (--lite-mode). Timers run at full speed in a page nobody looks at (a challenge script may
# wait before it reloads).
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-extensions",
                 "--no-zygote", "--in-process-gpu", "--single-process",
                 "--js-flags=--lite-mode", "--no-startup-window", "--mute-audio",
                 "--disable-breakpad", "--password-store=basic", "--no-default-browser-check",
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows", "--ignore-certificate-errors",
                 # the proxy, when there is one, carries loopback hosts too, as Scrapy's does
                 "--proxy-bypass-list=<-loopback>")
# The browser costs ~160 MB RSS (the full chromium ~330) while it runs: close it when no
# challenge came for this long.
IDLE_SECONDS = 15.0
CLOSE_SECONDS = 5.0  # to blank the page after a solve; a browser that takes longer is killed
RAW_HEADERS_SECONDS = 2.0  # to wait for an answer's raw headers once the solve is done


@dataclass(frozen=True)
class Clearance:
    """What a solved challenge hands to the crawler."""

    url: str
    cookies: tuple[BrowserCookie, ...]
    user_agent: str  # the clearance may be bound to it: send it with the cookies
    challenge_rounds: int  # challenge answers the browser went through
    seconds: float
    exchanges: tuple[BrowserExchange, ...] = ()  # every navigation answer, in order


def find_browser(candidates: tuple[Path, ...] | None = None) -> Path | None:
    """``$GKARCHIVE_BROWSER`` if set (a browser binary to use instead: the benchmark's full
    chromium), else the first installed of ``candidates`` (the shell before the full browser)."""
    chosen = os.environ.get("GKARCHIVE_BROWSER")
    if chosen:
        return Path(chosen)
    return next((path for path in candidates or BROWSERS if path.exists()), None)


class BrowserSolver:
    """A headless Chromium for challenges only; ``launches`` and ``solves`` count its work,
    ``browser`` names the one that ran (``chromium-headless-shell 156.0…``).

    ``executable``: the browser binary; by default :func:`find_browser`'s, looked up at each
    launch."""

    def __init__(self, executable: Path | None = None, timeout: float = 30.0,
                 user_agent: str = BROWSER_USER_AGENT, idle_seconds: float = IDLE_SECONDS):
        self.executable = executable
        self.timeout = timeout
        self.user_agent = user_agent
        self.idle_seconds = idle_seconds
        self._idle_timer: asyncio.TimerHandle | None = None
        self._uses = 0  # solves begun: an idle timer closes only if none came after it
        self.launches = 0
        self.solves = 0
        self.browser: str | None = None  # "<binary name> <version>" of the last launch
        self._chromium: ChromiumProcess | None = None
        self._tab: Tab | None = None  # the running browser's one page
        self._proxy: str | None = None  # the running browser's --proxy-server
        self._profile: tempfile.TemporaryDirectory | None = None
        self._lock: asyncio.Lock | None = None

    @property
    def running(self) -> bool:
        """Whether a browser is up (between a launch and its close)."""
        return self._chromium is not None and not self._chromium.cdp.closed.done()

    @property
    def pid(self) -> int | None:
        """The running browser's process id (its process group's too), None when none runs."""
        return self._chromium.process.pid if self.running else None

    async def solve(self, url: str, cookies: list[BrowserCookie], proxy: str | None) -> Clearance:
        """Load ``url`` holding only ``cookies`` until it stops answering with a challenge;
        return the browser's cookies for that URL. Raises :class:`ChallengeUnsolved`."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one browser, one solve at a time
            if self._idle_timer is not None:
                self._idle_timer.cancel()
            started = time.monotonic()
            try:
                chromium = await self._ensure_browser(proxy)
            except ChallengeUnsolved:
                raise
            except Exception as exc:  # a browser that cannot start solves nothing: say why
                raise ChallengeUnsolved(f"{type(exc).__name__}: {exc}") from exc
            try:
                exchanges, got = await self._run(chromium, url, cookies)
            finally:
                self._uses += 1
                uses = self._uses
                self._idle_timer = asyncio.get_running_loop().call_later(
                    self.idle_seconds, lambda: asyncio.ensure_future(self._close_when_idle(uses)))
            self.solves += 1
            return Clearance(url, tuple(browser_cookie(c) for c in got), self.user_agent,
                             len(exchanges) - 1, round(time.monotonic() - started, 3), exchanges)

    async def _run(self, chromium: ChromiumProcess, url: str, cookies: list[BrowserCookie]
                   ) -> tuple[tuple[BrowserExchange, ...], list[dict]]:
        """One solve in the browser's page, blanked after it whatever happened."""
        tab = self._tab
        navigation = Navigation(chromium.cdp, tab)
        try:
            async with asyncio.timeout(self.timeout):
                await tab.reset(url, cookies)
                reply = await tab.navigate(url)
                if reply.get("errorText") and not navigation.answers:
                    raise ChallengeUnsolved(f"loading {url} failed: {reply['errorText']}")
                await navigation.passed_or_closed()
                got = await tab.call("Network.getCookies", {"urls": [url]})
                exchanges = await navigation.exchanges(RAW_HEADERS_SECONDS)
            return exchanges, got["cookies"]
        except TimeoutError:
            exchanges = await navigation.exchanges(0)
            raise ChallengeUnsolved(f"still challenged after {self.timeout:.0f} s (answers: "
                                    f"{[e.status for e in exchanges]})", exchanges) from None
        except CDPClosed:
            why = await chromium.death()
            await self._discard()
            raise ChallengeUnsolved(f"the browser died during the solve ({why})",
                                    await navigation.exchanges(0)) from None
        except CDPError as exc:
            raise ChallengeUnsolved(str(exc), await navigation.exchanges(0)) from exc
        finally:
            navigation.stop()
            await self._blank()

    async def _blank(self) -> None:
        """Stop the solve's page (a blank page has no timers left to set cookies); a browser
        that cannot is killed, and the next solve launches another."""
        if not self.running:
            return
        try:
            await self._tab.navigate("about:blank", timeout=CLOSE_SECONDS)
        except (CDPError, CDPClosed, TimeoutError) as exc:
            logger.warning("blanking the browser's page failed (%s): closing the browser",
                           exc or type(exc).__name__)
            await self._discard()

    async def _ensure_browser(self, proxy: str | None) -> ChromiumProcess:
        running = self._chromium
        if running is not None and not running.cdp.closed.done():
            if self._proxy == proxy:
                return running
            logger.info("relaunching the browser for proxy %s (it ran with %s)", proxy, self._proxy)
        await self._discard()
        server, credentials = _proxy_parts(proxy)
        executable = self.executable or find_browser()
        if executable is None:
            raise ChallengeUnsolved(f"no browser: neither {' nor '.join(map(str, BROWSERS))} is "
                                    "installed (apt-get install chromium-headless-shell)")
        if not executable.exists():
            raise ChallengeUnsolved(f"{executable} is absent (apt-get install "
                                    "chromium-headless-shell, or chromium)")
        args = [*CHROMIUM_ARGS, f"--user-agent={self.user_agent}"]
        if server:
            args.append(f"--proxy-server={server}")
        self._profile = tempfile.TemporaryDirectory(prefix="gkarchive-browser-")
        for attempt in (1, 2):  # the full chromium once in a while dies as it starts
            try:
                self._chromium = await ChromiumProcess.launch(
                    executable, args, Path(self._profile.name), timeout=self.timeout)
                break
            except CDPClosed as exc:
                if attempt == 2:
                    raise
                logger.warning("%s: launching it again", exc)
        try:
            self._tab = await asyncio.wait_for(Tab.open(self._chromium.cdp, credentials),
                                               self.timeout)
        except BaseException:
            await self._discard()
            raise
        self._proxy = proxy
        self.launches += 1
        self.browser = f"{executable.name} {self._chromium.version}"
        logger.info("launched %s (%s) for a JavaScript challenge (launch %d)", self.browser,
                    executable, self.launches)
        return self._chromium

    async def _close_when_idle(self, uses: int) -> None:
        async with self._lock:
            if uses != self._uses or self._chromium is None:
                return  # a solve came meanwhile (and set a new timer), or already closed
            logger.info("closing the browser: no challenge for %.0f s", self.idle_seconds)
            await self._discard()

    async def close(self) -> None:
        """Close the browser (a no-op if none runs)."""
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        await self._discard()

    async def _discard(self) -> None:
        """Close the browser, killing what is left of it, and remove its profile."""
        chromium, self._chromium, self._tab = self._chromium, None, None
        if chromium is not None:
            await chromium.close()
        if self._profile is not None:
            self._profile.cleanup()
            self._profile = None


def _proxy_parts(proxy: str | None) -> tuple[str | None, tuple[str, str] | None]:
    """The proxy as ``--proxy-server`` takes it (no user info: Chromium drops it) and its
    credentials, given to the proxy when it asks (``Fetch.authRequired``)."""
    if not proxy:
        return None, None
    parts = urlsplit(proxy)
    if parts.username is None:
        return proxy, None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    host += f":{parts.port}" if parts.port else ""
    return (urlunsplit(parts._replace(netloc=host)),
            (unquote(parts.username), unquote(parts.password or "")))
