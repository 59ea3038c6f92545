"""Typed records of the simulated UCAP portal, its switches, and its fixture sites.

Three units of 赣州经济技术开发区 on gzjkq.ganzhou.gov.cn (site code ``jkqxxgk``), each with its
年度报告 column; every report's bytes come from ``tests/ucap_portal/documents/``. Ids are
deterministic (seeded by slug), so every run serves the same pages.

Example::

    sites = build_sites(load_documents(DOCUMENTS))
    site = sites["ganzhou-jkq-fenggang"]
    site.list_url("xxgk_list_nb", 2)    # 'https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/xxgk_list_nb_2.shtml'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from tests.portal.documents import FixtureDocument, load_documents, require
from tests.portal.model import CST

HOST = "gzjkq.ganzhou.gov.cn"
SITE_CODE = "jkqxxgk"
DOCUMENTS = Path(__file__).resolve().parent / "documents"

# Every [I] behaviour of ../shared/docs/ucap-platform.md, "What the simulated portal must serve".
SWITCHES = {
    "template_xlist": "凤岗镇's column answers under xlist instead of xxgk_list_nb (probe again)",
    "span_time": "list dates in <span class=\"time\">, after another <span>",
    "slash_dates": "list dates printed YYYY/MM/DD",
    "list_content": "Suqian's list markup: ul.listContent > li",
    "stale_count": "createPageHTML's record count is stale and its page count one too many",
    "empty_page_end": "past the last page a list answers 200 with no items (else 404)",
    "slow_attachments": "attachments wait 1-2.5 s, then dribble out",
    "flaky_attachments": "the first attempt at each attachment gets 503, the second is reset",
    "changed": "a new 2025 report, and new bytes (re-published) for 凤岗镇's 2023 PDF",
}


def hex_id(*parts: object) -> str:
    return hashlib.md5("/".join(map(str, parts)).encode()).hexdigest()


@dataclass
class UcapFile:
    """One attachment: ``{manuscript}/files/{hex}.{ext}`` relative to its detail page."""

    hex: str
    name: str  # the link text, the only name it has
    data: bytes
    ext: str
    in_body: bool = False  # linked from the body (else from div.fj-a)
    modified: datetime | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class UcapPost:
    manuscript: str
    title: str
    published: datetime
    body_html: str = "<p>详见附件。</p>"
    files: list[UcapFile] = field(default_factory=list)
    report_year: int | None = None  # None: not a report
    old_form: bool = False  # a 2018 content_ URL and the #UCAP-CONTENT template


@dataclass
class UcapSite:
    slug: str
    unit: str  # the unit's name in the breadcrumb and the directory
    column: str
    template: str  # the list template name the column answers under
    page_size: int
    posts: dict[str, UcapPost] = field(default_factory=dict)
    host: str = HOST

    @property
    def base(self) -> str:
        return f"https://{self.host}/{SITE_CODE}/{self.column}/"

    def list_url(self, template: str, page: int) -> str:
        return f"{self.base}{template}.shtml" if page <= 1 else f"{self.base}{template}_{page}.shtml"

    def detail_path(self, post: UcapPost) -> str:
        when = post.published
        if post.old_form:
            return f"/{SITE_CODE}/{self.column}/{when:%Y-%m}/{when.day:02d}/content_{post.manuscript}.shtml"
        return f"/{SITE_CODE}/{self.column}/{when:%Y%m}/{post.manuscript}.shtml"

    def detail_url(self, post: UcapPost) -> str:
        return f"https://{self.host}{self.detail_path(post)}"

    def file_href(self, post: UcapPost, file: UcapFile) -> str:
        return f"{post.manuscript}/files/{file.hex}.{file.ext}"

    def file_url(self, post: UcapPost, file: UcapFile) -> str:
        folder = self.detail_url(post).rsplit("/", 1)[0]
        return f"{folder}/{self.file_href(post, file)}"

    def newest_first(self) -> list[UcapPost]:
        return sorted(self.posts.values(), key=lambda p: (p.published, p.manuscript), reverse=True)


# (slug, unit, column, template, page size)
UNITS = (
    ("ganzhou-jkq-fenggang", "凤岗镇", "c110595", "xxgk_list_nb", 10),
    ("ganzhou-jkq-dzb", "党政办公室", "c110022", "list", 10),
    ("ganzhou-jkq-dqgzb", "党群工作部", "c110040", "common_list", 15),
)
# (slug, year, title as listed, documents: [(file, link text, in body)], html body file,
#  published (y, m, d), old form)
REPORTS = (
    ("ganzhou-jkq-fenggang", 2019, "凤岗镇2019年政府信息公开工作年度报告", [],
     "ganzhou-jkq-fenggang-2019.html", (2020, 1, 16), False),
    ("ganzhou-jkq-fenggang", 2020, "2020年凤岗镇政府信息公开工作年度报告",
     [("ganzhou-jkq-fenggang-2020.pdf", "2020年凤岗镇政府信息公开工作年度报告.pdf", False)],
     None, (2021, 1, 20), False),
    ("ganzhou-jkq-fenggang", 2021, "赣州经济技术开发区凤岗镇2021年政府信息公开工作年度报告",
     [("ganzhou-jkq-fenggang-2021.docx", "凤岗镇2021年政府信息公开工作年度报告", True)],
     None, (2022, 1, 21), False),
    ("ganzhou-jkq-fenggang", 2022, "凤岗镇2022年政府信息公开工作年度报告",
     [("ganzhou-jkq-fenggang-2022.doc", "凤岗镇2022年年报.doc", False)],
     "ganzhou-jkq-fenggang-2022.html", (2023, 1, 18), False),
    ("ganzhou-jkq-fenggang", 2023, "凤岗镇2023年政府信息公开工作年度报告",
     [("ganzhou-jkq-fenggang-2023.pdf", "凤岗镇2023年政府信息公开工作年度报告.pdf", False),
      ("ganzhou-jkq-fenggang-2023.docx", "凤岗镇2023年政府信息公开工作年度报告（文字版）.docx", False)],
     None, (2024, 1, 18), False),
    ("ganzhou-jkq-fenggang", 2024, "凤岗镇政府信息公开工作年度报告", [],
     "ganzhou-jkq-fenggang-2024.html", (2025, 1, 20), False),
    ("ganzhou-jkq-dzb", 2021, "赣州经济技术开发区党政办公室2021年政府信息公开工作年度报告",
     [("ganzhou-jkq-dzb-2021.docx", "党政办公室2021年政府信息公开工作年度报告.docx", False)],
     None, (2022, 1, 25), False),
    ("ganzhou-jkq-dzb", 2022, "赣州经济技术开发区党政办公室2022年政府信息公开工作年度报告",
     [("ganzhou-jkq-dzb-2022.pdf", "党政办公室2022年政府信息公开工作年度报告.pdf", True)],
     None, (2023, 1, 29), False),
    ("ganzhou-jkq-dzb", 2023, "赣州经济技术开发区党政办公室2023年政府信息公开工作年度报告",
     [("ganzhou-jkq-dzb-2023.doc", "党政办公室2023年政府信息公开工作年度报告.doc", False)],
     None, (2024, 1, 26), False),
    ("ganzhou-jkq-dqgzb", 2017, "党群工作部2017年政府信息公开工作年度报告",
     [("ganzhou-jkq-dqgzb-2017.pdf", "党群工作部2017年政府信息公开工作年度报告.pdf", True)],
     None, (2018, 1, 30), True),
    ("ganzhou-jkq-dqgzb", 2019, "党群工作部2019年政府信息公开工作年度报告", [],
     "ganzhou-jkq-dqgzb-2019.html", (2020, 1, 14), False),
    ("ganzhou-jkq-dqgzb", 2020, "党群工作部2020年政府信息公开工作年度报告",
     [("ganzhou-jkq-dqgzb-2020.pdf", "党群工作部2020年政府信息公开工作年度报告.pdf", False)],
     None, (2021, 1, 22), False),
)
# Posts of the same columns that are not reports and must be ignored.
DECOYS = (
    "{unit}2020年法治政府建设年度报告", "关于报送2021年政府信息公开工作年度报告的通知",
    "{unit}政府信息公开指南", "{unit}2022年部门决算", "{unit}2023年部门预算",
    "{unit}2021年度统计年报", "政府信息公开工作年度报告解读",
)
NEWS = ("召开安全生产工作会议", "开展防汛应急演练", "组织学习贯彻会议精神", "开展文明城市创建活动",
        "召开乡村振兴工作推进会", "开展消防安全检查", "组织志愿服务活动", "开展普法宣传进社区")


def build_sites(docs: dict[str, FixtureDocument] | None = None) -> dict[str, UcapSite]:
    docs = docs if docs is not None else load_documents(DOCUMENTS)
    sites = {slug: UcapSite(slug, unit, column, template, size)
             for slug, unit, column, template, size in UNITS}
    for slug, year, title, files, body, (y, m, d), old in REPORTS:
        post = UcapPost(hex_id(slug, year, "report"), title, datetime(y, m, d, 9, 30, tzinfo=CST),
                        report_year=year, old_form=old)
        if body:
            post.body_html = require(docs, body).text
        post.files = [UcapFile(hex_id(slug, file), text, require(docs, file).data,
                               file.rsplit(".", 1)[1], in_body=in_body)
                      for file, text, in_body in files]
        sites[slug].posts[post.manuscript] = post
    for site in sites.values():
        _add_filler(site)
    return sites


def _add_filler(site: UcapSite) -> None:
    """Decoys and news, spread over 2018–2024, enough for several list pages."""
    count = {"ganzhou-jkq-fenggang": 26, "ganzhou-jkq-dzb": 12, "ganzhou-jkq-dqgzb": 20}[site.slug]
    titles = [t.format(unit=site.unit) for t in DECOYS] + [f"{site.unit}{n}" for n in NEWS]
    for n in range(count):
        title = titles[n % len(titles)] + ("" if n < len(titles) else f"（{n // len(titles) + 1}）")
        when = datetime(2018, 3, 1, 10, 0, tzinfo=CST) + timedelta(days=97 * n + 13)
        post = UcapPost(hex_id(site.slug, "filler", n), title, when,
                        body_html=f"<p>{title}。</p>")
        if "法治政府" in title or "决算" in title:
            post.files = [UcapFile(hex_id(site.slug, "filler-file", n), f"{title}.pdf",
                                   b"%PDF-1.4\n% not an annual report\n%%EOF\n", "pdf")]
        site.posts[post.manuscript] = post


def apply_changed(sites: dict[str, UcapSite], docs: dict[str, FixtureDocument] | None = None) -> None:
    """The ``changed`` state: a new 2025 report of 凤岗镇, and its 2023 PDF re-published with
    new bytes (UCAP lists show the new publication date)."""
    site = sites["ganzhou-jkq-fenggang"]
    new_pdf = (DOCUMENTS / "ganzhou-jkq-dqgzb-2020.pdf").read_bytes()
    post = UcapPost(hex_id(site.slug, 2025, "report"), "凤岗镇2025年政府信息公开工作年度报告",
                    datetime(2026, 1, 15, 9, 0, tzinfo=CST), report_year=2025,
                    files=[UcapFile(hex_id(site.slug, 2025), "凤岗镇2025年年报.pdf", new_pdf, "pdf")])
    site.posts[post.manuscript] = post
    old = next(p for p in site.posts.values() if p.report_year == 2023)
    replace_file(site, old, old.files[0].hex, (DOCUMENTS / "ganzhou-jkq-dzb-2022.pdf").read_bytes())


def replace_file(site: UcapSite, post: UcapPost, file_hex: str, data: bytes) -> None:
    """New bytes at the same URL; the post is re-published today (its list date changes)."""
    file = next(f for f in post.files if f.hex == file_hex)
    file.data = data
    file.modified = datetime.now(CST)
    post.published = post.published.replace(day=min(post.published.day + 1, 28), hour=16)
