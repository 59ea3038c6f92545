"""Where a crawl's memory goes: a Scrapy extension for benchmarks and investigations only
(never in ``crawler/settings.py``), sampling every ``GKARCHIVE_MEMPROBE_INTERVAL`` seconds the
process's RSS, the scheduler's pending requests, the downloader's and the scraper's queues,
the spiders' per-site state, Scrapy's live requests and responses (``trackref``), malloc's
and SQLite's own counts, and (``GKARCHIVE_MEMPROBE_TRACE`` frames > 0) tracemalloc's biggest
growths since the first sample, by traceback. One JSON line a sample, to
``GKARCHIVE_MEMPROBE_FILE``. ``GKARCHIVE_MEMPROBE_GC=off`` disables the cyclic garbage
collector for the crawl, so that whatever only it would free stays in the counts (a response
in a reference cycle stays alive); ``GKARCHIVE_MEMPROBE_WHO=1`` names, at the end, the
containers that hold the PDF bodies still in memory (how the cycle was found).

Example::

    python -m archive.cli crawl ... --set 'EXTENSIONS={"crawler.progress.CrawlProgress": 500,
        "bench.memprobe.MemProbe": 600}' --set GKARCHIVE_MEMPROBE_FILE=/tmp/mem.jsonl
"""

from __future__ import annotations

import ctypes
import gc
import json
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

from scrapy import signals
from scrapy.http import Response
from scrapy.utils.trackref import live_refs
from twisted.internet import task


def status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def malloc_mb() -> dict:
    """glibc's view: bytes in use by malloc (Python's arenas included), free inside its heap
    (fragmentation: resident but unused), and mmapped blocks."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        info = libc.mallinfo2()
    except (OSError, AttributeError):
        return {}
    mb = 2 ** 20
    return {"malloc_used_mb": round(info.uordblks / mb, 1),
            "malloc_free_mb": round(info.fordblks / mb, 1),
            "malloc_mmap_mb": round(info.hblkhd / mb, 1)}


def sqlite_mb() -> dict:
    """SQLite's own allocations (page caches, statements) in this process."""
    try:
        lib = ctypes.CDLL("libsqlite3.so.0")
    except OSError:
        return {}
    lib.sqlite3_memory_used.restype = lib.sqlite3_memory_highwater.restype = ctypes.c_int64
    return {"sqlite_mb": round(lib.sqlite3_memory_used() / 2**20, 1),
            "sqlite_peak_mb": round(lib.sqlite3_memory_highwater(0) / 2**20, 1)}


def queue_sizes(crawler) -> dict:
    engine = crawler.engine
    slot = getattr(engine, "_slot", None)
    scheduler = slot.scheduler if slot else None
    downloader = engine.downloader
    scraper = engine.scraper.slot
    return {
        "scheduled": len(scheduler) if scheduler is not None else 0,
        "in_progress": len(slot.inprogress) if slot else 0,
        "downloader_active": len(downloader.active),
        "downloader_queued": sum(len(s.queue) for s in downloader.slots.values()),
        "downloader_slots": len(downloader.slots),
        "scraper_queue": len(scraper.queue) if scraper else 0,
        "scraper_active_bytes": scraper.active_size if scraper else 0,
        "dupefilter": len(getattr(getattr(scheduler, "df", None), "fingerprints", ()) or ()),
    }


def footprint(obj, seen: set[int]) -> int:
    """Bytes of ``obj`` and of what its sets, dicts, lists and tuples hold (each object once:
    ``seen`` holds the ids already counted)."""
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(footprint(k, seen) + footprint(v, seen) for k, v in obj.items())
    elif isinstance(obj, (set, frozenset, list, tuple)):
        size += sum(footprint(item, seen) for item in obj)
    return size


def state_sizes(spider) -> dict:
    """What the spider keeps per site: the counts, and ``post_state_bytes``, the bytes of
    its sets of post ids (``posts``, gkmlpt's ``list_ids``)."""
    states = getattr(spider, "state", {}) or {}
    sizes = Counter(sites=len(states))
    seen: set[int] = set()
    for state in states.values():
        sizes["post_state_bytes"] += footprint(getattr(state, "posts", ()), seen) + footprint(
            getattr(state, "list_ids", {}), seen)
        sizes["posts"] += len(getattr(state, "posts", ()))
        sizes["listed"] += len(getattr(state, "listed", ()))
        sizes["list_ids"] += sum(len(ids) for ids in getattr(state, "list_ids", {}).values())
        discovery = getattr(state, "discovery", None)
        if discovery is not None:
            sizes["deferred"] += len(discovery.deferred)
            sizes["flushed"] += bool(discovery.flushed)
    return dict(sizes)


