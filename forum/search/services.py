"""Full-text search over thread titles and posts: indexing, queries, ranked results.

The same words match on both engines (analysis.py): SQLite FTS5 ranked by bm25,
PostgreSQL `tsvector` (`french`) ranked by ts_rank; ties go to the newest post. Extracts
are computed here in Python, the same way on both. Hidden and deleted posts and the posts
of hidden threads are taken out of the index, and filtered out again at query time.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Connection, bindparam, func, literal_column, select, text
from sqlalchemy.orm import Session, joinedload, scoped_session

from forum.discussions.models import Post, Thread
from forum.extensions import db
from forum.groups.models import Group
from forum.markup import plain_text
from forum.pagination import PageOf, clamp_page
from forum.permissions import visible_posts
from forum.search import analysis
from forum.search.models import postgresql_index, sqlite_index

log = logging.getLogger(__name__)

QUERY_MAX = 200  # characters
PER_PAGE = 20
# Relative weights of the opening post's title, the body and a reply's title: PostgreSQL's
# ts_rank defaults for the weights A, B and D, given to bm25 as column weights on SQLite
# (the fourth, SQLite's scope column, only filters: it weighs nothing).
WEIGHTS = (1.0, 0.4, 0.1, 0.0)
BATCH = 500

Executor = Session | scoped_session | Connection


class QueryError(Exception):
    """The query cannot be searched; `message` says why, in words for the user."""

    def __init__(self, message):
        super().__init__(message)  # a lazy string: translated when shown
        self.message = message


# --- The index -------------------------------------------------------------------------


@dataclass
class _Document:
    post_id: int
    thread_id: int
    group_id: int
    opening: bool  # the thread's first post: its title weighs most
    title: str
    body_html: str


def _dialect(executor: Executor) -> str:
    bind = executor if isinstance(executor, Connection) else executor.get_bind()
    return bind.dialect.name


def _rows(document: _Document, dialect: str) -> dict[str, Any]:
    """The row to store: stems for SQLite, words for PostgreSQL to stem itself."""
    analyse = analysis.stems if dialect == "sqlite" else analysis.words
    title = " ".join(analyse(document.title))
    return {
        "post_id": document.post_id,
        "thread_id": document.thread_id,
        "group_id": document.group_id,
        "title": title if document.opening else "",
        "context": "" if document.opening else title,
        "body": " ".join(analyse(plain_text(document.body_html))),
        "scope": _scope(document.group_id),
    }


def _scope(group_id: int) -> str:
    """SQLite's token for a group. "§" is never in an indexed word (analysis.words keeps
    letters and digits only) while FTS5's `ascii` tokenizer keeps it in a token: no word a
    user types can match it, so the words need no column filter (which made bm25 twice as
    slow: it then reads every match's positions)."""
    return f"§{group_id}"


_SQLITE_DELETE = text("DELETE FROM search_index WHERE rowid = :post_id")
_SQLITE_INSERT = text(
    "INSERT INTO search_index (rowid, title, body, context, scope, thread_id, group_id) "
    "VALUES (:post_id, :title, :body, :context, :scope, :thread_id, :group_id)"
)
# PostgreSQL stems the words itself with the `french` configuration. The "le" before the
# body is a stop word: it keeps one position free after the title, so that a quoted phrase
# never runs from the title into the body (SQLite keeps them in separate columns).
_POSTGRESQL_UPSERT = text(
    "INSERT INTO search_index (post_id, thread_id, group_id, document) "
    "VALUES (:post_id, :thread_id, :group_id, "
    "setweight(to_tsvector('french', :title), 'A') "
    "|| setweight(to_tsvector('french', :context), 'D') "
    "|| setweight(to_tsvector('french', 'le ' || :body), 'B')) "
    "ON CONFLICT (post_id) DO UPDATE SET thread_id = excluded.thread_id, "
    "group_id = excluded.group_id, document = excluded.document"
)
_POSTGRESQL_DELETE = text("DELETE FROM search_index WHERE post_id = :post_id")


def _store(executor: Executor, documents: list[_Document]) -> None:
    if not documents:
        return
    dialect = _dialect(executor)
    rows = [_rows(d, dialect) for d in documents]
    if dialect == "sqlite":
        executor.execute(_SQLITE_DELETE, [{"post_id": r["post_id"]} for r in rows])
        executor.execute(_SQLITE_INSERT, rows)
    else:
        executor.execute(_POSTGRESQL_UPSERT, rows)


def _delete(executor: Executor, post_ids: list[int]) -> None:
    if not post_ids:
        return
    statement = _SQLITE_DELETE if _dialect(executor) == "sqlite" else _POSTGRESQL_DELETE
    executor.execute(statement, [{"post_id": i} for i in post_ids])


def _is_indexed(post: Post) -> bool:
    """Only what every visitor may read is indexed."""
    return not (post.is_hidden or post.is_deleted or post.thread.is_hidden)


def index_post(post: Post) -> None:
    """Add or refresh a post in the search index (or take it out if it is not visible)."""
    if not _is_indexed(post):
        remove_post(post)
        return
    thread = post.thread
    _store(
        db.session,
        [
            _Document(
                post_id=post.id,
                thread_id=thread.id,
                group_id=thread.group_id,
                opening=post.number == 1,
                title=thread.title,
                body_html=post.body_html,
            )
        ],
    )


def remove_post(post: Post) -> None:
    """Take a post out of the search index."""
    _delete(db.session, [post.id])


# Core clauses, not the ORM: the Alembic revision 0003 rebuilds the index with them, on
# whatever the posts table looks like at that revision.
_POSTS_SQL = (
    "SELECT p.id, p.thread_id, t.group_id, p.number, t.title, p.body_html "
    "FROM posts p JOIN threads t ON t.id = p.thread_id "
    "WHERE p.hidden_at IS NULL AND p.deleted_at IS NULL AND t.hidden_at IS NULL "
)


def _documents(rows) -> list[_Document]:
    return [
        _Document(
            post_id=r[0],
            thread_id=r[1],
            group_id=r[2],
            opening=r[3] == 1,
            title=r[4],
            body_html=r[5],
        )
        for r in rows
    ]


def _thread_post_ids(executor: Executor, thread_id: int) -> list[int]:
    return list(
        executor.execute(
            text("SELECT id FROM posts WHERE thread_id = :thread_id"), {"thread_id": thread_id}
        ).scalars()
    )


def reindex_thread(thread: Thread) -> None:
    """Refresh every post of a thread (its title, group or visibility changed)."""
    session = db.session
    session.flush()
    # By post id: the posts table has an index on thread_id, the search table does not.
    _delete(session, _thread_post_ids(session, thread.id))
    if thread.is_hidden:
        return
    rows = session.execute(
        text(_POSTS_SQL + "AND p.thread_id = :thread_id ORDER BY p.id"), {"thread_id": thread.id}
    ).all()
    for start in range(0, len(rows), BATCH):
        _store(session, _documents(rows[start : start + BATCH]))


def rebuild_index(executor: Executor | None = None) -> int:
    """Empty the index and index every visible post again; returns how many.

    Runs on the session by default, or on a connection (the Alembic revision's)."""
    executor = db.session if executor is None else executor
    executor.execute(text("DELETE FROM search_index"))
    count = 0
    last_id = 0
    while True:
        rows = executor.execute(
            text(_POSTS_SQL + "AND p.id > :last_id ORDER BY p.id LIMIT :batch"),
            {"last_id": last_id, "batch": BATCH},
        ).all()
        if not rows:
            break
        _store(executor, _documents(rows))
        count += len(rows)
        last_id = rows[-1][0]
    if _dialect(executor) == "sqlite":
        # Merge FTS5's segments into one b-tree: faster queries after a bulk load.
        executor.execute(text("INSERT INTO search_index (search_index) VALUES ('optimize')"))
    log.info("search index rebuilt: %d posts", count)
    return count


# --- Queries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A parsed query: every term must match. A term is one word or a phrase of words."""

    terms: tuple[tuple[str, ...], ...]  # lower-cased words, stop words left out

    @property
    def stems(self) -> frozenset[str]:
        return frozenset(analysis.stem(w) for term in self.terms for w in term)


# "…" and «…» and “…” quote phrases; a lone quote is just punctuation.
_PHRASE = re.compile(r'"([^"]*)"|«([^»]*)»|“([^”]*)”')


def parse_query(raw: str) -> Query:
    """Words are ANDed; quotes make a phrase; a word with inner punctuation ("porte-monnaie",
    "covid-19") is a phrase of its parts. Nothing the user types is query syntax."""
    raw = (raw or "").strip()
    if not raw:
        raise QueryError(_l("Type one or more words to search for."))
    if len(raw) > QUERY_MAX:
        raise QueryError(_l("Your search is too long: %(max)s characters at most.", max=QUERY_MAX))
    chunks: list[str] = []
    terms: list[tuple[str, ...]] = []
    pos = 0
    for match in _PHRASE.finditer(raw):
        chunks.extend(raw[pos : match.start()].split())
        terms.append(tuple(analysis.words(next(g for g in match.groups() if g is not None))))
        pos = match.end()
    chunks.extend(raw[pos:].split())
    terms.extend(tuple(analysis.words(chunk)) for chunk in chunks)
    unique: list[tuple[str, ...]] = []
    for term in terms:
        if term and term not in unique:
            unique.append(term)
    if not unique:
        raise QueryError(_l("These words are too common to search for: add a more specific word."))
    return Query(tuple(unique))


def _fts5_match(query: Query, group: Group | None = None) -> str:
    """An FTS5 expression with every term quoted: the user's text is never FTS5 syntax. A
    group is one more term: its token, in the scope column."""

    def quoted(term: tuple[str, ...]) -> str:
        phrase = " ".join(analysis.stem(w) for w in term)
        return '"' + phrase.replace('"', '""') + '"'

    terms = [quoted(term) for term in query.terms]
    if group is not None:
        terms.append(f'"{_scope(group.id)}"')
    return " AND ".join(terms)


def _tsquery(query: Query):
    """plainto_tsquery for the single words, phraseto_tsquery per phrase, ANDed; both
    functions read any text without a syntax error."""
    french = literal_column("'french'::regconfig")
    single = [term[0] for term in query.terms if len(term) == 1]
    parts = []
    if single:
        parts.append(func.plainto_tsquery(french, " ".join(single)))
    for term in query.terms:
        if len(term) > 1:
            parts.append(func.phraseto_tsquery(french, " ".join(term)))
    result = parts[0]
    for part in parts[1:]:
        result = result.op("&&")(part)
    return result


def _readable(group: Group | None) -> list:
    """What any visitor may find: the visitor's rule of `permissions.visible_posts`, the
    one the pages apply (the index holds only what everyone may read, and search answers
    everyone the same, members included, so that no result depends on who asks)."""
    conditions = visible_posts(None)
    if group is not None:
        conditions.append(Thread.group_id == group.id)
    return conditions


@dataclass
class SearchResult:
    post: Post
    thread: Thread
    group: Group
    title: Markup  # the thread title, escaped, query words in <mark>
    extract: Markup  # part of the post, escaped, query words in <mark>
    rank: float  # higher is better (bm25 is negated on SQLite)


@dataclass(frozen=True)
class Filters:
    """What narrows a search besides its words (and its group): the author, a span of time
    (UTC, `since` included, `until` excluded), one thread."""

    author_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    thread_id: int | None = None

    @property
    def on_posts(self) -> bool:
        """Whether the newest matches must be read with their posts (author, dates)."""
        return self.author_id is not None or self.since is not None or self.until is not None


NO_FILTERS = Filters()


@dataclass(frozen=True)
class Match:
    post_id: int
    rank: float
    created_at: datetime
    thread_id: int


def ranked(
    parsed: Query,
    *,
    group: Group | None = None,
    filters: Filters = NO_FILTERS,
    window: int | None = None,
) -> tuple[list[Match], bool]:
    """The visible posts matching every term, best first then newest, and whether there
    were more than the window (see search()). One statement, plus none."""
    window = current_app.config["SEARCH_WINDOW"] if window is None else window
    if db.session.get_bind().dialect.name == "sqlite":
        index, post_id = sqlite_index, sqlite_index.c.rowid
        fts = literal_column("search_index")
        matches = fts.op("MATCH")(bindparam("match", _fts5_match(parsed, group)))

        def scored(candidates):
            # bm25 is an FTS5 function: computed inside the window, on the index's rows.
            return candidates.add_columns((-func.bm25(fts, *WEIGHTS)).label("score"))

        def score_of(window_rows):
            return window_rows.c.score
    else:
        index, post_id = postgresql_index, postgresql_index.c.post_id
        tsquery = _tsquery(parsed)
        matches = index.c.document.op("@@")(tsquery)

        def scored(candidates):
            return candidates.add_columns(index.c.document)

        def score_of(window_rows):
            return func.ts_rank(window_rows.c.document, tsquery)

    where = [matches]
    if group is not None and index is postgresql_index:
        where.append(index.c.group_id == group.id)  # (SQLite: in the MATCH expression)
    if filters.thread_id is not None:
        where.append(index.c.thread_id == filters.thread_id)

    def newest(limit: int):
        """The newest matching index rows: the end of the index, read backwards (with their
        posts when the author or the dates narrow them, so that the window holds only
        posts that pass)."""
        query = select(post_id.label("post_id")).where(*where)
        if filters.on_posts:
            query = query.join(Post, Post.id == post_id)
            if filters.author_id is not None:
                query = query.where(Post.author_id == filters.author_id)
            if filters.since is not None:
                query = query.where(Post.created_at >= filters.since)
            if filters.until is not None:
                query = query.where(Post.created_at < filters.until)
        return query.order_by(post_id.desc()).limit(limit)

    def readable(window_rows, *columns):
        """The window's rows that are still readable (the index may lag a moderation)."""
        return (
            select(*columns)
            .select_from(window_rows)
            .join(Post, Post.id == window_rows.c.post_id)
            .join(Thread, Thread.id == Post.thread_id)
            .where(*_readable(group))
        )

    # One statement: the window's readable rows with their scores (a thousand small rows),
    # one more to tell whether there are more; Python sorts them and keeps the page.
    candidates = scored(newest(window + 1)).subquery("candidates")
    rows = db.session.execute(
        readable(
            candidates,
            candidates.c.post_id,
            score_of(candidates),
            Post.created_at,
            Post.thread_id,
        )
    ).all()
    capped = len(rows) > window
    if capped:
        rows.remove(min(rows, key=lambda row: row[0]))  # the oldest: outside the window
    rows.sort(key=lambda row: (row[1], row[2], row[0]), reverse=True)  # best, then newest
    return [Match(row[0], float(row[1]), row[2], row[3]) for row in rows], capped


def results(matches: list[Match], parsed: Query) -> list[SearchResult]:
    """The matches as results to show, their posts loaded in one statement, words marked."""
    if not matches:
        return []
    posts = {
        p.id: p
        for p in db.session.scalars(
            select(Post)
            .options(joinedload(Post.thread).joinedload(Thread.group), joinedload(Post.author))
            .where(Post.id.in_([m.post_id for m in matches]))
        )
    }
    wanted = parsed.stems
    items = []
    for match in matches:
        post = posts[match.post_id]
        items.append(
            SearchResult(
                post=post,
                thread=post.thread,
                group=post.thread.group,
                title=analysis.highlight(post.thread.title, wanted),
                extract=analysis.extract(plain_text(post.body_html), wanted),
                rank=match.rank,
            )
        )
    return items


def search(
    query: str | Query,
    *,
    group: Group | None = None,
    filters: Filters = NO_FILTERS,
    page: int = 1,
    per_page: int = PER_PAGE,
    window: int | None = None,
) -> PageOf:
    """One page of the visible posts matching every term, best first, then newest.

    Only the `window` (SEARCH_WINDOW) newest matches are ranked: when a word is in a large
    share of the posts, finding and ranking every one of them takes seconds at a million
    posts, while the newest are read from the end of the index, stopping there. `total`
    then counts `window` and `capped` says that there are more; a more precise query ranks
    everything it finds. Raises QueryError for an empty, too long or stop-words-only query."""
    parsed = query if isinstance(query, Query) else parse_query(query)
    matches, capped = ranked(parsed, group=group, filters=filters, window=window)
    total = len(matches)
    page, pages = clamp_page(page, total, per_page)
    shown = matches[(page - 1) * per_page : page * per_page]
    return PageOf(results(shown, parsed), page, pages, total, capped=capped)
