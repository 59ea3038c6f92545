"""Where reports really are: the switches of the list window, jump entries, link shapes, empty
anchors, Word-HTML ``.doc`` files and a deep category (spec: "The list API", "Detail pages",
"Where annual reports actually are"). The search host and the report columns live in
``search.py`` and ``columns.py``; this module names every switch of the three and changes the
fixture data before ids are assigned.

Example::

    add_variant_posts(sites, {"jump_entries", "deep_category"})   # before assign_ids
    apply_variants(sites, {"empty_href", "http_links"})          # after
    styled_url(sites["huadu-shiling"], "https://www.huadu.gov.cn/gzhdslz/…", 10899951)
    # 'http://www.huadu.gov.cn/gzhdslz/…'  (http_links on an https site)
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from .model import Post, Site

WHERE_SWITCHES = {
    "list_window": "the list API shows posts published since 2021-07-01 only (total < "
                   "post_count); older ones only through search.gd.gov.cn",
    "jump_entries": "each site lists a `type: url` entry titled as another body's annual "
                    "report, pointing elsewhere (on www.dg.gov.cn: an allowed host)",
    "http_links": "https sites give http:// in article url, post_url and attachment links",
    "link_decor": "article urls carry ?jump=true (odd ids) or #<classify> (even ids)",
    "bare_host": "article and attachment urls name the host without www.",
    "empty_href": "two body-only attachment anchors lose their href (href=\"\" / none), "
                  "attachment-id and alt stay",
    "html_doc": "dg-qingxi 2019's .doc is Word 'save as web page' HTML",
    "no_total": "old hosts: the list API sends no total and no offset, and past the last page "
                "it answers the last page again (only a page with no new post ends a list)",
    "list_fails": "every attempt at dg-qingxi's api/all/0 page 1 gets 503 (after any retries)",
    "bare_category_name": "dg-zjj's annual category is named just 年度报告, and its 2023 report "
                          "is titled …2023年度报告 (a report only by its category)",
    "deep_category": "dg-qingxi 工作动态 (3296) gets 200 more posts: four list pages",
    "portal_columns": "the report columns also hold reports found nowhere else and the "
                      "reports of towns no fixture site is (Huadu's shared column)",
    "column_markup_b": "report column lists as a table with absolute links and no next-page "
                       "link (only the page count script)",
}
LINK_STYLES = frozenset({"http_links", "link_decor", "bare_host"})
WINDOW_FLOOR = datetime(2021, 7, 1)  # list_window: older posts are missing from api/all
# empty_href: (slug, report year, href mode) of the report whose body-only attachment (else
# its first, which then leaves attachment[]) loses its href: under a prefix and at a host root
EMPTY_HREFS = (("huadu-shiling", 2022, "empty"), ("dg-qingxi", 2021, "none"))
HTML_DOC = ("dg-qingxi", 2019)
DEEP_SITE, DEEP_CATEGORY, DEEP_EXTRA = "dg-qingxi", 3296, 200
FAILING_LIST = ("dg-qingxi", 0, 1)  # list_fails: (slug, classify, page) always 503
BARE_CATEGORY = ("dg-zjj", 2217, "年度报告", 2023, "东莞市住房和城乡建设局2023年度报告")
# jump_entries: where each site's jump entry points (another body's report)
JUMP_TARGETS = {
    "www.dg.gov.cn": ("东莞市教育局2022年政府信息公开工作年度报告",
                      "http://www.dg.gov.cn/dgjyj/gkmlpt/content/4/4012/post_4012345.html"),
    "www.huadu.gov.cn": ("广州市花都区2022年政府信息公开工作年度报告",
                         "https://www.gz.gov.cn/zfjgzy/gzsrmzfbgt/zfxxgknb/gq/content/"
                         "post_8766001.html"),
    "zjj.dg.gov.cn": ("广东省住房和城乡建设厅2022年政府信息公开工作年度报告",
                      "http://zfcxjst.gd.gov.cn/gkmlpt/content/4/4100/post_4100123.html#1468"),
}


def in_window(post: Post, switches) -> bool:
    """Whether the list API shows ``post`` (``list_window``: published since the floor)."""
    return "list_window" not in switches or post.published >= WINDOW_FLOOR


def add_variant_posts(site: Site, switches) -> list[Post]:
    """Extra posts the switches add to ``site`` (ids unset): a jump entry, deep filler."""
    posts = []
    if "jump_entries" in switches:
        title, url = JUMP_TARGETS[site.host]
        when = datetime(2024, 3, 5, 9, 30)
        posts.append(Post(id=0, title=title, classify=site.annual_category,
                          doc_date=when.date(), published=when, body_html="", jump_url=url,
                          publisher=site.name, genre="报告"))
    if "deep_category" in switches and site.slug == DEEP_SITE:
        rng = random.Random(f"deep:{site.slug}")
        for n in range(DEEP_EXTRA):
            when = datetime(2019, 2, 1) + timedelta(days=rng.randint(0, 2300),
                                                    seconds=rng.randint(8 * 3600, 18 * 3600))
            title = f"清溪镇工作简报第{n + 1}期（{when:%Y年%m月%d日}）"
            posts.append(Post(id=0, title=title, classify=DEEP_CATEGORY, doc_date=when.date(),
                              published=when, body_html=f"<p>{title}。</p>",
                              publisher=site.name))
    return posts


def apply_variants(sites: dict[str, Site], switches) -> None:
    """Change built sites in place: link styles, empty anchors, Word-HTML .doc bytes."""
    styles = LINK_STYLES & set(switches)
    for site in sites.values():
        site.link_styles = frozenset(styles)
    if "empty_href" in switches:
        for slug, year, mode in EMPTY_HREFS:
            post = _report(sites[slug], year)
            att = next((a for a in post.attachments if not a.in_list), post.attachments[0])
            att.href, att.in_list = mode, False
    if "bare_category_name" in switches:
        slug, cid, name, year, title = BARE_CATEGORY
        sites[slug].category(cid).name = name
        _report(sites[slug], year).title = title
    if "html_doc" in switches:
        post = _report(sites[HTML_DOC[0]], HTML_DOC[1])
        att = next(a for a in post.attachments if a.ext == "doc")
        att.data = word_html(post.title, post.published.date())


def _report(site: Site, year: int) -> Post:
    return next(p for p in site.posts.values() if p.report_year == year)


def styled_url(site: Site, url: str, post_id: int, article_link: bool = False) -> str:
    """``url`` as the site's pages print it under the link-style switches."""
    if "http_links" in site.link_styles and url.startswith("https://"):
        url = "http://" + url[len("https://"):]
    if "bare_host" in site.link_styles and "//www." in url:
        url = url.replace("//www.", "//", 1)
    if "link_decor" in site.link_styles and article_link:
        url += "?jump=true" if post_id % 2 else f"#{_classify_of(site, post_id)}"
    return url


