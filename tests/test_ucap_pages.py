"""UCAP pages generated in the shapes of the platform doc (list items, detail templates,
attachment blocks, metadata rows, unit shells), each parsed and compared with what the
generator put in: the expected values are built from the generated parts, not by the parser.
"""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from hypothesis import given, settings, strategies as st

from crawler.platforms import PlatformError, merge_attachments, ucap
from tests.test_href_rules import _attr

ORIGIN = "https://gzjkq.ganzhou.gov.cn"
COLUMN = ORIGIN + "/jkqxxgk/c110595/"
PAGE = COLUMN + "xxgk_list.shtml"
HEX = st.text("0123456789abcdef", min_size=32, max_size=32)
WORDS = st.text("凤岗镇年度报告公开政府办附件 \n\t", min_size=1, max_size=10).filter(str.strip)
SPACED = st.lists(st.text("凤岗镇年报abcXY", min_size=1, max_size=4), min_size=1, max_size=3)


def squashed(text: str) -> str:
    return " ".join(text.split())


@st.composite
def spaced_text(draw):
    """(text with random white-space runs, the text squashed to single spaces)."""
    parts = draw(SPACED)
    seps = [draw(st.text(" \t\n\u3000", min_size=1, max_size=3)) for _ in parts[1:]]
    lead, trail = draw(st.text(" \n", max_size=2)), draw(st.text(" \n", max_size=2))
    text = lead + parts[0] + "".join(s + p for s, p in zip(seps, parts[1:])) + trail
    return text, squashed(text)


# --- list pages --------------------------------------------------------------------------

@st.composite
def list_items(draw):
    """(li html, expected (post id, title, url, date, href) or None)."""
    pid = draw(HEX)
    href = draw(st.sampled_from([f"./202401/{pid}.shtml", f"/jkqxxgk/c110595/202312/{pid}.html",
                                 f"2018-01/30/content_{pid}.shtml"]))
    text, title = draw(spaced_text())
    by_attr = draw(st.booleans())
    if draw(st.integers(0, 5)) == 0:  # an image link: no title, no text
        text, title, by_attr = '<img src="/images/new.gif">', "", False
    date = draw(st.sampled_from(["2024-01-18", "2024/1/8", "2023年12月1日"]))
    decoy = draw(st.sampled_from(["", "<span>阅读 2019-01-01</span>", "<span class='n'>12</span>"]))
    timed = draw(st.booleans())
    spans = (decoy + f"<span class='time'>{date}</span>") if timed else \
        draw(st.sampled_from([f"<span>{date}</span>", ""]))
    want_date = date if timed else (date if spans else "")
    icon = draw(st.sampled_from(["", '<svg><use href="/images/icons.svg#doc"></use></svg>']))
    link = icon + (f'<a href="{href}" title="{_attr(text)}">x</a>' if by_attr else
                   f'<a href="{href}">{text}</a>')
    kind = draw(st.sampled_from(["item", "item", "nav", "nolink"]))
    if kind == "nav":
        return f'<li><a href="/jkqxxgk/c110001/">{title}</a>{spans}</li>', None
    if kind == "nolink":
        return f"<li><a>{title}</a>{spans}</li>", None
    return f"<li>{link}{spans}</li>", (pid, title, urljoin(PAGE, href), want_date, href)


@settings(max_examples=100, deadline=None)
@given(st.lists(list_items(), max_size=6), st.booleans())
def test_list_pages_give_each_detail_item_once_in_page_order(items, repeat):
    html = "".join(li for li, _ in items)
    if repeat:  # a post listed twice (a top-news block above the list) is one entry
        html += "".join(li for li, want in items if want is not None)
    listing = ucap.parse_list_page(f"<ul>{html}</ul>", PAGE)
    wanted, seen = [], set()
    for _, want in items:
        if want is not None and want[2] not in seen:
            seen.add(want[2])
            wanted.append(want)
    assert [(i.post_id, i.title, i.url, i.date, i.href) for i in listing.items] == wanted
    assert [i.raw() for i in listing.items] == [
        {"id": p, "title": t, "url": u, "date": d, "href": h} for p, t, u, d, h in wanted]
    assert listing.pager is None


