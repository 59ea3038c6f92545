"""Hrefs read as a browser reads them, on every platform parser: leading and trailing C0
controls and spaces stripped, ASCII tabs and newlines removed anywhere (WHATWG URL Standard),
other white space kept; ``#…``, ``javascript:`` and ``mailto:`` lead nowhere, other schemes
are URLs (the crawl's site guard refuses and records them).

Each generated href is decorated with random white space, then parsed inside a saved-page
shape of its platform; the expected URL is the undecorated href joined to the page.
"""

from __future__ import annotations

from urllib.parse import urljoin

from hypothesis import given, settings, strategies as st

from crawler.platforms import gkmlpt, href_value, link_url, nfcms, ucap

C0_OR_SPACE = "".join(map(chr, range(1, 0x21)))  # NUL cannot sit in an HTML page
TAB_OR_NEWLINE = "\t\n\r"
KEPT_SPACE = "\u00a0\u3000\u2002\u0085"  # str.strip() removes these; browsers keep them
SEGMENT = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=8)


@st.composite
def decorated(draw, href: str) -> str:
    """``href`` with C0/space decor before and after and tabs/newlines inside."""
    lead = draw(st.text(C0_OR_SPACE, max_size=4))
    trail = draw(st.text(C0_OR_SPACE, max_size=4))
    inner = list(href)
    for _ in range(draw(st.integers(0, 3))):
        inner.insert(draw(st.integers(0, len(inner))), draw(st.sampled_from(TAB_OR_NEWLINE)))
    return lead + "".join(inner) + trail


def _attr(value: str) -> str:
    """An attribute value as written in a page (quotes and markup characters escaped)."""
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


@settings(max_examples=200, deadline=None)
@given(st.data(), st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))
def test_href_value_strips_c0_and_space_and_drops_tabs_and_newlines(data, href):
    value = data.draw(decorated(href))
    expected = "".join(ch for ch in href if ch not in TAB_OR_NEWLINE).strip(C0_OR_SPACE + "\0")
    assert href_value(value) == expected
    assert href_value(None) == "" and href_value("\0 \x1f") == ""


@given(st.sampled_from(KEPT_SPACE), SEGMENT)
def test_other_white_space_is_part_of_the_url(space, name):
    assert href_value(f"{space}/{name}.pdf{space}") == f"{space}/{name}.pdf{space}"
    assert link_url(f"/{name}.pdf{space}", "http://h/a/") == f"http://h/{name}.pdf{space}"


@settings(max_examples=100, deadline=None)
@given(st.data(), st.sampled_from(["javascript:void(0)", "JavaScript:open('/a.pdf')",
                                   "mailto:a@b.cn", "MAILTO:x", "#", "#top", ""]))
def test_links_that_lead_to_no_page_are_none(data, href):
    assert link_url(data.draw(decorated(href)), "https://h/a/b.html") is None


@settings(max_examples=50, deadline=None)
@given(st.data(), st.sampled_from(["file:///etc/passwd", "ftp://h/a.pdf", "FTP://h/b.pdf",
                                   "tel:123", "//cdn.h/c.pdf", "?page=2", "HTTP://H/d.pdf"]))
def test_links_of_other_schemes_are_urls_for_the_site_guard_to_judge(data, href):
    assert link_url(data.draw(decorated(href)), "https://h/a/b.html") == \
        urljoin("https://h/a/b.html", href)


@settings(max_examples=100, deadline=None)
@given(st.data(), st.sampled_from(["/{p}/gkmlpt", "/{p}/gkmlpt/", "/{p}/gkmlpt/index",
                                   "/{p}/gkmlpt/annualreport#6198", "gkmlpt/index#6160",
                                   "http://www.dg.gov.cn/{p}/gkmlpt/index", "../{p}/gkmlpt"]),
       SEGMENT)
def test_the_gkmlpt_link_of_a_town_portal_whatever_its_white_space(data, form, prefix):
    href = form.format(p=prefix)
    decoys = ['<a href="/{p}/gkmlptX">x</a>', '<a href="javascript:go(\'/gkmlpt/\')">j</a>',
              '<a href="#/gkmlpt/">f</a>', '<a href="mailto:gkmlpt/@x">m</a>',
              '<a href="/news/?next=/gkmlpt/">q</a>', '<a href="/{p}/gkmlpt\u3000">s</a>']
    links = data.draw(st.permutations(decoys)) + [
        f'<a href="{_attr(data.draw(decorated(href)))}">目录</a>']
    page = "<html><body>" + "".join(links).format(p=prefix) + "</body></html>"
    base = "http://www.dg.gov.cn/fg/"
    assert gkmlpt.find_gkmlpt_link(page, base) == urljoin(base, href)


@settings(max_examples=100, deadline=None)
@given(st.data(), st.lists(st.tuples(st.sampled_from(["202401", "202312"]),
                                     st.text("0123456789abcdef", min_size=32, max_size=32)),
                           min_size=1, max_size=4, unique_by=lambda t: t[1]))
def test_ucap_list_detail_and_directory_links_whatever_their_white_space(data, posts):
    page_url = "https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/xxgk_list.shtml"
    hrefs = [f"./{month}/{pid}.shtml" for month, pid in posts]
    items = "".join(
        f'<li><a href="{_attr(data.draw(decorated("javascript:void(0)")))}">分享</a>'
        f'<a href="{_attr(data.draw(decorated(h)))}">标题{i}</a><span>2024-01-0{i + 1}</span></li>'
        for i, h in enumerate(hrefs))
    listing = ucap.parse_list_page(f"<ul>{items}</ul>", page_url)
    assert [(i.post_id, i.url, i.href) for i in listing.items] == [
        (pid, urljoin(page_url, h), h) for (_, pid), h in zip(posts, hrefs)]
    links = ucap.page_links(f"<ul>{items}</ul>", page_url)
    assert [link.url for link in links] == [urljoin(page_url, h) for h in hrefs]
    files = "".join(f'<a href="{_attr(data.draw(decorated(f"files/{pid}.pdf")))}">附件{i}</a>'
                    f'<a href="{_attr(data.draw(decorated("#p" + str(i))))}">top</a>'
                    for i, (_, pid) in enumerate(posts))
    detail = ucap.parse_detail_page(f"<h1 class='article-title'>题</h1>"
                                    f"<div class='article-content'>{files}</div>", page_url)
    assert [(a.url, a.name) for a in detail.attachments] == [
        (urljoin(page_url, f"files/{pid}.pdf"), f"附件{i}.pdf") for i, (_, pid) in enumerate(posts)]


@settings(max_examples=50, deadline=None)
@given(st.data(), st.integers(1, 10**8))
def test_nfcms_column_links_whatever_their_white_space(data, post_id):
    column = "https://www.huadu.gov.cn/xxgk/xxgkml/xxgknb/gzj/"
    href = f"./content/post_{post_id}.html"
    page = nfcms.parse_column_page(f'<li><a href="{_attr(data.draw(decorated(href)))}">报告</a></li>',
                                   column + "index.html")
    assert [(i.post_id, i.url) for i in page.items] == [(str(post_id), urljoin(column, href))]