def _classify_of(site: Site, post_id: int) -> int:
    post = site.posts.get(post_id)
    return post.classify if post else site.annual_category


def word_html(title: str, day: date) -> bytes:
    """A report as Word's "save as web page" writes it: HTML under a .doc name."""
    rows = "".join(f"<tr><td>{name}</td><td>{n}</td></tr>"
                   for name, n in (("主动公开政府信息数量", 128), ("收到政府信息公开申请数量", 3),
                                   ("行政复议数量", 0)))
    return ("<html xmlns:o=\"urn:schemas-microsoft-com:office:office\" "
            "xmlns:w=\"urn:schemas-microsoft-com:office:word\">\n<head>\n"
            "<meta http-equiv=Content-Type content=\"text/html; charset=utf-8\">\n"
            "<meta name=Generator content=\"Microsoft Word 15 (filtered)\">\n"
            f"<title>{title}</title>\n</head>\n<body lang=ZH-CN>\n<div class=WordSection1>\n"
            f"<p class=MsoNormal align=center><b>{title}</b></p>\n"
            f"<p class=MsoNormal>本报告根据《中华人民共和国政府信息公开条例》编制，"
            f"报告日期{day:%Y年%m月%d日}。</p>\n"
            f"<table class=MsoTableGrid border=1>{rows}</table>\n</div>\n</body>\n</html>\n"
            ).encode("utf-8")


def list_fails(site: Site, classify: int, page: int, switches) -> bool:
    """``list_fails``: whether this list page answers 503 on every attempt."""
    return "list_fails" in switches and (site.slug, classify, max(page, 1)) == FAILING_LIST

