"""The gkmlpt rules the crawl relies on, checked on generated inputs against the platform doc:
list paging ends, jump entries, canonical links, the attachment bucket rule, body attachment
links and the shell's search service. Expectations are built from the generated parts, not by
the parser.
"""

from __future__ import annotations

import json
from urllib.parse import urljoin

from hypothesis import example, given, settings, strategies as st

from crawler.platforms import gkmlpt

SEGMENT = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)


# --- list paging -------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 100), min_size=1, max_size=7), st.booleans(), st.booleans())
def test_paging_walks_exactly_the_pages_that_hold_the_total(sizes, send_offset, full_pages):
    """Pages of the sizes drawn (full pages of 100 but the last when no offset is sent): the walk
    ends on the page that reaches ``total``, never earlier, whatever the page sizes."""
    if full_pages or not send_offset:
        sizes = [100] * (len(sizes) - 1) + sizes[-1:]
    total, ends, offset = sum(sizes), [], 0
    for page, size in enumerate(sizes, start=1):
        answer = {"total": total, "articles": [{"id": offset + i} for i in range(size)]}
        if send_offset:
            answer["offset"] = offset
        listing = gkmlpt.parse_list_page(json.dumps(answer))
        assert listing.offset == (offset if send_offset else None)
        offset += size
        ends.append(listing.is_last(page))
        # the pages still to come (the queue's order of the longest lists first): whole pages
        # of 100, the last one counted though short; the later pages' real sizes when full
        left = total - offset
        assert listing.pages_after(page) == (left + 99) // 100
        assert type(listing.pages_after(page)) is int
        if full_pages or not send_offset:
            assert listing.pages_after(page) == len(sizes) - page
    assert ends == [False] * (len(sizes) - 1) + [True]


@given(st.integers(0, 5), st.integers(0, 500), st.sampled_from(["12", None, 1.5, [3]]))
def test_a_page_without_articles_ends_and_a_page_without_total_never_does(page, n, total):
    assert gkmlpt.parse_list_page(json.dumps({"total": n, "articles": []})).is_last(page)
    listing = gkmlpt.parse_list_page(json.dumps({"total": total, "offset": "0",
                                                 "articles": [{"id": 1}]}))
    assert (listing.total, listing.offset) == (None, None) and not listing.is_last(page)


def test_page_zero_counts_as_page_one():
    listing = gkmlpt.parse_list_page(json.dumps({"total": 100, "articles": [{"id": 1}] * 100}))
    assert listing.is_last(0) and listing.is_last(1) and not \
        gkmlpt.parse_list_page(json.dumps({"total": 101, "articles": [{"id": 1}] * 100})).is_last(0)


@given(st.one_of(st.sampled_from(["url", "URL", "Url", "uRl"]),
                 st.sampled_from(["normal", "", None, "link", "urls", "NORMAL", 0]),
                 st.none()), st.booleans())
def test_jump_entries_are_type_url_in_any_case(kind, present):
    article = {"id": 1, **({"type": kind} if present else {})}
    listed = gkmlpt.parse_list_page(json.dumps({"articles": [article]})).articles[0]
    assert gkmlpt.is_jump_entry(listed) == (present and str(kind).lower() == "url")


# --- canonical links ---------------------------------------------------------------------

