"""A larger simulated portal for the crawl benchmark: the fixture portal (``tests.portal``)
plus, on every site, ``news`` ordinary posts (only list pages see them) and ``reports`` extra
annual-report posts, each with a PDF attachment of unique bytes. ``tests/portal`` is used
as it is; the posts are added through its model, as ``Portal.add_report`` does.

Example::

    python -m bench.bigportal --port 8702 --news 3000 --reports 60
    # prints: portal listening on http://127.0.0.1:8702
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from pathlib import Path

from tests.portal.__main__ import serve_until_signalled
from tests.portal import Portal
from tests.portal.filler import family
from tests.portal.model import Attachment, Post

DOCUMENTS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "documents"
REPORT_PDF = DOCUMENTS / "dg-fenggang-2020.pdf"
YEARS = (2019, 2020, 2021, 2022, 2023, 2024)


def _town(name: str) -> str:
    name = name.removesuffix("人民政府")
    for city in ("东莞市", "广州市花都区"):
        name = name.removeprefix(city)
    return name


def grow(portal: Portal, news: int, reports: int) -> None:
    """Add ``news`` non-report posts and ``reports`` report posts to every site of ``portal``."""
    pdf = REPORT_PDF.read_bytes()
    next_id = {fam: max(p.id for s in portal.sites.values() if family(s) == fam
                        for p in s.posts.values()) + 7 for fam in ("dg", "huadu")}
    next_aid = {fam: max([a.aid for s in portal.sites.values() if family(s) == fam
                          for p in s.posts.values() for a in p.attachments]) + 11
                for fam in ("dg", "huadu")}
    start = datetime(2025, 3, 1, 9, 0)
    with portal.lock:
        for slug, site in portal.sites.items():
            fam, town = family(site), _town(site.name)
            news_cat = next(c.id for c in site.categories if c.name == "工作动态")
            for n in range(news + reports):
                post_id = next_id[fam]
                next_id[fam] += 7
                when = start + timedelta(minutes=n)
                attachments, year = [], None
                if n < reports:
                    year = YEARS[n % len(YEARS)]
                    title = f"{town}{year}年政府信息公开工作年度报告（第{n + 1}次更新）"
                    aid = next_aid[fam]
                    next_aid[fam] += 13
                    attachments = [Attachment(aid=aid, name=f"{title}.pdf", ext="pdf",
                                              data=pdf + f"\n% bench {slug} {n}\n".encode())]
                    classify = site.annual_category
                else:
                    title = f"{town}召开第{n}次安全生产工作会议"
                    classify = news_cat
                site.posts[post_id] = Post(
                    id=post_id, title=title, classify=classify, doc_date=when.date(),
                    published=when, body_html=f"<p>{title}。</p><p>详见附件。</p>",
                    attachments=attachments, report_year=year, publisher=site.name,
                    genre="报告" if year else "其他")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bigportal", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--news", type=int, default=3000)
    parser.add_argument("--reports", type=int, default=60)
    args = parser.parse_args(argv)
    portal = Portal(port=args.port)
    grow(portal, args.news, args.reports)
    return serve_until_signalled(portal)


if __name__ == "__main__":
    raise SystemExit(main())
