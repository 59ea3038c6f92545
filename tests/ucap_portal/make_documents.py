"""Generate the report documents of the simulated UCAP portal (``tests/ucap_portal/documents/``)
with the project's fixture generator (``tests/fixtures/``): seeded cells, the corpus's real
2020 凤岗镇 numbers and prose, rendered to HTML bodies, DOCX, and through LibreOffice to PDF
and DOC. The manifest has the layout ``tests/portal/documents.py`` loads.

Run from the repository root (the files are committed; rerun only to change them)::

    .venv/bin/python -m tests.ucap_portal.make_documents
"""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
from pathlib import Path

from tests.fixtures.corpus_reports import FENGGANG_2020_TXT, corpus_sections, fenggang_2020
from tests.fixtures.render import (ReportSpec, convert, random_cells, render_docx, render_html,
                                   truth_of)
from tests.fixtures.report_prose import adapt_corpus_prose, prose_2021

DOCUMENTS = Path(__file__).resolve().parent / "documents"
UNITS = {  # slug -> (agency, how the reports name it)
    "ganzhou-jkq-fenggang": ("赣州经济技术开发区凤岗镇人民政府", "凤岗镇"),
    "ganzhou-jkq-dzb": ("赣州经济技术开发区党政办公室", "党政办公室"),
    "ganzhou-jkq-dqgzb": ("赣州经济技术开发区党群工作部", "党群工作部"),
}


def ucap_spec(site: str, year: int, title: str) -> ReportSpec:
    """A generated report of ``site``: 2019 template (corpus prose) before 2021, else 2021."""
    template = "2019" if year < 2021 else "2021"
    rng = random.Random(f"{site}-{year}-{template}")
    cells = random_cells(template, rng, None)
    agency, place = UNITS[site]
    received = cells["t3.new_received.total"]
    if template == "2019":
        source = corpus_sections(FENGGANG_2020_TXT, {
            "1": "一、总体情况", "2": "二、主动公开政府信息情况",
            "5": "五、存在的主要问题及改进情况", "6": "六、其它需要报告的事项"})
        names = {"东莞市": "赣州经济技术开发区", "东莞": "赣州", "客侨凤岗": f"{place}发布",
                 "凤岗镇": place, "我镇": "我单位" if place != "凤岗镇" else "我镇",
                 "http://www.dg.gov.cn/fg/": "https://gzjkq.ganzhou.gov.cn/", "2020": str(year)}
        sections = adapt_corpus_prose(source, names, received, rng)
    else:
        sections = prose_2021(rng, place, agency, year, cells)
    signature = f"{agency}\n{year + 1}年{rng.randint(1, 3)}月{rng.randint(1, 28)}日"
    return ReportSpec(title, agency, year, template, cells, sections,
                      headings={"signature": signature})


def _pdf(spec: ReportSpec) -> bytes:
    return convert(render_docx(spec), "docx", "pdf")


def outputs() -> list[tuple[str, bytes, ReportSpec, str, str]]:
    """(file, bytes, spec, site, notes) of every document."""
    fg, dzb, dq = UNITS
    real = dataclasses.replace(fenggang_2020(), agency=UNITS[fg][0])
    s = {
        (fg, 2019): ucap_spec(fg, 2019, "凤岗镇2019年政府信息公开工作年度报告"),
        (fg, 2021): ucap_spec(fg, 2021, "赣州经济技术开发区凤岗镇2021年政府信息公开工作年度报告"),
        (fg, 2022): ucap_spec(fg, 2022, "凤岗镇2022年政府信息公开工作年度报告"),
        (fg, 2023): ucap_spec(fg, 2023, "凤岗镇2023年政府信息公开工作年度报告"),
        (fg, 2024): ucap_spec(fg, 2024, "凤岗镇2024年政府信息公开工作年度报告"),
        (dzb, 2021): ucap_spec(dzb, 2021, "赣州经济技术开发区党政办公室2021年政府信息公开工作年度报告"),
        (dzb, 2022): ucap_spec(dzb, 2022, "赣州经济技术开发区党政办公室2022年政府信息公开工作年度报告"),
        (dzb, 2023): ucap_spec(dzb, 2023, "赣州经济技术开发区党政办公室2023年政府信息公开工作年度报告"),
        (dq, 2017): ucap_spec(dq, 2019, "党群工作部2017年政府信息公开工作年度报告"),
        (dq, 2019): ucap_spec(dq, 2019, "党群工作部2019年政府信息公开工作年度报告"),
        (dq, 2020): ucap_spec(dq, 2020, "党群工作部2020年政府信息公开工作年度报告"),
    }
    s[(dq, 2017)] = dataclasses.replace(s[(dq, 2017)], year=2017)
    html = lambda key: render_html(s[key]).encode()  # noqa: E731
    return [
        (f"{fg}-2019.html", html((fg, 2019)), s[(fg, 2019)], fg, "HTML body with tables only"),
        (f"{fg}-2020.pdf", _pdf(real), real, fg, "real numbers and prose of corpus 000"),
        (f"{fg}-2021.docx", render_docx(s[(fg, 2021)]), s[(fg, 2021)], fg, "linked from the body"),
        (f"{fg}-2022.html", html((fg, 2022)), s[(fg, 2022)], fg, "HTML body; also as .doc"),
        (f"{fg}-2022.doc", convert(render_docx(s[(fg, 2022)]), "docx", "doc"), s[(fg, 2022)], fg,
         "Word 97 .doc in div.fj-a of the post whose body is the .html"),
        (f"{fg}-2023.pdf", _pdf(s[(fg, 2023)]), s[(fg, 2023)], fg, "PDF in div.fj-a"),
        (f"{fg}-2023.docx", render_docx(s[(fg, 2023)]), s[(fg, 2023)], fg, "the same as DOCX"),
        (f"{fg}-2024.html", html((fg, 2024)), s[(fg, 2024)], fg,
         "HTML body; the post's title has no year: it is only in the body"),
        (f"{dzb}-2021.docx", render_docx(s[(dzb, 2021)]), s[(dzb, 2021)], dzb, ""),
        (f"{dzb}-2022.pdf", _pdf(s[(dzb, 2022)]), s[(dzb, 2022)], dzb, ""),
        (f"{dzb}-2023.doc", convert(render_docx(s[(dzb, 2023)]), "docx", "doc"), s[(dzb, 2023)],
         dzb, ""),
        (f"{dq}-2017.pdf", _pdf(s[(dq, 2017)]), s[(dq, 2017)], dq,
         "migrated 2018 post (old content_ URL, #UCAP-CONTENT template); 2019-template tables"),
        (f"{dq}-2019.html", html((dq, 2019)), s[(dq, 2019)], dq, ""),
        (f"{dq}-2020.pdf", _pdf(s[(dq, 2020)]), s[(dq, 2020)], dq, ""),
    ]


def make_documents(folder: Path = DOCUMENTS) -> list[dict]:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    manifest = []
    for file, data, spec, site, notes in outputs():
        (folder / file).write_bytes(data)
        truth = truth_of(spec)
        manifest.append({"file": file, "stem": file.rsplit(".", 1)[0],
                         "format": file.rsplit(".", 1)[1], "site": site, "year": spec.year,
                         "template": truth["template"], "title": spec.flat_title,
                         "agency": spec.agency, "role": "report", "notes": notes})
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")
    return manifest


if __name__ == "__main__":
    rows = make_documents()
    print(f"wrote {len(rows)} documents to {DOCUMENTS}")
