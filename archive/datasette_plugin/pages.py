"""Shared parts of the plugin's pages: the 404 page, links to report and body pages.

Everything a path carries is shown through the templates' autoescaping, never raw.

Example::

    >>> report_path("huadu-shiling", 2020), body_path("a/b")
    ('/-/report/huadu-shiling/2020', '/-/body/a%2Fb')
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from datasette.utils.asgi import Response


def path_var(request, name: str) -> str:
    """A part of the path as the user typed it (datasette hands it over percent-encoded)."""
    return unquote(request.url_vars[name])


def quoted(text: str, limit: int = 80) -> str:
    """Path text as a message quotes it: at most ``limit`` characters (escaped by the page)."""
    return f"“{text[:limit]}{'…' if len(text) > limit else ''}”"


def report_path(site: str, year: int) -> str:
    return f"/-/report/{quote(str(site), safe='')}/{int(year)}"


def body_path(site: str) -> str:
    return f"/-/body/{quote(str(site), safe='')}"


async def not_found(datasette, request, message: str, *, site: str | None = None) -> Response:
    """A 404 page saying what was not found, with the ways on (the body page when the site
    exists, the health page, the search)."""
    links = []
    if site is not None:
        known = (await datasette.get_database().execute(
            "select name from sites where slug = ?", [site])).first()
        if known is not None:
            links.append((datasette.urls.path(body_path(site)), f"{known['name']} 的全部年报 / "
                          "every report of this body"))
    links += [(datasette.urls.path("/-/health"), "站点健康 / site health"),
              (datasette.urls.path("/-/search"), "检索 / search")]
    html = await datasette.render_template("gk_not_found.html", {
        "message": message, "links": links}, request=request)
    return Response.html(html, status=404)


async def report_by_id(datasette, request):
    """``/-/report/id/{id}``: a redirect to the report's page (used where only an id is known)."""
    report_id = request.url_vars["report_id"]
    found = (await datasette.get_database().execute(
        "select site, year from reports where id = ?", [int(report_id)])).first()
    if found is None:
        return await not_found(datasette, request, f"没有编号为 {report_id} 的年报 / "
                               f"no report with id {report_id}")
    return Response.redirect(datasette.urls.path(report_path(found["site"], found["year"])))
