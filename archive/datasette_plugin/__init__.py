"""gkarchive's own datasette plugin: original documents, short-query search and a chart.

Routes: ``/-/blob/<sha256>`` streams an archived document, ``/-/search?q=`` searches the
reports (1–2 character queries too, which the trigram index cannot match), ``/-/chart`` draws
applications received per agency per year as inline SVG (no JavaScript, no network).
Cells holding a sha256 link to the download. :func:`archive.serve.make_datasette` registers
this module with datasette's plugin manager.

Example::

    curl -OJ http://127.0.0.1:8001/-/blob/<sha256>
"""

from __future__ import annotations

from datasette import hookimpl
from markupsafe import Markup, escape

from archive.datasette_plugin.blob import blob_download
from archive.datasette_plugin.chart import chart_page
from archive.datasette_plugin.search import search_page

SHA256_COLUMNS = {"sha256", "source_sha256", "body_sha256"}


@hookimpl
def register_routes(datasette):
    return [
        (r"^/-/blob/(?P<sha256>[0-9a-f]{64})$", blob_download),
        (r"^/-/search$", search_page),
        (r"^/-/chart$", chart_page),
    ]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """A sha256 of an archived body becomes a download link; blob contents too."""
    if isinstance(value, dict) and "value" in value:  # a foreign key datasette expanded
        value = value["value"]
    if column in SHA256_COLUMNS and isinstance(value, str) and len(value) == 64:
        return Markup('<a href="{}" title="下载原始文件 / download the original">{}</a>').format(
            datasette.urls.path(f"/-/blob/{value}"), value)
    if table == "blobs" and column == "content" and isinstance(value, bytes):
        sha = row["sha256"] if "sha256" in row.keys() else None
        if sha:
            return Markup('<a href="{}">下载 / download ({} bytes)</a>').format(
                datasette.urls.path(f"/-/blob/{sha}"), len(value))
    return None


@hookimpl
def menu_links(datasette, actor):
    return [{"href": datasette.urls.path("/-/search"), "label": "检索 / Search"},
            {"href": datasette.urls.path("/-/chart"), "label": "图表 / Chart"}]


def link(href: str, text: str) -> Markup:
    """An escaped ``<a>`` element."""
    return Markup('<a href="{}">{}</a>').format(href, escape(text))