def test_an_unparseable_page_is_a_platform_error_and_an_empty_one_has_nothing():
    with pytest.raises(PlatformError, match="^not an HTML page: "):
        ucap.parse_list_page('<?xml version="1.0" encoding="utf-8"?><ul></ul>', PAGE)
    assert ucap.parse_list_page("", PAGE).items == [] and ucap.page_links("", PAGE) == []


# --- detail pages ------------------------------------------------------------------------

@st.composite
def attachment_links(draw):
    """(anchor html, expected (url, name) or None) in a detail page."""
    fid = draw(HEX)
    ext = draw(st.sampled_from(["pdf", "PDF", "docx", "wps", "xls", "zip", "html", ""]))
    folder = draw(st.sampled_from(["files/", "upload/", "a.b/"]))
    path = f"{folder}{fid}" + (f".{ext}" if ext else "") + draw(st.sampled_from(["", "?v=1.2"]))
    text, name = draw(spaced_text())
    named = draw(st.sampled_from(["text", "generic", "title", "ext", "dot7", "empty"]))
    title = ""
    if named == "generic":
        text, title = draw(st.sampled_from(sorted(ucap._GENERIC_LINK_TEXTS))), name
    elif named == "title":
        text, title = "", name
    elif named == "ext":
        text = f"{text}.{ext or 'pdf'}"
        name = squashed(text)
    elif named == "dot7":  # a dot 7 characters from the end is no extension
        text = f"{text}.第1版正文稿"
        name = squashed(text)
    elif named == "empty":
        text, name = "", ""
    low = ext.lower()
    if low in ucap.ATTACHMENT_EXTS or folder == "files/":
        if name and low and "." not in name[-6:]:
            name = f"{name}.{low}"
        want = (urljoin(PAGE, path), name)  # the extension is the path's, never the query's
    else:
        want = None
    attrs = f' title="{_attr(title)}"' if title else ""
    return f'<a href="{path}"{attrs}>{text}</a>', want


TEMPLATES = {  # body selector → (title holder, body holder)
    "ucapcontent": ("<ucaptitle>{t}</ucaptitle>", "<ucapcontent>{b}</ucapcontent>"),
    "#UCAP-CONTENT": ("<h1 class='x article-title'>{t}</h1>", "<div id='UCAP-CONTENT'>{b}</div>"),
    "div.article-content": ("<h1 class='article-title'>{t}</h1>",
                            "<div class='a article-content'>{b}</div>"),
    "#zoomcon": ("<meta name='ArticleTitle' content=' {t} '>", "<div id='zoomcon'>{b}</div>"),
}


@st.composite
def detail_pages(draw):
    selector = draw(st.sampled_from(sorted(TEMPLATES)))
    title_html, body_html = TEMPLATES[selector]
    text, title = draw(spaced_text())
    body_links = draw(st.lists(attachment_links(), max_size=3))
    fj_links = draw(st.lists(attachment_links(), max_size=3))
    noise = ('<a href="#top">顶部</a><a href="javascript:print()">打印</a><a href="/jkqxxgk/">首页</a>'
             '<svg><use href="/files/icons.svg#pdf"></use></svg>')
    inner_fj = draw(st.booleans()) and selector == "div.article-content"
    fj = "<div class='fj-a'><p>附件：</p>" + "".join(a for a, _ in fj_links) + "</div>"
    own = "".join(a for a, _ in body_links)
    first = draw(st.booleans())
    body = "<p>正文</p>" + noise + (fj if inner_fj and first else "") + own + \
        (fj if inner_fj and not first else "")
    meta = draw(st.sampled_from(["", "<meta name='PubDate' content=' 2024-01-18 09:30:00 '>",
                                 "<meta name='PubDate'>"]))
    crumb, crumb_text = draw(st.sampled_from([
        ("", ""), ("<div class='xxgk-crumb'>位置：首页 &gt; 凤岗镇 &gt;  年度报告</div>",
                   "位置：首页 > 凤岗镇 > 年度报告")]))
    page = (f"<html><head>{meta}{title_html.format(t=text) if selector == '#zoomcon' else ''}"
            f"</head><body>{crumb}"
            f"{'' if selector == '#zoomcon' else title_html.format(t=text)}"
            f"{body_html.format(b=body)}{'' if inner_fj else fj}</body></html>")
    # the attachment union: body links first, then the fj-a block's, one per URL
    expected = merge_attachments(
        [ucap.AttachmentRef(u, n, listed_in={"body"}) for u, n in
         (want for _, want in body_links if want)],
        [ucap.AttachmentRef(u, n, listed_in={"fj-a"}) for u, n in
         (want for _, want in fj_links if want)])
    pub = {"": "", "<meta name='PubDate'>": ""}.get(meta, "2024-01-18 09:30:00")
    return page, selector, title.strip() if selector != "#zoomcon" else text.strip(), \
        expected, pub, crumb_text


