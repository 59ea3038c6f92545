"""HTML of the simulated portal: catalogue shells, detail pages, portal pages, error pages.

Example::

    html = detail_page(site, post, Escape.HEX)
    re.search(r"DETAIL: (.*), TREE:", html).group(1)   # one line of JSON
    shell_page(site, "index")                          # window._CONFIG = { APP_URL: '…', SID: … }
"""

from __future__ import annotations

import json
from html import escape as h

from .api import article, content_html, post_count
from .escaping import encode_detail
from .model import Escape, Post, Site

SERVICE_AREA_ID = 4
SEARCH_HOST = "search.gd.gov.cn"
SHELL_ACTIONS = ("index", "mindex", "annualreport", "policy", "search")


def tree(site: Site) -> list[dict]:
    """TREE: nested category nodes with every field the real shell carries."""
    def node(cat) -> dict:
        kids = [node(c) for c in site.categories if c.parent == cat.id]
        return {"id": cat.id, "name": cat.name, "parent": cat.parent,
                "post_count": 0 if cat.jump_url else post_count(site, cat.id),
                "jump_url": cat.jump_url, "children": kids}
    return [node(c) for c in site.categories if c.parent == 0]


def tree_line(site: Site) -> str:
    """TREE as one line of JSON (plain UTF-8, as the real shells send it)."""
    return json.dumps(tree(site), ensure_ascii=False, separators=(",", ":"))


def config_script(site: Site, action: str, detail: str | None = None) -> str:
    """The inline ``window._CONFIG`` object literal (unquoted keys, single-quoted SID)."""
    lines = [f"    APP_URL: '{site.base}',", f"    SID: '{site.sid}',",
             f"    ACTION: '{action}',", f"    SITE_NAME: '{site.name}',",
             f"    SEARCH_JSONP_URL: '{search_jsonp_url(site)}',"]
    head = f"    DETAIL: {detail}, " if detail is not None else "    "
    lines.append(f"{head}TREE: {tree_line(site)}, SERVICE_AREA_ID: {SERVICE_AREA_ID},")
    lines.append("    IS_MOBILE: false, PAGE_SIZE: 100")
    return "<script>\nwindow._CONFIG = {\n" + "\n".join(lines) + "\n};\n</script>"


def search_jsonp_url(site: Site) -> str:
    """``_CONFIG.SEARCH_JSONP_URL`` of every gkmlpt page of ``site``."""
    return f"http://{SEARCH_HOST}/jsonp/site/{site.sid}"


def _page(title: str, head: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n{head}'
            f"<title>{h(title)}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def shell_page(site: Site, action: str) -> str:
    """A catalogue shell (index, mindex, annualreport, policy, search): no article list."""
    body = (f'<div id="app"></div>\n{config_script(site, action)}\n'
            f'<script src="{site.prefix}/gkmlpt/static/js/app.js"></script>')
    return _page(f"{site.name}政府信息公开", "", body)


def _classify_table(site: Site, post: Post, detail: dict) -> str:
    cat = site.category(post.classify)
    pairs = [("索引号", detail["identifier"]), ("分类", cat.name if cat else ""),
             ("发布机构", detail["publisher"]), ("成文日期", f"{post.doc_date:%Y-%m-%d}"),
             ("名称", post.title), ("文号", post.document_number),
             ("发布日期", f"{post.published:%Y-%m-%d}"), ("主题词", post.keywords)]
    cells = [f"<td><label>{k}：</label><span>{h(v)}</span></td>" for k, v in pairs]
    rows = ["<tr>" + "".join(cells[i:i + 2]) + "</tr>" for i in range(0, len(cells), 2)]
    return '<div class="classify"><table>' + "".join(rows) + "</table></div>"


def detail_page(site: Site, post: Post, escape: Escape, mobile: bool = False) -> str:
    """The gkmlpt detail page (``post_{id}.html``, or ``mpost_`` when ``mobile``)."""
    detail = article(site, post) | {"content": content_html(site, post)}
    head = (f'<meta name="ArticleTitle" content="{h(post.title)}">\n'
            f'<meta name="PubDate" content="{post.published:%Y-%m-%d %H:%M}">\n'
            f'<meta name="ContentSource" content="{h(site.name)}">\n')
    table = "" if mobile else _classify_table(site, post, detail)
    body = (f'<div class="{"m-" if mobile else ""}detail">{table}\n'
            f'<h1 class="title">{h(post.title)}</h1>\n'
            f'<div class="article-content">{detail["content"]}</div>\n</div>\n'
            + config_script(site, "content", encode_detail(detail, escape)))
    return _page(post.title, head, body)


def portal_page(site: Site, post: Post) -> str:
    """The same article in the surrounding portal CMS: ``div.content``, ``h1.content-title``."""
    source = post.source or site.name
    head = (f'<meta name="ArticleTitle" content="{h(post.title)}">\n'
            f'<meta name="PubDate" content="{post.published:%Y-%m-%d %H:%M}">\n'
            f'<meta name="ContentSource" content="{h(source)}">\n')
    body = (f'<div class="header"><a href="/">{h(site.name)}</a></div>\n'
            f'<div class="content">\n<h1 class="content-title">{h(post.title)}</h1>\n'
            f'<div class="content-info"><span>来源：{h(source)}</span>'
            f'<span>发布时间：{post.published:%Y-%m-%d %H:%M:%S}</span></div>\n'
            f'<div class="content-text">{content_html(site, post)}</div>\n</div>')
    return _page(post.title, head, body)


def portal_root_page(site: Site) -> str:
    """A town portal home: many links, one of them to the gkmlpt catalogue."""
    root = site.portal_root or "/"
    links = [(root, "首页"), (f"{root}zwgk/", "政务公开"), (f"{root}tzgg/", "通知公告"),
             ("http://www.dg.gov.cn/", "东莞市人民政府"), (f"{root}bsfw/", "办事服务"),
             (f"{site.prefix}/gkmlpt/index", "政府信息公开"), (f"{root}hdjl/", "互动交流"),
             (f"{root}search/", "站内搜索"), ("http://www.gdzwfw.gov.cn/", "广东政务服务网"),
             (f"{root}zjfg/", f"走进{site.name[3:5]}")]
    items = "\n".join(f'<li><a href="{href}">{h(text)}</a></li>' for href, text in links)
    return _page(site.name, "", f'<div class="nav"><ul>\n{items}\n</ul></div>')


def robots_txt() -> str:
    """robots.txt of every host: catalogue and attachments allowed."""
    return ("User-agent: *\nAllow: /gkmlpt/\nAllow: /attachment/\n"
            "Disallow: /admin/\nDisallow: /cgi-bin/\n")


def error_page(status: int, message: str) -> str:
    """A small error page like the hosts' nginx ones."""
    return _page(f"{status} {message}", "", f"<center><h1>{status} {h(message)}</h1></center>")


def busy_page() -> str:
    """The "系统繁忙" page a host sends with status 200 where a PDF should be."""
    return _page("系统提示", "", '<div class="error"><p>系统繁忙，请稍后再试！</p></div>')


def challenge_page() -> str:
    """A JavaScript challenge (412/521): set a cookie, then reload."""
    script = ("<script>var _t=Date.now().toString(36);"
              "document.cookie='__jsl_clearance='+_t+';max-age=3600;path=/';"
              "location.href=location.pathname+location.search;</script>")
    return f"<html><head><meta charset=\"utf-8\"></head><body>{script}</body></html>"
