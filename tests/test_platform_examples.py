"""Saved example pages of every platform, each next to its reviewed expected output
(juriscraper's ``.compare.json``): ``tests/platform_examples/<platform>/<kind>__<name>.<ext>``,
the URL each was served at in ``urls.json``.

A missing ``.compare.json`` is written from the parser's output and the test fails until a
person has reviewed it (delete it to regenerate after a deliberate parser change).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from archive.sites import PLATFORMS
from crawler.platforms import gkmlpt, merge_attachments, ucap

EXAMPLES = Path(__file__).resolve().parent / "platform_examples"


def plain(value):
    """Dataclasses, sets and tuples as JSON values (sets sorted)."""
    if dataclasses.is_dataclass(value):
        return {k: plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _gkmlpt_detail(text: str, url: str) -> dict:
    detail = gkmlpt.parse_detail_page(text)
    refs = merge_attachments(gkmlpt.api_attachments(detail.detail or {}, url),
                             gkmlpt.body_attachment_links(detail.content_html, url))
    return {"title": detail.title, "template": detail.template, "meta": detail.meta,
            "classify_table": detail.classify_table, "content_chars": len(detail.content_html),
            "attachments": plain(refs)}


def _ucap_detail(text: str, url: str) -> dict:
    detail = ucap.parse_detail_page(text, url)
    return {**{k: v for k, v in plain(detail).items() if k != "body_html"},
            "body_chars": len(detail.body_html), "published": ucap.timestamp_of(detail.pub_date)}


def _ucap_directory(text: str, url: str) -> dict:
    links = ucap.page_links(text, url)
    return {"crumb": ucap.crumb_names(text),
            "shells": [plain(ucap.shell_column(link.url)) for link in links
                       if ucap.shell_column(link.url)],
            "report_columns": [link.url for link in links if ucap.is_report_column_name(link.text)]}


PARSERS = {
    ("gkmlpt", "shell"): lambda text, url: plain(gkmlpt.parse_shell_config(text)),
    ("gkmlpt", "list"): lambda text, url: plain(gkmlpt.parse_list_page(text)),
    ("gkmlpt", "detail"): _gkmlpt_detail,
    ("gkmlpt", "root"): lambda text, url: {"gkmlpt_link": gkmlpt.find_gkmlpt_link(text, url)},
    ("ucap", "list"): lambda text, url: {**plain(ucap.parse_list_page(text, url)),
                                         "column": plain(ucap.column_of(url))},
    ("ucap", "detail"): _ucap_detail,
    ("ucap", "directory"): _ucap_directory,
}


def examples() -> list[Path]:
    return sorted(p for p in EXAMPLES.glob("*/*__*") if not p.name.endswith(".compare.json"))


def test_every_platform_has_examples_of_its_lists_and_details():
    for platform in PLATFORMS:
        kinds = {p.name.split("__")[0] for p in (EXAMPLES / platform).glob("*__*")}
        assert {"list", "detail"} <= kinds, platform
        urls = json.loads((EXAMPLES / platform / "urls.json").read_text(encoding="utf-8"))
        names = {p.name for p in (EXAMPLES / platform).glob("*__*")
                 if not p.name.endswith(".compare.json")}
        assert names == set(urls), platform


@pytest.mark.parametrize("page", examples(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_page_parses_as_reviewed(page: Path):
    platform, kind = page.parent.name, page.name.split("__")[0]
    url = json.loads((page.parent / "urls.json").read_text(encoding="utf-8"))[page.name]
    got = json.loads(json.dumps(PARSERS[(platform, kind)](page.read_text(encoding="utf-8"), url),
                                ensure_ascii=False))
    compare = page.with_name(page.name + ".compare.json")
    if not compare.exists():
        compare.write_text(json.dumps(got, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                           encoding="utf-8")
        pytest.fail(f"wrote {compare.name}: review it, then rerun")
    assert got == json.loads(compare.read_text(encoding="utf-8"))
