"""``/-/search?q=``: search report titles and bodies, one or two characters included.

Queries of three characters or more use ``report_search`` (FTS5 trigram); one or two
characters (``年报``) use ``report_search_short`` (character pairs; see ``archive.search``):
the same SQL as the ``search_reports`` canned query. ``&_format=json`` answers JSON.

Example::

    GET /-/search?q=年报            → every report whose title or body contains 年报
"""

from __future__ import annotations

from datasette.utils.asgi import Response

from archive.datasette_plugin.queries import SEARCH_SQL

MAX_QUERY = 100


async def search_page(datasette, request):
    q = (request.args.get("q") or "").strip()[:MAX_QUERY]
    db = datasette.get_database()
    rows = [dict(r) for r in (await db.execute(SEARCH_SQL, {"q": q})).rows] if q else []
    for row in rows:
        row["report_url"] = datasette.urls.row(db.name, "reports", row["report_id"])
        row["t3_url"] = datasette.urls.query(db.name, "report_t3") + f"?report_id={row['report_id']}"
    if request.args.get("_format") == "json":
        return Response.json({"q": q, "method": _method(q), "rows": rows})
    return Response.html(await datasette.render_template(
        "gk_search.html", {"q": q, "rows": rows, "method": _method(q),
                           "database": db.name}, request=request))


def _method(q: str) -> str:
    """How a query is matched: ``fts`` (trigram index) or ``pairs`` (1–2 characters)."""
    return "fts" if len(q) >= 3 else "pairs"
