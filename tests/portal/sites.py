"""The fixture sites of the simulated portal: five gkmlpt sites on three hosts.

Slugs, hosts, prefixes, SIDs, category ids and entry URLs are contracts shared with
``config/sites.toml`` and the crawler tests; the report table below is the truth that
``Portal.expected()`` reports.

Example::

    sites = build_sites(load_documents())
    sites["dg-fenggang"].entry_url          # 'http://www.dg.gov.cn/fg/'
    len(sites["dg-qingxi"].posts)           # 160-odd posts, 5 of them reports
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .documents import FixtureDocument, require
from .filler import add_filler, assign_ids, family
from .model import Attachment, Category, Escape, Post, Site
from .variants import add_variant_posts

DG_COLUMN = "/zwgk/zfxxgkml/{code}/zfxxgkgzndbg/"  # {code}: the gkmlpt prefix without "dg"
HUADU_TOWNS_COLUMN = "/xxgk/xxgkml/xxgknb/gzj/"  # 各镇街: every Huadu town's reports


@dataclass(frozen=True)
class ReportSpec:
    """One annual report post: its files (an .html file is the body, the rest attachments)."""

    year: int
    title: str
    files: tuple[str, ...]
    published: datetime
    prose: bool = False  # body is a paragraph of prose, not the "详见附件" stub
    classify: int | None = None  # filed in this ordinary category instead of the annual one
    body_only: tuple[str, ...] = ()  # linked from the body, absent from attachment[]
    list_only: tuple[str, ...] = ()  # in attachment[], not linked from the body
    click_text: bool = False  # link text "点击下载" instead of the file name
    portal_only: bool = False  # the API url is the portal-template page
    column_only: bool = False  # portal_columns: only in the portal's report column
    source: str = ""  # ContentSource when it is not the site's name (e.g. a title naming none)


def _dt(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M")


def _cats(*rows: tuple) -> list[Category]:
    return [Category(*row) for row in rows]


SITES: dict[str, Site] = {
    "dg-fenggang": Site(
        slug="dg-fenggang", name="东莞市凤岗镇人民政府", host="www.dg.gov.cn", scheme="http",
        prefix="/dgfgz", sid="769120", entry_url="http://www.dg.gov.cn/fg/",
        annual_category=2680, portal_root="/fg/", portal_column="/fg/zwgk/",
        report_column=DG_COLUMN.format(code="fgz"),
        org_code="11441900007141532A", escape=Escape.HEX,
        categories=_cats((2675, "政府信息公开指南"), (2676, "政府信息公开制度"),
                         (2677, "机构职能"), (2678, "工作动态"), (2679, "通知公告"),
                         (2680, "政府信息公开年报"), (2681, "财政预决算"),
                         (2682, "政务服务", 0, "http://www.gdzwfw.gov.cn/"))),
    "dg-qingxi": Site(
        slug="dg-qingxi", name="东莞市清溪镇人民政府", host="www.dg.gov.cn", scheme="http",
        prefix="/dgqxz", sid="769121", entry_url="http://www.dg.gov.cn/dgqxz/gkmlpt/index",
        annual_category=3301, portal_root="/qingxi/", portal_column="/qingxi/zwgk/",
        report_column=DG_COLUMN.format(code="qxz"),
        org_code="11441900007141575T", escape=Escape.HEX,
        categories=_cats((3295, "政府信息公开指南"), (3296, "工作动态"), (3297, "通知公告"),
                         (3300, "法定主动公开内容"), (3301, "政府信息公开工作年度报告", 3300),
                         (3302, "财政预决算", 3300), (3303, "规划计划", 3300))),
    "huadu-shiling": Site(
        slug="huadu-shiling", name="广州市花都区狮岭镇人民政府", host="www.huadu.gov.cn",
        scheme="https", prefix="/gzhdslz", sid="200123",
        entry_url="https://www.huadu.gov.cn/gzhdslz/gkmlpt/annualreport#6198",
        annual_category=6198, portal_column="/hdslz/zwgk/", attachments_at_root=False,
        report_column=HUADU_TOWNS_COLUMN,
        org_code="11440114MB2C91453G", escape=Escape.PLAIN,
        categories=_cats((6190, "政府信息公开指南"), (6191, "工作动态"), (6192, "通知公告"),
                         (6198, "政府信息公开年报"), (6199, "财政资金"))),
    "huadu-chini": Site(
        slug="huadu-chini", name="广州市花都区赤坭镇人民政府", host="www.huadu.gov.cn",
        scheme="https", prefix="/gzhdcnz", sid="200124",
        entry_url="https://www.huadu.gov.cn/gzhdcnz/gkmlpt/index#6160",
        annual_category=6160, portal_column="/hdcnz/zwgk/", attachments_at_root=False,
        report_column=HUADU_TOWNS_COLUMN,
        org_code="11440114MB2C9146XK", escape=Escape.PLAIN,
        categories=_cats((6155, "政府信息公开指南"), (6156, "工作动态"), (6157, "通知公告"),
                         (6160, "政府信息公开年报"), (6161, "部门预决算"))),
    "dg-zjj": Site(
        slug="dg-zjj", name="东莞市住房和城乡建设局", host="zjj.dg.gov.cn", scheme="https",
        prefix="", sid="769045", entry_url="https://zjj.dg.gov.cn/gkmlpt/index",
        annual_category=2217, portal_column="/zwgk/", org_code="11441900007138838N",
        escape=Escape.HEX,
        categories=_cats((2210, "政府信息公开指南"), (2211, "政策法规"),
                         (2212, "规范性文件", 2211), (2213, "工作动态"), (2214, "通知公告"),
                         (2217, "政府信息公开年度报告"), (2218, "部门预决算"))),
}

REPORTS: dict[str, tuple[ReportSpec, ...]] = {
    "dg-fenggang": (
        ReportSpec(2018, "凤岗镇2018年政府信息公开工作年度报告", (), _dt("2019-01-29 10:30"),
                   column_only=True),
        ReportSpec(2019, "东莞市凤岗镇2019年政府信息公开工作年度报告",
                   ("dg-fenggang-2019.html",), _dt("2020-01-17 10:03")),
        ReportSpec(2020, "凤岗镇2020年政府信息公开工作年度报告",
                   ("dg-fenggang-2020.pdf",), _dt("2021-01-22 16:41")),
        ReportSpec(2021, "凤岗镇政府信息公开工作年度报告",  # no year in the title
                   ("dg-fenggang-2021.docx",), _dt("2022-01-25 09:30"), prose=True),
        ReportSpec(2022, "东莞市凤岗镇2022年政府信息公开工作年度报告",
                   ("dg-fenggang-2022.doc",), _dt("2023-01-19 11:15")),
        ReportSpec(2023, "东莞市凤岗镇人民政府2023年度政府信息公开工作年度报告",
                   ("dg-fenggang-2023.xls",), _dt("2024-01-26 15:20")),
    ),
    "dg-qingxi": (
        ReportSpec(2019, "清溪镇2019年政府信息公开工作年度报告",
                   ("dg-qingxi-2019.doc",), _dt("2020-02-28 17:05"), click_text=True),
        ReportSpec(2020, "2020年清溪镇政府信息公开工作 年度报告",  # the space is real
                   ("dg-qingxi-2020.pdf", "dg-qingxi-2020-annex.pdf"), _dt("2021-01-29 10:10")),
        ReportSpec(2021, "清溪镇2021年政府信息公开工作年度报告",
                   ("dg-qingxi-2021-scan.pdf",), _dt("2022-01-21 09:00")),
        ReportSpec(2022, "东莞市清溪镇2022年政府信息公开工作年度报告",
                   ("dg-qingxi-2022.html", "dg-qingxi-2022.docx"), _dt("2023-01-31 14:45")),
        ReportSpec(2024, "清溪镇2024年政府信息公开工作年度报告", ("dg-qingxi-2024.pdf",),
                   _dt("2025-01-24 08:50"), classify=3296),  # filed under 工作动态
    ),
    "huadu-shiling": (
        ReportSpec(2018, "广州市花都区狮岭镇2018年政府信息公开工作年度报告", (),
                   _dt("2019-01-25 15:00"), column_only=True),
        ReportSpec(2019, "广州市花都区狮岭镇2019年政府信息公开工作年度报告",
                   ("huadu-shiling-2019.docx",), _dt("2020-01-20 10:00")),
        ReportSpec(2020, "广州市花都区狮岭镇2020年政府信息公开工作年度报告",
                   ("huadu-shiling-2020.pdf",), _dt("2021-01-26 09:12")),
        ReportSpec(2021, "花都区狮岭镇2021年度政府信息公开工作年度报告",
                   ("huadu-shiling-2021.html",), _dt("2022-01-28 16:00")),
        ReportSpec(2022, "广州市花都区狮岭镇2022年政府信息公开工作年度报告",
                   ("huadu-shiling-2022.pdf", "huadu-shiling-2022-annex.docx"),
                   _dt("2023-01-30 11:30"), body_only=("huadu-shiling-2022-annex.docx",)),
        ReportSpec(2023, "狮岭镇2023年政府信息公开年报",
                   ("huadu-shiling-2023.wps",), _dt("2024-01-31 10:20")),
    ),
    "huadu-chini": (
        ReportSpec(2019, "2019年政府信息公开工作年度报告", (), _dt("2020-01-21 09:40"),
                   column_only=True),  # names no body: only its ContentSource tells
        ReportSpec(2020, "广州市花都区赤坭镇2020年政府信息公开工作年度报告",
                   ("huadu-chini-2020.pdf",), _dt("2021-01-27 15:33"), click_text=True),
        ReportSpec(2021, "赤坭镇2021年政府信息公开工作年度报告",
                   ("huadu-chini-2021.xlsx",), _dt("2022-01-24 10:48")),
        ReportSpec(2022, "广州市花都区赤坭镇2022年政府信息公开工作年度报告",
                   ("huadu-chini-2022.html",), _dt("2023-01-18 09:05"), portal_only=True),
        ReportSpec(2023, "赤坭镇2023年政府信息公开工作年度报告", ("huadu-chini-2023.docx",),
                   _dt("2024-01-22 17:40"), list_only=("huadu-chini-2023.docx",)),
    ),
    "dg-zjj": (
        ReportSpec(2021, "东莞市住房和城乡建设局2021年政府信息公开工作年度报告",
                   ("dg-zjj-2021.pdf",), _dt("2022-01-27 10:00")),
        ReportSpec(2023, "东莞市住房和城乡建设局2023年政府信息公开工作年度报告",
                   ("dg-zjj-2023.png",), _dt("2024-01-30 15:00")),
        ReportSpec(2024, "东莞市住房和城乡建设局2024年政府信息公开工作年度报告",
                   ("dg-zjj-2024.pdf",), _dt("2025-01-23 11:00")),
    ),
}


# portal_columns: bodies that publish in Huadu's shared column and are no fixture site.
OTHER_BODIES: dict[str, Site] = {
    "huadu-tanbu": Site(
        slug="huadu-tanbu", name="广州市花都区炭步镇人民政府", host="www.huadu.gov.cn",
        scheme="https", prefix="/gzhdtbz", sid="200131", entry_url="", annual_category=6230,
        categories=_cats((6230, "政府信息公开年报")), attachments_at_root=False,
        report_column=HUADU_TOWNS_COLUMN, escape=Escape.PLAIN),
    "huadu-xinhua": Site(
        slug="huadu-xinhua", name="广州市花都区新华街道办事处", host="www.huadu.gov.cn",
        scheme="https", prefix="/gzhdxhjd", sid="200135", entry_url="", annual_category=6250,
        categories=_cats((6250, "政府信息公开年报")), attachments_at_root=False,
        report_column=HUADU_TOWNS_COLUMN, escape=Escape.PLAIN),
}
# (body, year, title, published): each with one PDF; the short name is what a title says.
OTHER_REPORTS = (
    ("huadu-tanbu", 2021, "广州市花都区炭步镇2021年政府信息公开工作年度报告", "2022-01-20 10:00"),
    ("huadu-tanbu", 2022, "广州市花都区炭步镇2022年政府信息公开工作年度报告", "2023-01-17 16:20"),
    ("huadu-tanbu", 2023, "炭步镇2023年政府信息公开工作年度报告", "2024-01-19 11:05"),
    ("huadu-xinhua", 2022, "花都区新华街道2022年政府信息公开工作年度报告", "2023-01-29 09:15"),
    ("huadu-xinhua", 2023, "2023年政府信息公开工作年度报告", "2024-01-26 14:30"),  # no body named
)
SHORT_NAMES = {"huadu-tanbu": "炭步镇", "huadu-xinhua": "新华街道"}


def _other_post(site: Site, year: int, title: str, published: str) -> Post:
    when = _dt(published)
    data = f"%PDF-1.4\n% {title} ({site.name})\n%%EOF\n".encode()
    att = Attachment(aid=0, name=f"{title}.pdf", ext="pdf", data=data)
    return Post(id=0, title=title, classify=site.annual_category, doc_date=when.date(),
                published=when, body_html="<p>详见附件。</p>", attachments=[att],
                report_year=year, publisher=site.name, genre="报告", column_only=True)


def column_report_body(site: Site, spec: ReportSpec) -> str:
    """A report published as an HTML body with its tables (the column-only ones)."""
    rows = "".join(f"<tr><td>{label}</td><td>{n}</td></tr>" for label, n in (
        ("主动公开规章", 0), ("主动公开规范性文件", 2 + spec.year % 5),
        ("收到政府信息公开申请", 3 + spec.year % 7), ("行政复议", 0), ("行政诉讼", 0)))
    return (f"<p>根据《中华人民共和国政府信息公开条例》，{site.name}编制{spec.year}年度"
            f"政府信息公开工作年度报告。</p><table border=\"1\">{rows}</table>")


def report_body(site: Site, spec: ReportSpec, docs: dict[str, FixtureDocument]) -> str:
    """The body HTML before attachment links: an HTML fragment, prose, or the stub."""
    html = [f for f in spec.files if f.endswith(".html")]
    if html:
        return require(docs, html[0]).text
    if not spec.files:
        return column_report_body(site, spec)
    if spec.prose:
        return (f"<p>{spec.year}年，{site.name}认真贯彻落实《中华人民共和国政府信息公开条例》，"
                f"现将{spec.year}年度政府信息公开工作情况报告如下，全文见附件。</p>")
    if spec.list_only:
        return f"<p>现将{site.name}{spec.year}年政府信息公开工作年度报告予以公布。</p>"
    return "<p>详见附件。</p>"


def report_post(site: Site, spec: ReportSpec, docs: dict[str, FixtureDocument]) -> Post:
    """Build the post of one report; ids are assigned later by :func:`assign_ids`."""
    attachments = []
    for file in spec.files:
        if file.endswith(".html"):
            continue
        doc = require(docs, file)
        ext = file.rsplit(".", 1)[1]
        label = (doc.title or "附件") if doc.role == "annex" else spec.title.replace(" ", "")
        attachments.append(Attachment(
            aid=0, name=f"{label}.{ext}", ext=ext, data=doc.data,
            in_list=file not in spec.body_only, in_body=file not in spec.list_only,
            link_text="点击下载" if spec.click_text else None))
    return Post(id=0, title=spec.title, classify=spec.classify or site.annual_category,
                doc_date=spec.published.date(), published=spec.published,
                body_html=report_body(site, spec, docs), attachments=attachments,
                report_year=spec.year, publisher=site.name, genre="报告",
                portal_only=spec.portal_only, column_only=spec.column_only, source=spec.source)


def _copy(template: Site) -> Site:
    return Site(**{**template.__dict__, "posts": {},
                   "categories": [Category(**c.__dict__) for c in template.categories]})


def build_world(docs: dict[str, FixtureDocument],
                switches=frozenset()) -> tuple[dict[str, Site], dict[str, Site]]:
    """Fresh, mutable copies of every fixture site with its reports and filler posts, and
    (``portal_columns``) the other bodies publishing in a shared report column."""
    columns = "portal_columns" in switches
    built: dict[str, Site] = {}
    by_family: dict[str, list[Post]] = {}
    pending: dict[str, list[Post]] = {}
    for slug, template in SITES.items():
        site = _copy(template)
        posts = [report_post(site, spec, docs) for spec in REPORTS[slug]
                 if columns or not spec.column_only]
        posts += add_filler(site) + add_variant_posts(site, switches)
        by_family.setdefault(family(site), []).extend(posts)
        built[slug], pending[slug] = site, posts
    others = {slug: _copy(template) for slug, template in OTHER_BODIES.items()} if columns else {}
    for slug, year, title, published in OTHER_REPORTS if columns else ():
        pending.setdefault(slug, []).append(_other_post(others[slug], year, title, published))
        by_family.setdefault(family(others[slug]), []).append(pending[slug][-1])
    assign_ids(by_family)
    for slug, posts in pending.items():
        (built.get(slug) or others[slug]).posts = {p.id: p for p in sorted(posts, key=lambda p: p.id)}
    return built, others


def build_sites(docs: dict[str, FixtureDocument], switches=frozenset()) -> dict[str, Site]:
    """The fixture sites alone (see :func:`build_world`)."""
    return build_world(docs, switches)[0]
