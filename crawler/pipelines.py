"""The archive pipeline: report posts, attachment outcomes and errors into the archive."""

from __future__ import annotations

import json

from crawler.items import (AttachmentItem, ErrorItem, ListTemplateItem, ReportPostItem,
                           SeenPostItem, UnassignedItem)
from crawler.session import ArchiveSession


class ArchivePipeline:
    """Hands each typed item to the run's single archive writer."""

    def __init__(self, session: ArchiveSession):
        self.session = session

    @classmethod
    def from_crawler(cls, crawler):
        return cls(ArchiveSession.of(crawler))

    def process_item(self, item):
        writer, run_id = self.session.writer, self.session.run_id
        if isinstance(item, ReportPostItem):
            writer.record_post(_post_row(item), item.body_html, _attachment_rows(item), run_id)
        elif isinstance(item, SeenPostItem):
            writer.touch_post(item.site, item.post_id, item.list_fetch_id, run_id)
        elif isinstance(item, AttachmentItem):
            writer.record_attachment_result(item.site, item.post_id, item.url, item.status,
                                            item.fetch_id, item.sha256, run_id)
            if item.status != "ok":
                writer.record_error(run_id, item.site, item.url, item.status, item.error,
                                    item.fetch_id)
        elif isinstance(item, ListTemplateItem):
            writer.remember_list_template(item.site, item.column, item.template, item.fetch_id,
                                          run_id)
        elif isinstance(item, UnassignedItem):
            writer.record_unassigned({"url": item.url, "body": item.body, "title": item.title,
                                      "year": item.year, "column_url": item.column_url,
                                      "seen_by_site": item.site}, run_id)
        elif isinstance(item, ErrorItem):
            writer.record_error(run_id, item.site, item.url, item.kind, item.message,
                                item.fetch_id)
        return item


def _post_row(item: ReportPostItem) -> dict:
    return {
        "site": item.site, "post_id": item.post_id, "title": item.title, "url": item.url,
        "publish_date": item.publish_date, "classify_id": item.classify_id,
        "classify_name": item.classify_name, "report_year": item.report_year,
        "year_source": item.year_source, "article": json.dumps(item.article, ensure_ascii=False),
        "detail": json.dumps(item.detail, ensure_ascii=False),
        "detail_fetch_id": item.detail_fetch_id, "list_fetch_id": item.list_fetch_id,
        "article_sha256": item.article_sha256,
    }


def _attachment_rows(item: ReportPostItem) -> list[dict]:
    return [{
        "site": item.site, "post_id": item.post_id, "url": ref.url,
        "attachment_id": ref.attachment_id, "name": ref.name, "ext": ref.ext,
        "listed_in": ",".join(sorted(ref.listed_in)),
        "api_entry": json.dumps(ref.api_entry, ensure_ascii=False) if ref.api_entry else None,
        "status": "pending",
    } for ref in item.attachments]
