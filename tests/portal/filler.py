"""Non-report posts of the fixture sites (news, notices, decoys) and id assignment.

Every site gets decoys whose titles look like annual reports but are not (法治政府建设年度报告,
企业年报公示, 政府信息公开指南, 部门决算), and ordinary news. ``dg-qingxi``'s 工作动态 holds 137
posts so its list spans two API pages. Everything is seeded by the slug: deterministic.

Example::

    posts = add_filler(site)        # Post objects with id 0
    assign_ids({"dg": posts})       # ids grow with publish time, like the real sequence
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from .model import Attachment, Post, Site

EPOCH = date(2019, 1, 1)
# (first post id, ids per day, first attachment id, attachment ids per day) per id family;
# ids are sequential across a whole province, so they grow with the publish date.
ID_FAMILIES = {"dg": (3_800_000, 150, 1_000_000, 120), "huadu": (10_800_000, 280, 1_600_000, 50)}

TOPICS = ("安全生产检查", "森林防火", "创文创卫", "垃圾分类", "防汛防风", "疫情防控", "消防安全",
          "人居环境整治", "河长制巡河", "扫黑除恶", "禁毒宣传", "企业服务", "招商引资",
          "乡村振兴", "民生实事", "义务植树", "网格化管理", "食品安全")
NEWS = ("{town}召开{topic}工作会议", "{town}开展{topic}专项行动", "{town}部署{topic}工作",
        "{town}举办{topic}培训班", "{town}{topic}工作取得阶段性成效")


def _town(site: Site) -> str:
    """凤岗镇 from 东莞市凤岗镇人民政府; 住房和城乡建设局 from the department name."""
    name = site.name.removesuffix("人民政府")
    for city in ("东莞市", "广州市花都区"):
        name = name.removeprefix(city)
    return name


def _decoys(site: Site, town: str) -> list[tuple[str, int, int, str | None]]:
    """(title, category, year, attachment ext) of the posts a report finder must ignore."""
    cats = {c.name: c.id for c in site.categories}
    notice = cats.get("通知公告", site.annual_category)
    finance = next(v for k, v in cats.items() if "预决算" in k or "财政" in k)
    guide = cats["政府信息公开指南"]
    rows = [(f"{town}2020年法治政府建设年度报告", site.annual_category
             if site.slug == "dg-fenggang" else notice, 2021, "pdf"),
            ("关于开展2021年度企业年报公示工作的通知", notice, 2021, None),
            (f"{town}政府信息公开指南", guide, 2019, None),
            (f"{town}2021年部门决算", finance, 2022, "xls"),
            (f"{town}2023年部门预算", finance, 2023, "xls")]
    if site.slug == "dg-qingxi":  # names the report in the title; still only a notice
        rows.append(("关于报送2020年政府信息公开工作年度报告的通知", notice, 2021, None))
    return rows


def _post(site: Site, title: str, classify: int, when: datetime, ext: str | None) -> Post:
    attachments = []
    if ext:
        attachments.append(Attachment(aid=0, name=f"{title}.{ext}", ext=ext,
                                      data=f"decoy attachment: {title}\n".encode()))
    return Post(id=0, title=title, classify=classify, doc_date=when.date(), published=when,
                body_html=f"<p>{title}。</p><p>特此公告。</p>", attachments=attachments,
                publisher=site.name, genre="通知" if "通知" in title else "其他")


def _news_count(site: Site, category: str) -> int:
    """How many news posts a category gets; 工作动态 of dg-qingxi spans two API pages."""
    if site.slug == "dg-qingxi" and category == "工作动态":
        return 136  # plus the 2024 report filed there: 137
    return {"工作动态": 12, "通知公告": 6}.get(category, 2)


def add_filler(site: Site) -> list[Post]:
    """Decoys and news posts for ``site`` (ids unset), spread over 2019–2025."""
    rng = random.Random(f"filler:{site.slug}")
    town = _town(site)
    posts = []
    for title, classify, year, ext in _decoys(site, town):
        when = datetime(year, rng.randint(2, 11), rng.randint(1, 28), rng.randint(8, 17),
                        rng.randint(0, 59), rng.randint(0, 59))
        posts.append(_post(site, title, classify, when, ext))
    for cat in site.categories:
        if cat.jump_url or cat.id == site.annual_category or cat.name == "法定主动公开内容":
            continue
        for n in range(_news_count(site, cat.name)):
            title = rng.choice(NEWS).format(town=town, topic=rng.choice(TOPICS))
            when = datetime(2019, 3, 1) + timedelta(days=rng.randint(0, 2400),
                                                    seconds=rng.randint(8 * 3600, 18 * 3600))
            posts.append(_post(site, f"{title}（{when:%m月%d日}）", cat.id, when, None))
    return posts


def family(site: Site) -> str:
    """The id family of a site's host (Dongguan or Guangzhou Huadu)."""
    return "huadu" if "huadu" in site.host else "dg"


def assign_ids(posts_by_family: dict[str, list[Post]]) -> None:
    """Give every post and attachment a unique id that grows with its publish date."""
    for fam, posts in posts_by_family.items():
        post_base, post_step, aid_base, aid_step = ID_FAMILIES[fam]
        rng = random.Random(f"ids:{fam}")
        used: set[int] = set()
        for post in sorted(posts, key=lambda p: (p.published, p.title)):
            day = (post.published.date() - EPOCH).days
            post.id = _unique(post_base + day * post_step + rng.randrange(post_step), used)
            for att in post.attachments:
                att.aid = _unique(aid_base + day * aid_step + rng.randrange(aid_step), used)


def _unique(candidate: int, used: set[int]) -> int:
    while candidate in used:
        candidate += 1
    used.add(candidate)
    return candidate
