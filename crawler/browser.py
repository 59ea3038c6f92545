"""Solve JavaScript cookie challenges (加速乐 521, 瑞数 412) in a real headless browser.

Playwright's async API drives a Debian-packaged Chromium (never a downloaded browser): the
headless shell (package ``chromium-headless-shell``) when it is installed, else the full
``chromium`` (about twice its memory: docs/benchmarks.md), on the asyncio loop of Scrapy's
reactor, so nothing blocks the reactor: the browser is a set of child processes, and the
driver talks to it over pipes. It is the fallback for the challenges the embedded engine
(``crawler/jsengine.py``) cannot run. One browser at a time, launched on
the first challenge, closed when no challenge came for ``IDLE_SECONDS`` (it costs far more
memory than the crawl itself) and by :meth:`BrowserSolver.close` at the end. Each solve
runs in a fresh browser context (no cookies but those handed in), loads only documents and
scripts, and stops as soon as a navigation is answered by something other than a challenge:
the browser never reads, keeps or archives an ordinary page — Scrapy fetches it again over
plain HTTP with the browser's cookies and User-Agent.

Example::

    solver = BrowserSolver()
    clearance = await solver.solve("https://www.example.gov.cn/gkmlpt/index",
                                   cookies=[], proxy=None)
    clearance.cookies, clearance.user_agent, solver.launches
    await solver.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from archive.sites import BROWSER_USER_AGENT

logger = logging.getLogger(__name__)

# Debian's old headless shell (package chromium-headless-shell: no UI code, far lighter),
# else the full browser (package chromium, whose headless mode is the whole browser).
HEADLESS_SHELL = Path("/usr/lib/chromium/chromium-headless-shell")
CHROMIUM = Path("/usr/bin/chromium")
BROWSERS = (HEADLESS_SHELL, CHROMIUM)
# The flags that work here (DEVELOPERS.md); Playwright adds --headless and a fresh
# --user-data-dir of its own, and a --disable-features list (never pass a second one: the last
# wins). Memory savers, each measured (docs/benchmarks.md): no zygotes, GPU code in the
# browser process, one renderer; the network service inside the browser process (one
# process less: an --enable-features list, so it repeats Playwright's own two, since the
# last list wins); V8 without its optimising compilers in the renderer (--lite-mode).
PLAYWRIGHT_ENABLED_FEATURES = ("CDPScreenshotNewSurface", "SkipListAccountsWithoutGaiaCookies")
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-extensions", "--no-zygote", "--in-process-gpu",
                 "--renderer-process-limit=1",
                 "--enable-features=" + ",".join((*PLAYWRIGHT_ENABLED_FEATURES,
                                                  "NetworkServiceInProcess2")),
                 "--js-flags=--lite-mode")
# Playwright's node driver: no JIT and a 1 MB young generation (~20 % of its memory).
DRIVER_NODE_OPTIONS = "--jitless --max-semi-space-size=1"
# The browser and its driver cost ~280 MB PSS (the full chromium ~450) while they run: close
# them when no challenge came for this long.
IDLE_SECONDS = 15.0
CHALLENGE_STATUSES = frozenset({412, 521})
SKIPPED_RESOURCES = frozenset({"image", "media", "font", "stylesheet"})


@dataclass(frozen=True)
class BrowserExchange:
    """One navigation answer the browser got while solving: what the archive records of it."""

    url: str
    status: int
    request_headers: dict[str, list[str]]
    response_headers: dict[str, list[str]]


class ChallengeUnsolved(RuntimeError):
    """The browser did not get past the challenge (timeout, crash, or it never relented);
    ``exchanges``: the answers it got meanwhile."""

    def __init__(self, message: str, exchanges: tuple[BrowserExchange, ...] = ()):
        super().__init__(message)
        self.exchanges = exchanges


@dataclass(frozen=True)
class BrowserCookie:
    name: str
    value: str
    domain: str
    path: str = "/"
    expires: float | None = None  # seconds since the epoch; None: a session cookie
    secure: bool = False
    http_only: bool = False


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
        self._uses = 0  # contexts opened: an idle timer closes only if none came after it
        self.launches = 0
        self.solves = 0
        self.browser: str | None = None  # "<binary name> <version>" of the last launch
        self._playwright = None
        self._browser = None
        self._lock: asyncio.Lock | None = None

    async def solve(self, url: str, cookies: list[BrowserCookie], proxy: str | None) -> Clearance:
        """Load ``url`` in a fresh context holding ``cookies`` until it stops answering with a
        challenge; return the context's cookies for that URL. Raises :class:`ChallengeUnsolved`."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one browser, one solve at a time
            if self._idle_timer is not None:
                self._idle_timer.cancel()
            started = time.monotonic()
            try:
                browser = await self._ensure_browser()
                context = await browser.new_context(
                    proxy={"server": proxy} if proxy else None, ignore_https_errors=True,
                    user_agent=self.user_agent, service_workers="block")
            except ChallengeUnsolved:
                raise
            except Exception as exc:  # a browser that cannot start solves nothing: say why
                raise ChallengeUnsolved(f"{type(exc).__name__}: {exc}") from exc
            try:
                exchanges = await self._run(context, url, cookies)
                got = await context.cookies([url])
            except ChallengeUnsolved:
                raise
            except Exception as exc:  # any Playwright failure is an unsolved challenge
                raise ChallengeUnsolved(f"{type(exc).__name__}: {exc}") from exc
            finally:
                await self._close_quietly(context)
                self._uses += 1
                uses = self._uses
                self._idle_timer = asyncio.get_running_loop().call_later(
                    self.idle_seconds, lambda: asyncio.ensure_future(self._close_when_idle(uses)))
            self.solves += 1
            return Clearance(url, tuple(_cookie(c) for c in got), self.user_agent,
                             len(exchanges) - 1, round(time.monotonic() - started, 3), exchanges)

    async def _run(self, context, url: str, cookies: list[BrowserCookie]
                   ) -> tuple[BrowserExchange, ...]:
        if cookies:
            await context.add_cookies([_playwright_cookie(c) for c in cookies])
        await context.route("**/*", _skip_decoration)
        page = await context.new_page()
        passed = asyncio.get_running_loop().create_future()
        captures: list[asyncio.Future] = []

        def on_response(response) -> None:
            if response.frame != page.main_frame or not response.request.is_navigation_request():
                return
            challenged = response.status in CHALLENGE_STATUSES
            captures.append(asyncio.ensure_future(_capture(response)))
            if not challenged and not passed.done():
                passed.set_result(response.status)

        page.on("response", on_response)
        await page.goto(url, wait_until="commit", timeout=self.timeout * 1000)
        try:
            await asyncio.wait_for(asyncio.shield(passed), self.timeout)
        except asyncio.TimeoutError:
            exchanges = tuple(await asyncio.gather(*captures))
            raise ChallengeUnsolved(f"still challenged after {self.timeout:.0f} s (answers: "
                                    f"{[e.status for e in exchanges]})", exchanges) from None
        return tuple(await asyncio.gather(*captures))

    async def _ensure_browser(self):
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        executable = self.executable or find_browser()
        if executable is None:
            raise ChallengeUnsolved(f"no browser: neither {' nor '.join(map(str, BROWSERS))} is "
                                    "installed (apt-get install chromium-headless-shell)")
        if not executable.exists():
            raise ChallengeUnsolved(f"{executable} is absent (apt-get install "
                                    "chromium-headless-shell, or chromium)")
        from playwright.async_api import async_playwright

        if self._playwright is None:
            with _node_options(DRIVER_NODE_OPTIONS):
                self._playwright = await async_playwright().start()
        self._browser = await self._playwright.chromium.launch(
            executable_path=str(executable), args=list(CHROMIUM_ARGS), headless=True)
        self.launches += 1
        self.browser = f"{executable.name} {self._browser.version}"
        logger.info("launched %s (%s) for a JavaScript challenge (launch %d)", self.browser,
                    executable, self.launches)
        return self._browser

    async def _close_when_idle(self, uses: int) -> None:
        async with self._lock:
            if uses != self._uses or self._browser is None:
                return  # a solve came meanwhile (and set a new timer), or already closed
            logger.info("closing the browser: no challenge for %.0f s", self.idle_seconds)
            await self.close()

    async def close(self) -> None:
        """Close the browser and the Playwright driver (a no-op if never launched)."""
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        if self._browser is not None:
            await self._close_quietly(self._browser)
            self._browser = None
        if self._playwright is not None:
            await self._playwright.stop()
            self._playwright = None

    @staticmethod
    async def _close_quietly(closable) -> None:
        try:
            await closable.close()
        except Exception as exc:  # a crashed browser cannot be closed twice; say so
            logger.warning("closing %s failed: %s", type(closable).__name__, exc)