@settings(max_examples=120, deadline=None)
@given(detail_pages())
def test_detail_pages_of_every_template(case):
    page, selector, title, expected, pub, crumb = case
    detail = ucap.parse_detail_page(page, PAGE)
    assert (detail.body_selector, detail.title, detail.pub_date, detail.crumb) == (
        selector, title, pub, crumb)
    assert detail.body_html.startswith("<p>正文</p>")
    assert [(a.url, a.name, a.listed_in) for a in detail.attachments] == [
        (a.url, a.name, a.listed_in) for a in expected]


@pytest.mark.parametrize("page", [
    "<html><body><ucaptitle>题</ucaptitle><p>无正文</p></body></html>",
    "<html><body><div id='zoomcon'>正文</div></body></html>",
    "<html><body><h1>题</h1><div id='zoomcon'>正文</div></body></html>",
    "",
])
def test_a_page_without_title_and_body_is_a_platform_error(page):
    with pytest.raises(PlatformError) as raised:
        ucap.parse_detail_page(page, PAGE)
    assert str(raised.value) == "no UCAP article (title and body) in page"


def test_attachment_links_of_a_node_default_to_the_body():
    tree = ucap._parse_html('<div><a href="files/a.pdf">甲</a></div>')
    assert [(r.name, r.listed_in) for r in ucap.attachment_links(tree, PAGE)] == [("甲.pdf", {"body"})]
    assert ucap.attachment_links(tree, PAGE, "fj-a")[0].listed_in == {"fj-a"}


@st.composite
def metadata_blocks(draw):
    labels = draw(st.lists(st.text("索引号发布机构文号ABXY", min_size=1, max_size=5),
                           min_size=1, max_size=4, unique=True))
    rows, expected = [], {}
    for label in labels:
        spaced = " ".join(label) + draw(st.sampled_from(["：", ":", ""]))
        text, value = draw(spaced_text())
        if draw(st.booleans()):  # the value repeats the label
            text = f"{spaced}{text}"
            value = squashed(text)
        rows.append(f"<dd><label>{spaced}</label><div>{text}</div></dd>")
        expected[label] = value
    return "<div class='meta-data'><dl>" + "".join(rows) + "</dl></div>", expected


@settings(max_examples=80, deadline=None)
@given(metadata_blocks())
def test_metadata_rows_keep_every_label_and_its_value(block):
    html, expected = block
    assert ucap.metadata_rows(ucap._parse_html(f"<html><body>{html}</body></html>")) == expected


# --- directory pages, shells and column URLs ---------------------------------------------

@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(spaced_text(), st.booleans(), st.sampled_from(["", "#x", "?a=1#y"])),
                max_size=5))
def test_page_links_with_text_or_title(links):
    html = '<html><head><link rel="stylesheet" href="/css/main.css"></head><body>' + "".join(
        (f'<a href="/u{i}/{frag}" title="{_attr(text)}"> </a>' if by_title else
         f'<a href="/u{i}/{frag}">{text}</a>') + '<a href="mailto:x@y">信箱</a>'
        for i, ((text, _), by_title, frag) in enumerate(links)) + \
        '<a href="/logo/"><img src="/logo.png"></a></body></html>'
    assert ucap.page_links(html, PAGE) == [
        ucap.Link(text.strip() if by_title else name,
                  ORIGIN + f"/u{i}/" + frag.split("#")[0])
        for i, ((text, name), by_title, frag) in enumerate(links)] + [
        ucap.Link("", ORIGIN + "/logo/")]