class MemProbe:
    def __init__(self, crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.interval = settings.getfloat("GKARCHIVE_MEMPROBE_INTERVAL", 10.0)
        self.frames = settings.getint("GKARCHIVE_MEMPROBE_TRACE", 0)
        self.top = settings.getint("GKARCHIVE_MEMPROBE_TOP", 12)
        self.types = settings.getbool("GKARCHIVE_MEMPROBE_TYPES", False)
        self.gc_off = settings.get("GKARCHIVE_MEMPROBE_GC", "on") == "off"
        self.out = Path(settings.get("GKARCHIVE_MEMPROBE_FILE", "memprobe.jsonl"))
        self.started = time.monotonic()
        self.first = None
        self.loop = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def opened(self, spider) -> None:
        self.spider = spider
        if self.gc_off:
            gc.disable()
        if self.frames:
            tracemalloc.start(self.frames)
        self.loop = task.LoopingCall(self.sample)
        self.loop.start(self.interval, now=True)

    def closed(self, spider) -> None:
        self.sample(final=True)
        self.who_holds()
        if self.loop and self.loop.running:
            self.loop.stop()

    def who_holds(self, marker: bytes = b"%PDF-") -> None:
        """Which live containers refer to the bytes objects whose content starts with
        ``marker`` (found by scanning the heap for a bytes header in front of it)."""
        if not self.crawler.settings.getbool("GKARCHIVE_MEMPROBE_WHO"):
            return
        import re
        import struct
        candidates = set()
        with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb") as mem:
            for line in maps:
                parts = line.split()
                if (len(parts) > 5 and parts[5] != "[heap]") or "rw" not in parts[1]:
                    continue
                start, end = (int(x, 16) for x in parts[0].split("-"))
                try:
                    mem.seek(start)
                    buf = mem.read(end - start)
                except OSError:
                    continue
                for m in re.finditer(re.escape(marker), buf):
                    off = m.start()
                    if off >= 32:
                        refcnt, typ = struct.unpack("<qQ", buf[off - 32:off - 16])
                        if typ == id(bytes) and refcnt > 0:
                            candidates.add(start + off - 32)
                del buf
        holders = Counter()
        examples = {}
        for obj in gc.get_objects():
            for ref in gc.get_referents(obj):
                if id(ref) in candidates:
                    key = type(obj).__qualname__
                    holders[key] += 1
                    if key not in examples:
                        owners = [type(o).__qualname__ for o in gc.get_referrers(obj)][:8]
                        examples[key] = owners
        row = {"who": marker.decode(), "candidates": len(candidates), "holders": dict(holders),
               "holder_owners": examples}
        with self.out.open("a") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    def sample(self, final: bool = False) -> None:
        row = {"t": round(time.monotonic() - self.started, 1), "final": final,
               "rss_mb": round(status_mb("VmRSS"), 1), "hwm_mb": round(status_mb("VmHWM"), 1),
               **malloc_mb(), **sqlite_mb(), **queue_sizes(self.crawler), **state_sizes(self.spider)}
        row["live"] = {cls.__name__: len(refs) for cls, refs in live_refs.items() if refs}
        row["live_response_mb"] = round(sum(
            len(r.body) for cls, refs in live_refs.items() if issubclass(cls, Response)
            for r in list(refs)) / 2**20, 1)
        row["gc_collections"] = [g["collections"] for g in gc.get_stats()]
        if final:
            row["gc_freed_at_end"] = gc.collect()
            if self.gc_off:
                gc.enable()
        if self.types:
            counts = Counter(type(o).__name__ for o in gc.get_objects())
            row["types"] = dict(counts.most_common(self.top))
        if self.frames:
            snapshot = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)])
            traced, peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            row["traced_mb"], row["traced_peak_mb"] = round(traced / 2**20, 1), round(peak / 2**20, 1)
            if self.first is None:
                self.first = snapshot
            stats = snapshot.compare_to(self.first, "traceback")[: self.top]
            row["growth"] = [{"kb": round(s.size_diff / 1024), "count": s.count_diff,
                              "trace": [f"{f.filename.rsplit('site-packages/', 1)[-1]}:{f.lineno}"
                                        for f in s.traceback][:self.frames]} for s in stats]
        with self.out.open("a") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
