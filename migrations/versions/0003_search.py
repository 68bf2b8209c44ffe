"""Full-text search index: FTS5 on SQLite, tsvector + GIN on PostgreSQL

Revision ID: 0003_search
Revises: 0002_discussions
Create Date: 2026-11-23 10:00:00

The table is not mapped by the models (its shape differs per engine): this revision
creates it with the same DDL as forum/search/models.py (copied here, so that the revision
does not change if that module does; a test checks both give the same table), then indexes
the posts already there with the application's analyser.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003_search'
down_revision = '0002_discussions'
branch_labels = None
depends_on = None

DDL = {
    "sqlite": (
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5("
        "title, body, context, thread_id UNINDEXED, group_id UNINDEXED, tokenize = 'ascii')",
    ),
    "postgresql": (
        "CREATE TABLE IF NOT EXISTS search_index ("
        "post_id INTEGER NOT NULL, "
        "thread_id INTEGER NOT NULL, "
        "group_id INTEGER NOT NULL, "
        "document TSVECTOR NOT NULL, "
        "CONSTRAINT pk_search_index PRIMARY KEY (post_id), "
        "CONSTRAINT fk_search_index_post_id_posts FOREIGN KEY (post_id) "
        "REFERENCES posts (id) ON DELETE CASCADE)",
        "CREATE INDEX IF NOT EXISTS ix_search_index_document ON search_index USING gin (document)",
    ),
}


def upgrade():
    bind = op.get_bind()
    for statement in DDL[bind.dialect.name]:
        op.execute(statement)
    # Stemming needs Python on SQLite; the same code fills both engines. On SQLite the table
    # changed shape in 0006_search_scope, which fills it: today's code cannot fill this one.
    if bind.dialect.name != "sqlite":
        from forum.search.services import rebuild_index

        rebuild_index(bind)


def downgrade():
    op.execute("DROP TABLE IF EXISTS search_index")
