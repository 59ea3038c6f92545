"""Distributed runs on one Redis: crawl workers sharing a scrapy-redis frontier, extraction
workers on an RQ queue, and the one writer that owns the SQLite archive.
See ``docs/distributed.md``."""