@contextlib.contextmanager
def _node_options(options: str):
    """``NODE_OPTIONS`` plus ``options`` while the Playwright driver starts (it copies the
    environment then), the environment as it was afterwards."""
    before = os.environ.get("NODE_OPTIONS")
    os.environ["NODE_OPTIONS"] = f"{before} {options}" if before else options
    try:
        yield
    finally:
        if before is None:
            del os.environ["NODE_OPTIONS"]
        else:
            os.environ["NODE_OPTIONS"] = before


async def _capture(response) -> BrowserExchange:
    """The answer as the archive keeps it: status and headers. Not the body: a challenge page
    reloads at once and the browser lets its body go (``Response.body`` then fails), and an
    ordinary page is never kept."""
    return BrowserExchange(response.url, response.status,
                           _headers(await response.request.headers_array()),
                           _headers(await response.headers_array()))


def _headers(pairs: list[dict]) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for pair in pairs:
        headers.setdefault(pair["name"], []).append(pair["value"])
    return headers


async def _skip_decoration(route) -> None:
    """Images, media, fonts and style sheets never matter to a challenge script."""
    if route.request.resource_type in SKIPPED_RESOURCES:
        await route.abort()
    else:
        await route.continue_()


def _cookie(c: dict) -> BrowserCookie:
    expires = c.get("expires")
    return BrowserCookie(c["name"], c["value"], c["domain"].lstrip("."), c.get("path") or "/",
                         expires if expires and expires > 0 else None,
                         bool(c.get("secure")), bool(c.get("httpOnly")))


def _playwright_cookie(c: BrowserCookie) -> dict:
    cookie = {"name": c.name, "value": c.value, "domain": c.domain, "path": c.path,
              "secure": c.secure, "httpOnly": c.http_only}
    if c.expires:
        cookie["expires"] = c.expires
    return cookie
