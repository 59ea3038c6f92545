"""Progress for long commands: a bar on a terminal, plain log lines otherwise.

Example::

    with progress_reporter("extracting", total=43) as advance:
        for name in names:
            ...
            advance(name)
"""

from __future__ import annotations

import logging
import sys
import time
from contextlib import contextmanager

logger = logging.getLogger("gkarchive")

LOG_EVERY_SECONDS = 10.0


def printable(text: str, width: int = 60) -> str:
    """A name from a portal, safe for a terminal: control characters shown escaped."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(text))[:width]


@contextmanager
def progress_reporter(label: str, total: int | None = None, stream=None):
    """Yield ``advance(description)``; draws a rich bar when ``stream`` is a terminal."""
    stream = stream or sys.stderr
    if stream.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[item]}"), transient=True) as bar:
            task = bar.add_task(label, total=total, item="")
            yield lambda item="": bar.update(task, advance=1, item=printable(item))
        return
    state = {"done": 0, "last": time.monotonic()}

    def advance(item: str = "") -> None:
        state["done"] += 1
        now = time.monotonic()
        if now - state["last"] >= LOG_EVERY_SECONDS or state["done"] == total:
            state["last"] = now
            print(f"{label}: {state['done']}" + (f"/{total}" if total else "") + f" {printable(item)}",
                  file=stream, flush=True)

    yield advance
