"""The machine a benchmark ran on: CPU model, cores, RAM and the versions that matter.

Example::

    machine_lines()   # ['CPU: Intel(R) Xeon(R) Processor × 2 cores', 'RAM: 23.5 GiB', ...]
"""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import sys
from pathlib import Path


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def ram_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def machine_lines() -> list[str]:
    import datasette
    import scrapy

    return [f"CPU: {cpu_model()}, {os.cpu_count()} cores",
            f"RAM: {ram_gib():.1f} GiB",
            f"OS: {platform.platform()}",
            f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
            f"Scrapy {scrapy.__version__}, datasette {datasette.__version__}"]


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def p95(values) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
