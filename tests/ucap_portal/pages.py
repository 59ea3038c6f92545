"""HTML of the simulated UCAP portal: list pages with ``createPageHTML``, detail pages of the
current and the 2018 template, the zone's disclosure directory and the units' shells.

Example::

    list_page(site, "xxgk_list_nb", 1, switches=frozenset())   # (status, html)
"""

from __future__ import annotations

from html import escape

from .model import SITE_CODE, UcapPost, UcapSite

ZONE = "赣州经济技术开发区"


def _head(title: str, extra: str = "") -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="SiteName" content="{ZONE}"><meta name="SiteIDCode" content="3607990001">'
            f"{extra}</head><body>")


def _nav(site: UcapSite) -> str:
    """Navigation links on every page: other columns, never detail pages."""
    return (f'<div class="nav"><ul><li><a href="/{SITE_CODE}/">信息公开目录</a></li>'
            f'<li><a href="/{SITE_CODE}/{site.column}/">年度报告</a></li>'
            f'<li><a href="/{SITE_CODE}/c110001/list.shtml">政策文件</a></li></ul></div>')


def _date(post: UcapPost, switches: frozenset[str]) -> str:
    fmt = "%Y/%m/%d" if "slash_dates" in switches else "%Y-%m-%d"
    return post.published.strftime(fmt)


def list_page(site: UcapSite, page: int, switches: frozenset[str]) -> tuple[int, str]:
    """Page ``page`` of the column: (200, html), or past the end 404 / an empty 200 page."""
    posts = site.newest_first()
    size = site.page_size
    pages = max(1, -(-len(posts) // size))
    shown, records = pages, len(posts)
    if "stale_count" in switches:
        shown, records = pages + 1, len(posts) + 7
    if page > pages and "empty_page_end" not in switches:
        return 404, error_page(404)
    chunk = posts[(page - 1) * size: page * size]
    items = "".join(_item(site, post, switches) for post in chunk)
    ul = f'<ul class="listContent">{items}</ul>' if "list_content" in switches \
        else f'<div class="bd"><ul>{items}</ul></div>'
    template = site.template if "template_xlist" not in switches or \
        site.slug != "ganzhou-jkq-fenggang" else "xlist"
    script = (f"<script>createPageHTML('page_div',{shown}, {page},'{template}','shtml',"
              f"{records});</script>")
    return 200, (_head(f"年度报告-{site.unit}") + _nav(site) + _crumb(site) + ul
                 + f'<div id="page_div"></div>{script}</body></html>')


def _item(site: UcapSite, post: UcapPost, switches: frozenset[str]) -> str:
    title = escape(post.title, quote=True)
    date = _date(post, switches)
    span = (f'<span class="src">{escape(site.unit)}</span><span class="time">{date}</span>'
            if "span_time" in switches else f"<span>{date}</span>")
    return (f'<li><a href="{site.detail_path(post)}" target="_blank" title=\'{title}\'>'
            f"{title}</a>{span}</li>")


def _crumb(site: UcapSite) -> str:
    return (f'<div class="xxgk-crumb">您当前所在位置：首页&gt;信息公开&gt;部门信息公开目录&gt;'
            f"{escape(site.unit)}&gt;年度报告</div>")


def nav_template_page(site: UcapSite) -> str:
    """A template that answers 200 for the column but lists nothing (a navigation page)."""
    return _head(f"{site.unit}") + _nav(site) + _crumb(site) + "<div class=\"bd\"><ul></ul></div></body></html>"


def detail_page(site: UcapSite, post: UcapPost) -> str:
    meta = (f'<meta name="ColumnName" content="年度报告">'
            f'<meta name="ArticleTitle" content="{escape(post.title, quote=True)}">'
            f'<meta name="PubDate" content="{post.published:%Y-%m-%d %H:%M:%S}">'
            f'<meta name="ContentSource" content="{escape(site.unit)}">')
    body_links = "".join(f'<p><a href="{site.file_href(post, f)}">{escape(f.name)}</a></p>'
                         for f in post.files if f.in_body)
    fj = [f for f in post.files if not f.in_body]
    fj_a = ('<div class="fj-a"><p>附件：</p>' + "".join(
        f'<a href="{site.file_href(post, f)}">{escape(f.name)}</a>' for f in fj) + "</div>") if fj else ""
    rows = {"索 引 号": f"{site.column}/{post.published:%Y}-{post.manuscript[:5]}",
            "发布机构": f"{ZONE}{site.unit}", "生成日期": f"{post.published:%Y-%m-%d}",
            "公开方式": "主动公开", "责任部门": ""}
    meta_data = "".join(f'<dd><label>{k}：</label><div>{escape(v)}</div></dd>'
                        for k, v in rows.items() if v)  # empty rows are removed by script
    if post.old_form:  # the 2018 template
        return (_head(post.title, meta) + _crumb(site)
                + f'<div class="wz_title"><h1>{escape(post.title)}</h1></div>'
                + f'<div class="wz_content"><div id="UCAP-CONTENT">{post.body_html}{body_links}'
                + f"</div>{fj_a}</div></body></html>")
    return (_head(post.title, meta) + _nav(site) + _crumb(site)
            + f'<div class="meta-data"><dl>{meta_data}</dl></div>'
            + f'<h1 class="article-title"><ucaptitle>{escape(post.title)}</ucaptitle></h1>'
            + f'<div class="article-content" id="zoomcon"><ucapcontent>{post.body_html}'
            + f"{body_links}</ucapcontent>{fj_a}</div></body></html>")


def directory_page(sites: list[UcapSite]) -> str:
    """The zone's disclosure directory: a shell link per unit (``xxgk.shtml?code=…&temp=…``)."""
    links = "".join(
        f'<li><a href="/{SITE_CODE}/dept{n}/xxgk.shtml?code={s.column}&amp;temp={s.template}">'
        f"{escape(s.unit)}</a></li>" for n, s in enumerate(sites, start=1))
    return (_head(f"{ZONE}信息公开目录") + '<div class="xxgk-crumb">您当前所在位置：首页&gt;信息公开'
            f'&gt;部门信息公开目录</div><div class="unit-list"><ul>{links}'
            f'<li><a href="/{SITE_CODE}/dept99/xxgk.shtml?code=c119999&amp;temp=xxgk_list">'
            "招商局</a></li></ul></div></body></html>")


def unit_shell(site: UcapSite) -> str:
    """A unit's disclosure directory shell: an iframe of its list, and its columns' links
    (党群工作部's has no 年度报告 link: only the breadcrumb of its list names the column)."""
    report_link = "" if site.slug == "ganzhou-jkq-dqgzb" else \
        f'<a href="/{SITE_CODE}/{site.column}/">年度报告</a>'
    return (_head(f"{site.unit}信息公开") + _crumb(site).replace("&gt;年度报告", "")
            + f'<iframe src="/{SITE_CODE}/{site.column}/{site.template}.shtml"></iframe>'
            + f'<div class="columns"><a href="/{SITE_CODE}/c110001/list.shtml">政策文件</a>'
            + f"{report_link}</div></body></html>")


def unit_shell_without_reports() -> str:
    return _head("招商局信息公开") + '<div class="columns"><a href="/jkqxxgk/c119998/list.shtml">' \
        "工作动态</a></div></body></html>"


def error_page(status: int) -> str:
    return f"<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>"
