"""Forum activity: the site-wide activity index of threads (the home page's latest
discussions) and members' reactions to posts ("merci", "+1").

Revision ID: 0017_forum_activity
Revises: 0014_contact_log
Create Date: 2026-12-01 15:00:00

The home page lists the threads most recently posted in across every group: without an
index on (last_posted_at, id) both engines sort every thread for it; with one they read the
ten newest entries from its end.
"""
from alembic import op
import sqlalchemy as sa

import forum.db


revision = '0017_forum_activity'
down_revision = '0014_contact_log'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_threads_activity', 'threads', ['last_posted_at', 'id'])


def downgrade():
    op.drop_index('ix_threads_activity', table_name='threads')
