"""gkarchive's benchmarks (GitHub issue 8): crawl, nightly re-crawl, extraction, parsing and the
archive, each measured side by side with its alternative; ``python -m bench`` runs them all and
writes ``docs/benchmarks.md``.

Example::

    make bench                                  # = .venv/bin/python -m bench
    .venv/bin/python -m bench --only crawl      # one section, printed, docs untouched
"""
