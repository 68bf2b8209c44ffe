"""The search index: one row per visible post, in a table the ORM does not map.

Its shape differs per engine, so it stays out of the models' metadata (which must read the
same on both) and is created by DDL that runs with `create_all` and by the Alembic revision
0003_search. Each row holds the post's words (see analysis.py) under three weights: the
thread title on the opening post (weighs most), the body, and the thread title again on
replies (weighs least: a reply is found by "travaux logement" in a thread titled
"Logement", but a title-only hit on a reply never outranks a post that says the words).

- SQLite: an FTS5 table whose rowid is the post id; columns title, body and context hold
  the Snowball stems separated by spaces (the `ascii` tokenizer splits on spaces and keeps
  every other character); scope holds the token "§<group id>", so that a search in a group
  is filtered inside the index; thread_id and group_id are stored, not searched.
- PostgreSQL: post_id, thread_id, group_id and a `tsvector` document built with the
  `french` configuration (weights A title, B body, D context), under a GIN index, and a
  (group_id, post_id) index for a search in a group. The foreign key lets
  `TRUNCATE posts CASCADE` and deleting a post clear the row.
"""

from __future__ import annotations

from sqlalchemy import DDL, column, event, table

from forum.extensions import db

SEARCH_TABLE = "search_index"

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5("
    "title, body, context, scope, thread_id UNINDEXED, group_id UNINDEXED, tokenize = 'ascii')",
)
POSTGRESQL_DDL = (
    "CREATE TABLE IF NOT EXISTS search_index ("
    "post_id INTEGER NOT NULL, "
    "thread_id INTEGER NOT NULL, "
    "group_id INTEGER NOT NULL, "
    "document TSVECTOR NOT NULL, "
    "CONSTRAINT pk_search_index PRIMARY KEY (post_id), "
    "CONSTRAINT fk_search_index_post_id_posts FOREIGN KEY (post_id) "
    "REFERENCES posts (id) ON DELETE CASCADE)",
    "CREATE INDEX IF NOT EXISTS ix_search_index_document ON search_index USING gin (document)",
    "CREATE INDEX IF NOT EXISTS ix_search_index_group ON search_index (group_id, post_id)",
)
DROP_DDL = "DROP TABLE IF EXISTS search_index"

# Light table clauses for queries (not on the metadata).
sqlite_index = table(SEARCH_TABLE, column("rowid"), column("thread_id"), column("group_id"))
postgresql_index = table(
    SEARCH_TABLE, column("post_id"), column("thread_id"), column("group_id"), column("document")
)


def is_search_table(name: str | None) -> bool:
    """The search table and FTS5's shadow tables (search_index_data, _idx, _config...)."""
    return bool(name) and (name == SEARCH_TABLE or name.startswith(SEARCH_TABLE + "_"))


def include_name(name, type_, parent_names) -> bool:  # noqa: ARG001 - Alembic's signature
    """Alembic filter: leave the search table out of schema comparisons and autogenerate."""
    if type_ == "table":
        return not is_search_table(name)
    if type_ == "index":
        return not (name or "").startswith("ix_" + SEARCH_TABLE)
    return True


for _statement in SQLITE_DDL:
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_DDL:
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
# Before the posts table goes: the PostgreSQL table refers to it.
event.listen(db.metadata, "before_drop", DDL(DROP_DDL))
