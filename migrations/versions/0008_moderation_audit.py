"""Moderation that is attributed and reports that stay private; the audit log; one-time
keys of reply forms

Revision ID: 0008_moderation_audit
Revises: 0007_login_sessions
Create Date: 2026-12-01 10:30:00

- posts: `deleted_by_id` (who deleted: author or moderation) and `hidden_category` (the
  public reason the moderator chose). Posts deleted before were deleted by their authors
  (only authors had the button): they get their author. Hidden posts get "other", and
  their old `hidden_reason` is cleared: it was pre-filled with the reporter's words, which
  are for the moderators only, and nothing tells it apart from a moderator's own text.
- flags: one row per report, with a category; at most one open report per member and
  post (a partial unique index instead of the unique (post_id, user_id)).
- audit_entries: append-only (triggers refuse UPDATE and DELETE on both engines).
- post_submissions: the one-time key of a reply or new-thread form.

On SQLite the posts and flags tables are copied (batch mode): count about 3 minutes per
million posts.
"""
from alembic import op
import sqlalchemy as sa

import forum.db  # noqa: F401 - column types


revision = '0008_moderation_audit'
down_revision = '0007_login_sessions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hidden_category', sa.String(length=20), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_posts_deleted_by_id_users'), 'users', ['deleted_by_id'], ['id']
        )
    op.execute("UPDATE posts SET deleted_by_id = author_id WHERE deleted_at IS NOT NULL")
    op.execute(
        "UPDATE posts SET hidden_category = 'other', hidden_reason = NULL "
        "WHERE hidden_at IS NOT NULL"
    )

    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('category', sa.String(length=20), nullable=False, server_default='other')
        )
        batch_op.drop_constraint(batch_op.f('uq_flags_post_id'), type_='unique')
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.alter_column('category', server_default=None)
        batch_op.create_index(
            'uq_flags_open',
            ['post_id', 'user_id'],
            unique=True,
            sqlite_where=sa.text('resolved_at IS NULL'),
            postgresql_where=sa.text('resolved_at IS NULL'),
        )

    op.create_table(
        'audit_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('target_type', sa.String(length=20), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=True),
        sa.Column('group_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ['actor_id'], ['users.id'], name=op.f('fk_audit_entries_actor_id_users')
        ),
        sa.ForeignKeyConstraint(
            ['group_id'], ['groups.id'], name=op.f('fk_audit_entries_group_id_groups'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries')),
    )
    op.create_index('ix_audit_entries_group', 'audit_entries', ['group_id', 'id'])
    op.create_index('ix_audit_entries_target', 'audit_entries', ['target_type', 'target_id'])
    from forum.audit.models import _POSTGRES_GUARDS, _SQLITE_GUARDS

    guards = _POSTGRES_GUARDS if op.get_bind().dialect.name == 'postgresql' else _SQLITE_GUARDS
    for sql in guards:
        op.execute(sql)

    op.create_table(
        'post_submissions',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=True),
        sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['post_id'], ['posts.id'], name=op.f('fk_post_submissions_post_id_posts'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_post_submissions_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_post_submissions')),
    )
    op.create_index(
        op.f('ix_post_submissions_created_at'), 'post_submissions', ['created_at']
    )


def downgrade():
    op.drop_index(op.f('ix_post_submissions_created_at'), table_name='post_submissions')
    op.drop_table('post_submissions')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries')
        op.execute('DROP FUNCTION IF EXISTS audit_entries_append_only()')
    op.drop_index('ix_audit_entries_target', table_name='audit_entries')
    op.drop_index('ix_audit_entries_group', table_name='audit_entries')
    op.drop_table('audit_entries')

    # Back to one report per member and post: keep each member's latest.
    op.execute(
        "DELETE FROM flags WHERE id NOT IN "
        "(SELECT max(id) FROM flags GROUP BY post_id, user_id)"
    )
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index('uq_flags_open')
        batch_op.create_unique_constraint(batch_op.f('uq_flags_post_id'), ['post_id', 'user_id'])
        batch_op.drop_column('category')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_posts_deleted_by_id_users'), type_='foreignkey')
        batch_op.drop_column('hidden_category')
        batch_op.drop_column('deleted_by_id')