@given(st.text("凤岗镇党政办", min_size=0, max_size=14), st.sampled_from(ucap.REPORT_COLUMN_NAMES))
def test_report_column_names_are_short_and_end_with_a_report_word(unit, word):
    name = unit + word
    assert ucap.is_report_column_name(f" {name[:3]} {name[3:]}\n") == (len(name) <= 16)
    assert not ucap.is_report_column_name(name + "通知") and not ucap.is_report_column_name("")


@settings(max_examples=100, deadline=None)
@given(st.text("abcXYZ019_", min_size=1, max_size=6).filter(lambda s: s.strip("_")),
       st.text("cC0123456789_", min_size=1, max_size=8),
       st.sampled_from(["xxgk_list", "list", "Xlist_nb", None, "", "2bad", "a-b"]))
def test_unit_shells_name_their_column_and_template(site, code, temp):
    query = f"code={code}" + ("" if temp is None else f"&temp={temp}")
    url = f"{ORIGIN}/{site}/dept3/xxgk.shtml?{query}"
    template = temp if temp in ("xxgk_list", "list", "Xlist_nb") else None
    assert ucap.shell_column(url) == ucap.column_of(url) == \
        ucap.Column(f"{ORIGIN}/{site}/{code}/", template)


@pytest.mark.parametrize("url, message", [
    (f"{ORIGIN}/jkqxxgk/dept3/xxgk.shtml", "is neither a column folder nor one of its list pages"),
    (f"{ORIGIN}/jkqxxgk/dept3/xxgk.shtml?temp=list&code=", "is neither a column folder"),
    (f"{ORIGIN}/jkqxxgk/dept3/xxgk.shtml?code=c1;drop", "is neither a column folder"),
    (f"{COLUMN}202401/{'a' * 32}.shtml", "is a detail page, not a column"),
    ("ftp://h/c1/", "is not an http(s) URL"), ("http:///c1/", "is not an http(s) URL"),
])
def test_column_of_names_what_it_refuses(url, message):
    with pytest.raises(PlatformError) as raised:
        ucap.column_of(url)
    assert str(raised.value) == f"{url} {message}" or str(raised.value).startswith(f"{url} {message}")
    assert ucap.shell_column(url) is None


@given(st.sampled_from(["http", "https"]), st.sampled_from(["xlist", "list_zw_wj", None]))
def test_columns_over_http_and_https(scheme, template):
    base = f"{scheme}://sjj.ganzhou.gov.cn/c101082/"
    url = base + (f"{template}_3.shtml" if template else "")
    assert ucap.column_of(url) == ucap.Column(base, template)


def test_local_times_with_a_t_separator():
    assert ucap.timestamp_of("2023-08-16T10:33:59") == ucap.timestamp_of("2023-08-16 10:33:59") \
        == 1692153239.0
    assert ucap.timestamp_of("2023/8/16 10:33") == 1692153180.0


@settings(max_examples=60, deadline=None)
@given(HEX, st.sampled_from(["", ".pdf", ".DOCX", ".shtml"]), st.sampled_from(["?v=1.2", "?f=a.pdf",
                                                                              "", "#p.3"]),
       st.sampled_from(["files/", "upload/"]), spaced_text())
def test_an_attachment_extension_is_the_paths_never_the_querys(fid, ext, tail, folder, text):
    page = (f"<h1 class='article-title'>题</h1><div class='article-content'>"
            f"<a href='{folder}{fid}{ext}{tail}'>{text[0]}</a></div>")
    low = ext[1:].lower()
    documents = [] if low not in ucap.ATTACHMENT_EXTS and folder != "files/" else [
        (urljoin(PAGE, f"{folder}{fid}{ext}{tail}"), text[1] + (f".{low}" if low else ""))]
    assert [(a.url, a.name) for a in ucap.parse_detail_page(page, PAGE).attachments] == documents
