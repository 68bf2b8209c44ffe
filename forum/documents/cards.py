"""A link to a document in a post shows as a card (title, type, size, date) under the
post, for readers who may see the document; for anyone else the link stays a plain link
and tells nothing. The posts' HTML is never changed: cards are found when a page is shown,
one statement for the page, none when no post links a document."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from sqlalchemy import select

from forum.documents.listing import _LINE, DocumentLine
from forum.documents.models import Document
from forum.documents.rules import visible_documents
from forum.extensions import db

CARDS_PER_POST = 5


def _links() -> re.Pattern:
    base = re.escape(current_app.config["BASE_URL"])
    return re.compile(rf'href="(?:{base})?/documents/(\d{{1,9}})(?:/download)?(?:[?#][^"]*)?"')


def document_cards(posts: list, viewer: Any) -> dict[int, list[DocumentLine]]:
    """{post id: the cards of the documents it links to that the viewer may see}."""
    pattern = _links()
    wanted: dict[int, list[int]] = {}
    for post in posts:
        if post.is_deleted or post.is_hidden or "/documents/" not in (post.body_html or ""):
            continue
        ids = list(dict.fromkeys(int(n) for n in pattern.findall(post.body_html)))
        if ids:
            wanted[post.id] = ids[:CARDS_PER_POST]
    if not wanted:
        return {}
    every = {i for ids in wanted.values() for i in ids}
    found = {
        row.id: DocumentLine(**{name: getattr(row, name) for name in _LINE})
        for row in db.session.execute(
            select(*(getattr(Document, name) for name in _LINE)).where(
                Document.id.in_(sorted(every)), *visible_documents(viewer)
            )
        )
    }
    return {
        post_id: [found[i] for i in ids if i in found]
        for post_id, ids in wanted.items()
        if any(i in found for i in ids)
    }
