"""Where a number came from: one report cell back to its extraction, blob, fetch, the pages
that led to it, the run and the site's config entry.

Example::

    >>> chain = cell_provenance(db, "huadu-shiling", 2020, "t3.new_received.total")
    >>> chain["fetch"]["url"], chain["fetch"]["run_id"], chain["extraction"]["extractor_version"]
"""

from __future__ import annotations

import json

PROVENANCE_SQL = """
SELECT c.key, c.value, c.raw, c.state,
       r.id AS report_id, r.site, r.year, r.title, r.source_name, r.chosen_because,
       e.id AS extraction_id, e.extractor_version, e.parser_version, e.status AS extraction_status,
       b.sha256, b.size,
       f.id AS fetch_id, f.url, f.fetched_at, f.status AS http_status, f.run_id,
       f.referer_fetch_id, s.config AS site_config
FROM report_cells c
JOIN reports r ON r.id = c.report_id
JOIN extractions e ON e.id = r.extraction_id
JOIN blobs b ON b.sha256 = r.source_sha256
LEFT JOIN fetches f ON f.id = (SELECT max(id) FROM fetches WHERE sha256 = b.sha256
                                AND site = r.site)
JOIN sites s ON s.slug = r.site
WHERE r.site = :site AND r.year = :year AND c.key = :key
"""

_REFERER_CHAIN = """
WITH RECURSIVE chain(id, depth) AS (
  SELECT :fetch_id, 0
  UNION ALL
  SELECT f.referer_fetch_id, chain.depth + 1 FROM fetches f JOIN chain ON f.id = chain.id
  WHERE f.referer_fetch_id IS NOT NULL AND chain.depth < 20
)
SELECT f.id, f.kind, f.url, f.status, f.fetched_at, f.run_id FROM chain
JOIN fetches f ON f.id = chain.id ORDER BY chain.depth
"""


def cell_provenance(db, site: str, year: int, key: str) -> dict | None:
    """The whole chain for one cell, or None when the archive has no such cell."""
    cursor = db.execute(PROVENANCE_SQL, {"site": site, "year": year, "key": key})
    row = cursor.fetchone()
    if row is None:
        return None
    cell = dict(zip([d[0] for d in cursor.description], row))
    pages = []
    if cell["fetch_id"] is not None:
        pages = [dict(zip(("fetch_id", "kind", "url", "status", "fetched_at", "run_id"), r))
                 for r in db.execute(_REFERER_CHAIN, {"fetch_id": cell["fetch_id"]})]
    return {
        "cell": {k: cell[k] for k in ("key", "value", "raw", "state")},
        "report": {k: cell[k] for k in ("report_id", "site", "year", "title", "source_name",
                                        "chosen_because")},
        "extraction": {k: cell[k] for k in ("extraction_id", "extractor_version",
                                            "parser_version", "extraction_status")},
        "blob": {"sha256": cell["sha256"], "size": cell["size"]},
        "fetch": pages[0] if pages else None,
        "led_by": pages[1:],
        "site_config": json.loads(cell["site_config"]),
    }
