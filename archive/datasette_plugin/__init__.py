"""gkarchive's own datasette plugin: pages to read the archive as a person would.

Routes: ``/-/report/<site>/<year>`` one report as printed (T2, T3, T4 with the failed checks
on their cells, the documents, the six sections), ``/-/report/id/<id>`` a redirect to it,
``/-/body/<site>`` every year of one body, ``/-/health`` the sites' health,
``/-/blob/<sha256>`` an archived document, ``/-/search?q=`` search (1–2 character queries
too), ``/-/chart`` applications received per agency per year. Every page is rendered on the
server and needs no JavaScript. In tables and query results, report ids and site slugs link
to these pages and cells holding a sha256 to the download. :func:`archive.serve.make_datasette`
registers this module with datasette's plugin manager.

Example::

    curl http://127.0.0.1:8001/-/report/huadu-shiling/2020
"""

from __future__ import annotations

from datasette import hookimpl
from markupsafe import Markup, escape

from archive.datasette_plugin.blob import blob_download
from archive.datasette_plugin.body_page import body_page
from archive.datasette_plugin.chart import chart_page
from archive.datasette_plugin.health_page import health_page
from archive.datasette_plugin.pages import body_path, report_by_id, report_path
from archive.datasette_plugin.report_page import report_page
from archive.datasette_plugin.search import search_page

SHA256_COLUMNS = {"sha256", "source_sha256", "body_sha256"}
REPORT_ID_COLUMNS = {"report_id"}
SITE_COLUMNS = {"site"}


@hookimpl
def register_routes(datasette):
    return [
        (r"^/-/blob/(?P<sha256>[0-9a-f]{64})$", blob_download),
        (r"^/-/search$", search_page),
        (r"^/-/chart$", chart_page),
        (r"^/-/report/id/(?P<report_id>[0-9]{1,18})$", report_by_id),
        (r"^/-/report/(?P<site>[^/]+)/(?P<year>[^/]+)$", report_page),
        (r"^/-/body/(?P<site>[^/]+)$", body_page),
        (r"^/-/health$", health_page),
    ]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Links: a report id to its page, a site slug to its body page, a sha256 to the
    download, blob contents to the download."""
    if isinstance(value, dict) and "value" in value:  # a foreign key datasette expanded
        value = value["value"]
    keys = row.keys() if hasattr(row, "keys") else ()
    if column in SHA256_COLUMNS and isinstance(value, str) and len(value) == 64:
        return Markup('<a href="{}" title="下载原始文件 / download the original">{}</a>').format(
            datasette.urls.path(f"/-/blob/{value}"), value)
    if table == "blobs" and column == "content" and isinstance(value, bytes):
        sha = row["sha256"] if "sha256" in keys else None
        if sha:
            return Markup('<a href="{}">下载 / download ({} bytes)</a>').format(
                datasette.urls.path(f"/-/blob/{sha}"), len(value))
    if isinstance(value, int) and (column in REPORT_ID_COLUMNS or (
            table in ("reports", "report_overview") and column == "id")):
        if "site" in keys and "year" in keys and isinstance(row["year"], int):
            href = report_path(_plain(row["site"]), row["year"])
        else:
            href = f"/-/report/id/{value}"
        return Markup('<a href="{}" title="年报页 / the report\'s page">{}</a>').format(
            datasette.urls.path(href), value)
    if table == "sites" and column == "name" and "slug" in keys:  # slug: the row's own link
        return _body_link(datasette, row["slug"], value)
    if isinstance(value, str) and value and column in SITE_COLUMNS:
        return _body_link(datasette, value, value)
    return None


def _body_link(datasette, site: str, text) -> Markup:
    return Markup('<a href="{}" title="该机关历年年报 / every year of this body">{}</a>').format(
        datasette.urls.path(body_path(site)), text)


def _plain(value):
    return value["value"] if isinstance(value, dict) and "value" in value else value


@hookimpl
def menu_links(datasette, actor):
    return [{"href": datasette.urls.path("/-/health"), "label": "站点健康 / Site health"},
            {"href": datasette.urls.path("/-/search"), "label": "检索 / Search"},
            {"href": datasette.urls.path("/-/chart"), "label": "图表 / Chart"}]


def link(href: str, text: str) -> Markup:
    """An escaped ``<a>`` element."""
    return Markup('<a href="{}">{}</a>').format(href, escape(text))
