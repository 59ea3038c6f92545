"""The portal's own report columns (NFCMS around gkmlpt): for the two target hosts the main
report page (spec: "Where annual reports actually are", 3).

- Dongguan, one per town: ``http://www.dg.gov.cn/zwgk/zfxxgkml/{code}/zfxxgkgzndbg/``;
- Huadu, one for all towns: ``https://www.huadu.gov.cn/xxgk/xxgkml/xxgknb/gzj/`` — it also
  holds towns that are not fixture sites (``portal_columns``).

List pages ``index.html`` (or the bare folder), ``index_2.html`` …, ``COLUMN_PAGE_SIZE`` items
each, newest first, past the last page 404; items link ``content/post_{id}.html`` (a portal-
template page) with a date. Markup A (default): ``ul > li > a`` with relative links and a
"下一页" link; markup B (``column_markup_b``): a table with absolute links and only the
``createPageHTML(pages, …)`` script to tell the page count.

Example::

    column_response(all_sites, "www.huadu.gov.cn", "/xxgk/xxgkml/xxgknb/gzj/index_2.html", set())
    # (200, '<!DOCTYPE html>…')
"""

from __future__ import annotations

import re
from html import escape as h

from .model import Post, Site
from .pages import _page, portal_page

COLUMN_PAGE_SIZE = 6
LIST_RE = re.compile(r"^(?P<column>/.+/)(?:index(?:_(?P<page>\d+))?\.html)?$")
DETAIL_RE = re.compile(r"^(?P<column>/.+/)content/post_(?P<id>\d+)\.html$")
BREADCRUMB = {"/xxgk/xxgkml/xxgknb/gzj/": "首页 > 信息公开 > 信息公开目录 > 信息公开年报 > 各镇街"}


def column_items(sites: list[Site], host: str, column: str) -> list[tuple[Site, Post]]:
    """Every report the column holds, newest first."""
    items = [(s, p) for s in sites if s.host == host and s.report_column == column
             for p in s.posts.values() if p.report_year is not None and not p.jump_url]
    return sorted(items, key=lambda sp: (sp[1].publish_ts, sp[1].id), reverse=True)


def column_response(sites: list[Site], host: str, path: str,
                    switches) -> tuple[int, str] | None:
    """(status, HTML) for a report column URL, or None when ``path`` is not one."""
    if m := DETAIL_RE.match(path):
        items = column_items(sites, host, m.group("column"))
        if not items:
            return None
        found = next(((s, p) for s, p in items if p.id == int(m.group("id"))), None)
        return (200, portal_page(*found)) if found else (404, "")
    m = LIST_RE.match(path)
    if not m:
        return None
    items = column_items(sites, host, m.group("column"))
    if not items:
        return None
    page = int(m.group("page") or 1)
    pages = max(1, -(-len(items) // COLUMN_PAGE_SIZE))
    if page < 1 or page > pages or m.group("page") == "1":
        return 404, ""
    shown = items[(page - 1) * COLUMN_PAGE_SIZE: page * COLUMN_PAGE_SIZE]
    origin = f"{shown[0][0].scheme}://{host}"
    return 200, list_page(m.group("column"), origin, shown, page, pages,
                          "column_markup_b" in switches)


def list_page(column: str, origin: str, shown: list[tuple[Site, Post]], page: int, pages: int,
              markup_b: bool) -> str:
    """One list page of a report column."""
    if markup_b:
        rows = "".join(f'<tr><td class="title"><a href="{origin}{column}content/post_{p.id}.html"'
                       f' target="_blank">{h(p.title)}</a></td>'
                       f'<td class="date">{p.published:%Y-%m-%d}</td></tr>\n' for _, p in shown)
        body = f'<table class="list-table">\n{rows}</table>'
    else:
        rows = "".join(f'<li><a href="./content/post_{p.id}.html" target="_blank" '
                       f'title="{h(p.title)}">{h(p.title)}</a><span class="date">'
                       f'{p.published:%Y-%m-%d}</span></li>\n' for _, p in shown)
        nav = '<a href="index.html">首页</a>'
        if page < pages:
            nav += f' <a href="index_{page + 1}.html">下一页</a>'
        body = f'<div class="list"><ul>\n{rows}</ul></div>\n<div class="page">{nav}</div>'
    crumb = BREADCRUMB.get(column, "首页 > 政务公开 > 政府信息公开工作年度报告")
    script = f'<script>createPageHTML({pages}, {page - 1}, "index", "html");</script>'
    return _page("政府信息公开年报", "", f'<div class="breadcrumb">{h(crumb)}</div>\n'
                 f"{body}\n{script}")
