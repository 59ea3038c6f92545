"""Crawl workers of a distributed run: the shared frontier and leases (``frontier``,
``scheduler``), global politeness (``politeness``), the Redis-backed session and pipeline
(``session``), the worker's spider (``spider``) and process loop (``worker``)."""