@st.composite
def site_links(draw):
    bare = draw(SEGMENT) + ".gov.cn"
    allowed = f"www.{bare}"
    link_host = draw(st.sampled_from([allowed, bare, allowed.upper(), bare.upper(),
                                      "other.gov.cn"]))
    port = draw(st.sampled_from(["", ":8080"]))
    user = draw(st.sampled_from(["", "Ab@", f"{bare}@", f"U:{bare}@"]))  # kept as written
    scheme, page_scheme = draw(st.sampled_from(["http", "https"])), draw(st.sampled_from(
        ["http", "https"]))
    path = "/" + "/".join(draw(st.lists(SEGMENT, min_size=1, max_size=3))) + "/post_1.html"
    params = draw(st.lists(st.sampled_from(["a=1", "b=2", "jump=true", "JUMP=True", "", "c="]),
                           max_size=4))
    fragment = draw(st.sampled_from(["", "#6198", "#"]))
    link = f"{scheme}://{user}{link_host}{port}{path}" + ("?" + "&".join(params) if params else "")
    page_url = f"{page_scheme}://{allowed}/p/gkmlpt/index"
    host = allowed if link_host.lower() in (allowed, bare) else link_host.lower()
    same_host = host == allowed
    scheme = "https" if scheme == "http" and page_scheme == "https" and same_host else scheme
    query = "&".join(p for p in params if p and p.lower() != "jump=true")
    expected = f"{scheme}://{user}{host}{port}{path}" + (f"?{query}" if query else "")
    return link + fragment, page_url, {allowed}, expected


@settings(max_examples=300, deadline=None)
@given(site_links(), st.text(" \t\n", max_size=2))
def test_canonical_links_follow_the_site(case, space):
    link, page_url, hosts, expected = case
    assert gkmlpt.canonical_link(space + link + space, page_url, hosts) == expected


@given(st.sampled_from(["mailto:a@www.x.gov.cn", "javascript:void(0)", "ftp://x.gov.cn/a#b",
                        "http:///nohost#3"]))
def test_links_that_are_not_http_pages_are_returned_as_they_are(link):
    assert gkmlpt.canonical_link(link, "https://www.x.gov.cn/", {"www.x.gov.cn"}) == \
        link.split("#")[0]


def test_relative_links_resolve_against_the_page():
    assert gkmlpt.canonical_link("../c/post_2.html?jump=true#7", "https://x.gov.cn/a/b/index",
                                 {"www.x.gov.cn"}) == "https://www.x.gov.cn/a/c/post_2.html"


# --- the attachment bucket rule ----------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**10), st.integers(1, 10**9), st.sampled_from(["pdf", "docx", "xls"]),
       st.sampled_from(["www.dg.gov.cn", "www.huadu.gov.cn", "www.gd.gov.cn"]),
       # a site prefix is never itself a gkmlpt folder (the prefix ends at the first one)
       st.lists(SEGMENT.filter(lambda s: s != "gkmlpt"), max_size=2),
       st.sampled_from(["http", "https"]))
@example(0, 1, "pdf", "www.huadu.gov.cn", ["gkmlpt2"], "http")
def test_bucket_urls_split_the_attachment_id_by_thousands(aid, post_id, ext, host, prefix,
                                                          scheme):
    site = "".join(f"/{p}" for p in prefix)
    digits = str(aid)
    millions, thousands = digits[:-6] or "0", digits[:-3] or "0"
    root = "" if host == "www.dg.gov.cn" else site
    assert gkmlpt.bucket_attachment_url(f"{scheme}://{host}{site}/gkmlpt/", aid, post_id, ext) == \
        f"{scheme}://{host}{root}/attachment/{millions}/{thousands}/{aid}/{post_id}.{ext}"
    # the site prefix ends at the first /gkmlpt/ folder, as gkmlpt_base cuts it
    assert gkmlpt.bucket_attachment_url(f"{scheme}://{host}{site}/gkmlpt/x/gkmlpt/", aid,
                                        post_id, ext) == \
        f"{scheme}://{host}{root}/attachment/{millions}/{thousands}/{aid}/{post_id}.{ext}"
    # a base without /gkmlpt/ has no site prefix
    assert gkmlpt.bucket_attachment_url(f"{scheme}://{host}{site}/", aid, post_id, ext) == \
        f"{scheme}://{host}/attachment/{millions}/{thousands}/{aid}/{post_id}.{ext}"


# --- body attachment links ---------------------------------------------------------------

