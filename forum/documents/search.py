"""Documents in the site's search: the words of their pages (PDF page numbers kept), their
titles, descriptions and tags, found with the forum's own analysis (French stems), each
document shown once at its first matching page, only to whoever may see it.

The search page calls `search_documents` and includes `documents/_search_results.html`:
the forum's search code is otherwise untouched. Rows are `DocumentText`; a row with page 0
holds the document's title, description and tags, PDF pages are numbered from 1, an office
file's text has no page (None). Matching is a LIKE on the stems framed by spaces, the same
on both engines (a scan of the pages' stems: see bench/documents_bench.py for its cost).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy import and_, delete, select
from sqlalchemy.orm import joinedload

from forum.documents.models import Document, DocumentText
from forum.documents.rules import visible_documents
from forum.extensions import db
from forum.search import analysis

RESULTS = 20
ROWS = 400  # matching pages read at most, newest documents first
CARD_PAGE = 0


@dataclass
class DocumentHit:
    document: Document
    page: int | None  # the first matching PDF page (None: not a PDF page)
    title: Markup
    extract: Markup


def stems_of(text: str) -> str:
    return " " + " ".join(analysis.stems(text)) + " "


def index_card(document: Document, version_id: int) -> None:
    """(Re)write the row that makes a document findable by its title, description, tags."""
    from forum.markup import plain_text

    db.session.execute(
        delete(DocumentText).where(
            DocumentText.document_id == document.id, DocumentText.page == CARD_PAGE
        )
    )
    text = " ".join(
        [document.title, plain_text(document.description_html or ""), *document.tag_list]
    )
    db.session.add(
        DocumentText(
            document_id=document.id,
            version_id=version_id,
            page=CARD_PAGE,
            text=text,
            stems=stems_of(text),
        )
    )


def search_documents(raw: str, viewer: Any, *, group: Any = None) -> list[DocumentHit]:
    """The documents the viewer may see whose text holds every term of the query (one
    statement: the matching pages with their documents and groups)."""
    from forum.search.services import QueryError, parse_query

    try:
        query = parse_query(raw)
    except QueryError:
        return []
    conditions = [
        DocumentText.stems.contains(" " + " ".join(analysis.stem(w) for w in term) + " ")
        for term in query.terms
    ]
    where = [and_(*conditions), *visible_documents(viewer)]
    if group is not None:
        where.append(Document.group_id == group.id)
    rows = db.session.execute(
        select(Document, DocumentText.page, DocumentText.text)
        .join(Document, Document.id == DocumentText.document_id)
        .options(joinedload(Document.group))
        .where(*where)
        .order_by(Document.updated_at.desc(), Document.id.desc(), DocumentText.page)
        .limit(ROWS)
    ).all()
    first: dict[int, tuple[int | None, str]] = {}
    documents: dict[int, Document] = {}
    for document, page, text in rows:
        documents[document.id] = document
        seen = first.get(document.id)
        # A page of the file says more than the card: the card only when nothing else.
        if seen is None or (seen[0] == CARD_PAGE and page != CARD_PAGE):
            first[document.id] = (page, text)
        if len(first) >= RESULTS and all(p != CARD_PAGE for p, _ in first.values()):
            break
    ids = list(first)[:RESULTS]
    wanted = query.stems
    return [
        DocumentHit(
            document=documents[i],
            page=first[i][0] if first[i][0] not in (None, CARD_PAGE) else None,
            title=analysis.highlight(documents[i].title, wanted),
            extract=analysis.extract(first[i][1], wanted),
        )
        for i in ids
        if i in documents
    ]


def search_section(asked: Any) -> Any:
    """The docuthèque's matches as a section of the search page (forum/search/sections.py):
    on the first page, when no author or dates narrow the search (filters of messages)."""
    from forum.search.sections import Section

    if asked.page != 1 or asked.author or asked.since or asked.until:
        return None
    hits = search_documents(asked.text, asked.viewer, group=asked.group)
    return Section("documents/_search_results.html", {"document_hits": hits}) if hits else None
