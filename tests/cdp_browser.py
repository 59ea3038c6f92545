"""A small synchronous page driver for tests, over the project's own DevTools pipe client
(``crawler/cdp.py``): a real Debian Chromium, a page, and what the end-to-end tests ask of it —
go to a URL and wait for the load, click, fill, read text and attributes, evaluate script,
screenshots, cookies.

Selectors are CSS, ``text=…`` (the innermost element whose text holds it) or a chain of both
joined by ``>>`` (each part searched inside the first match of the one before); ``has_text``
keeps the matches whose text holds it.

Example::

    with Browser(CHROMIUM, ARGS, viewport=(1200, 900)) as page:
        page.goto("http://127.0.0.1:8001/")
        page.click("text=检索 / Search")
        page.count("table tbody tr"), page.url
"""

from __future__ import annotations

import asyncio
import base64
import json
import tempfile
import time
from pathlib import Path

from crawler.cdp import CDPError, ChromiumProcess

# find(selector, hasText) -> the matching elements, in document order
FIND = """
(selector, hasText) => {
  const textOf = e => e.innerText ?? e.textContent ?? '';  // SVG elements have no innerText
  const innermost = (scope, text) => [...scope.querySelectorAll('*')].filter(
    e => textOf(e).includes(text) && ![...e.children].some(c => textOf(c).includes(text)));
  let scopes = [document];
  const parts = selector.split('>>').map(p => p.trim());
  parts.forEach((part, i) => {
    const found = part.startsWith('text=')
      ? innermost(scopes[0], part.slice(5)) : [...scopes[0].querySelectorAll(part)];
    scopes = i === parts.length - 1 ? found : found.slice(0, 1);
    if (!scopes.length) scopes = i === parts.length - 1 ? [] : [document.createElement('i')];
  });
  return hasText ? scopes.filter(e => textOf(e).includes(hasText)) : scopes;
}
"""


class Browser:
    """One browser, one page; every call waits for its answer (``timeout`` seconds)."""

    def __init__(self, executable: Path, args: list[str], viewport: tuple[int, int] = (1280, 900),
                 timeout: float = 20.0):
        self.loop = asyncio.new_event_loop()
        self.timeout = timeout
        self.profile = tempfile.TemporaryDirectory(prefix="gkarchive-test-browser-")
        self.chromium = self._run(ChromiumProcess.launch(executable, args, Path(self.profile.name)))
        target = self._call("Target.createTarget", {"url": "about:blank"}, session=False)
        self.session = self._call("Target.attachToTarget", {"targetId": target["targetId"],
                                                            "flatten": True}, session=False)["sessionId"]
        width, height = viewport
        self._call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                          "deviceScaleFactor": 1, "mobile": False})

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._run(self.chromium.close())
        self.loop.close()
        self.profile.cleanup()

    def _run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def _call(self, method: str, params: dict | None = None, session: bool = True) -> dict:
        return self._run(self.chromium.cdp.call(method, params, self.session if session else None,
                                                self.timeout))

    def evaluate(self, expression: str):
        """The value of a script expression in the page (awaited if it is a promise)."""
        reply = self._call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression[:80]}: {reply['exceptionDetails'].get('exception', {}).get('description') or reply['exceptionDetails']['text']}")
        return reply["result"].get("value")

    def on_elements(self, selector: str, function: str, has_text: str | None = None):
        """``function`` (a script function of the list of matching elements) applied to them."""
        return self.evaluate(f"({function})(({FIND})({json.dumps(selector)}, "
                             f"{json.dumps(has_text)}))")

    def wait_for(self, expression: str, timeout: float | None = None) -> None:
        """Until ``expression`` is true in the page (a navigation meanwhile is waited out)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            try:
                if self.evaluate(expression):
                    return
            except (CDPError, RuntimeError):
                pass  # the document is being replaced
            self._run(asyncio.sleep(0.05))
        raise TimeoutError(f"not true after {timeout or self.timeout} s: {expression}")

    def _loaded_after(self, action) -> None:
        """Run ``action``, then wait for a new document to be loaded."""
        self.evaluate("window.__old_document = true")
        action()
        self.wait_for("!window.__old_document && document.readyState === 'complete'")

    def goto(self, url: str) -> None:
        self._loaded_after(lambda: self._call("Page.navigate", {"url": url}))

    def click(self, selector: str) -> None:
        """Click the first match and wait for the page it leads to."""
        def action():
            if not self.on_elements(selector, "els => els.length ? (els[0].click(), true) : false"):
                raise LookupError(f"nothing matches {selector!r}")
        self._loaded_after(action)

    def fill(self, selector: str, value: str) -> None:
        if not self.on_elements(selector, f"els => els.length ? (els[0].value = "
                                          f"{json.dumps(value)}, true) : false"):
            raise LookupError(f"nothing matches {selector!r}")

    def count(self, selector: str, has_text: str | None = None) -> int:
        return self.on_elements(selector, "els => els.length", has_text)

    def inner_text(self, selector: str) -> str:
        text = self.on_elements(selector, "els => els.length ? els[0].innerText : null")
        if text is None:
            raise LookupError(f"nothing matches {selector!r}")
        return text

    @property
    def url(self) -> str:
        return self.evaluate("location.href")

    @property
    def title(self) -> str:
        return self.evaluate("document.title")

    def cookies(self) -> dict[str, str]:
        return {c["name"]: c["value"] for c in self._call("Network.getAllCookies")["cookies"]}

    def screenshot(self, path: Path, selector: str | None = None) -> None:
        """A PNG of the whole page, or of the first element matching ``selector``."""
        box = self.on_elements(selector or "html", """els => { const r = els[0].getBoundingClientRect();
            return {x: r.left + scrollX, y: r.top + scrollY,
                    width: Math.max(r.width, document.documentElement.scrollWidth * !%s),
                    height: Math.max(r.height, document.documentElement.scrollHeight * !%s)}; }"""
                               % (json.dumps(bool(selector)), json.dumps(bool(selector))))
        shot = self._call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                     "clip": {**box, "scale": 1}})
        Path(path).write_bytes(base64.b64decode(shot["data"]))