SITE_BASE = "https://www.huadu.gov.cn/gzhdslz/gkmlpt/"
PAGE = SITE_BASE + "content/1/1/post_77.html"
NOWHERE = ("", None, "#", "javascript:void(0)", " JavaScript:; ")


@st.composite
def body_links(draw):
    """(anchor html, expected (url, name, attachment id) or None, whether the expected URL is
    rebuilt by the bucket rule) for one body link."""
    aid = draw(st.integers(1, 10**8))
    stem = draw(st.sampled_from(["报告", "a.b", "年报 全文"]))
    ext = draw(st.sampled_from(["pdf", "PDF", "Docx"]))
    name = f"{stem}.{ext}"
    kind = draw(st.sampled_from(["class", "path", "bucket", "bucket-no-id", "bucket-no-dot",
                                 "other", "relative"]))
    href = draw(st.sampled_from(NOWHERE))
    attr = "" if href is None else f' href="{href}"'
    if kind == "class":
        url = f"/files/{aid}.{ext}"
        return (f'<a class="x nfw-cms-attachment" href=" {url} " attachment-id="{aid}" '
                f'alt="{name}">点击下载</a>', (urljoin(PAGE, url), name, aid), False)
    if kind == "path":
        url = f"https://www.huadu.gov.cn/gzhdslz/attachment/0/1/{aid}.{ext}"
        return f'<a href="{url}" title="{name}">{name}</a>', (url, name, None), False
    if kind == "relative":
        return (f'<a href="../../../attachment/{aid}.{ext}">点击下载</a>',
                (urljoin(PAGE, f"../../../attachment/{aid}.{ext}"), "", None), False)
    if kind == "bucket":
        url = gkmlpt.bucket_attachment_url(SITE_BASE, aid, 77, ext.lower())
        return (f'<a class="nfw-cms-attachment"{attr} attachment-id="{aid}" alt="{name}">'
                f'{name}</a>', (url, name, aid), True)
    if kind == "bucket-no-id":
        return f'<a class="nfw-cms-attachment"{attr} alt="{name}">{name}</a>', None, True
    if kind == "bucket-no-dot":
        return f'<a class="nfw-cms-attachment"{attr} attachment-id="{aid}">点击下载</a>', None, True
    return f'<a href="/gzhdslz/content/post_{aid}.html">{name}</a>', None, False


@settings(max_examples=300, deadline=None)
@given(st.lists(body_links(), max_size=6), st.booleans())
def test_body_attachment_links_and_rebuilt_bucket_urls(links, with_site):
    body = "<p>" + "</p><p>".join(html for html, _, _ in links) + "</p>"
    refs = gkmlpt.body_attachment_links(body, PAGE, 77 if with_site else None,
                                        SITE_BASE if with_site else None)
    expected = [want for _, want, rebuilt in links if want is not None and (with_site or not rebuilt)]
    assert [(r.url, r.name, r.attachment_id) for r in refs] == expected
    assert all(r.listed_in == {"body"} for r in refs)
    assert gkmlpt.body_attachment_links(" \n ", PAGE) == []


# --- the shell's services ----------------------------------------------------------------

@given(st.sampled_from(["'", '"']), st.booleans(), st.booleans(), SEGMENT)
def test_shell_config_names_the_search_service_when_it_has_one(quote, search, sid, name):
    url = f"https://search.gd.gov.cn/jsonp/site/{name}"
    config = ", ".join([f"APP_URL: {quote}https://www.x.gov.cn/{name}{quote}",
                        *([f"SEARCH_JSONP_URL: {quote}{url}{quote}"] if search else []),
                        *(["SID: '755001'"] if sid else []), "TREE: []"])
    shell = gkmlpt.parse_shell_config(f"<script>window._CONFIG = {{ {config} }};</script>")
    assert (shell.search_url, shell.sid, shell.app_url) == (
        url if search else None, "755001" if sid else None, f"https://www.x.gov.cn/{name}")
