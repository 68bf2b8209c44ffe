"""Forum activity: the site-wide activity index of threads (the home page's latest
discussions) and members' reactions to posts ("merci", "+1").

Revision ID: 0017_forum_activity
Revises: 0016_solidarity_guide
Create Date: 2026-12-01 15:00:00

The home page lists the threads most recently posted in across every group: without an
index on (last_posted_at, id) both engines sort every thread for it; with one they read the
ten newest entries from its end.
"""
from alembic import op
import sqlalchemy as sa

import forum.db


revision = '0017_forum_activity'
down_revision = '0016_solidarity_guide'
branch_labels = None
depends_on = None


def upgrade():
    utc = forum.db.UTCDateTime()
    op.create_index('ix_threads_activity', 'threads', ['last_posted_at', 'id'])
    op.create_table('reactions',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('created_at', utc, nullable=False),
    sa.CheckConstraint("kind IN ('thanks', 'plus_one')", name=op.f('ck_reactions_known_kind')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_reactions_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reactions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'user_id', 'kind', name=op.f('pk_reactions'))
    )
    # Erasing an account and its export find its reactions (the key starts with post_id).
    op.create_index(op.f('ix_reactions_user_id'), 'reactions', ['user_id'])


def downgrade():
    op.drop_index(op.f('ix_reactions_user_id'), table_name='reactions')
    op.drop_table('reactions')
    op.drop_index('ix_threads_activity', table_name='threads')
