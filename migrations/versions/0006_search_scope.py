"""Search in a group inside the index, and without accents; the index is filled again

Revision ID: 0006_search_scope
Revises: 0005_edit_drafts
Create Date: 2026-11-22 09:20:00

A search in one group kept the newest matches of the group by reading each match's group
from the table. In a small group, a common word made that a read of most of the index.
SQLite: the FTS5 table gets a `scope` column holding the token "§<group id>", searched
with the words; the table is made again and filled (the analyser is Python's). PostgreSQL:
an index on (group_id, post_id) walks a group's rows newest first.

The analyser also drops accents before stemming now ("hébergement" is indexed as
"hebergement", "cœur" as "coeur"): the stored words change on both engines, so every post
is indexed again, on PostgreSQL too.
"""
import logging

from alembic import op


# revision identifiers, used by Alembic.
revision = '0006_search_scope'
down_revision = '0005_edit_drafts'
branch_labels = None
depends_on = None

SQLITE_NEW = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5("
    "title, body, context, scope, thread_id UNINDEXED, group_id UNINDEXED, tokenize = 'ascii')"
)
SQLITE_OLD = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5("
    "title, body, context, thread_id UNINDEXED, group_id UNINDEXED, tokenize = 'ascii')"
)
POSTGRESQL_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_search_index_group ON search_index (group_id, post_id)"
)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_index")
        op.execute(SQLITE_NEW)
    else:
        op.execute(POSTGRESQL_INDEX)
    from forum.search.services import rebuild_index

    rebuild_index(bind)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_index")
        op.execute(SQLITE_OLD)
        # The code of that revision fills it: this one writes the new shape.
        logging.getLogger("alembic").warning(
            "search index emptied: run `flask search reindex` with the code of that revision"
        )
    else:
        # The folded words stay until `flask search reindex` with that revision's code.
        op.execute("DROP INDEX IF EXISTS ix_search_index_group")
