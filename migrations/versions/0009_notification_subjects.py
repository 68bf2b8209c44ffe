"""Notifications about anything (a subject), without the flood (a new default for mail)

Revision ID: 0009_notification_subjects
Revises: 0008_moderation_audit
Create Date: 2026-12-01 10:00:00

A notification names its subject (`subject_type`, `subject_id`): a post, a thread, a
report, later a meeting or a pledge, so that a feature adds kinds without a schema change.
`thread_id` stays for the forum's notifications and may be empty. Existing rows are about
their post ("post", post_id). `mailed_at_once` tells a notification's own mail from a
digest (one mail per thread until it is read).

Mail: the old default, "immediate", mailed every reply at once (27 replies, 27 mails).
Members who kept it (nearly all: it was the default, and nothing tells apart those who
chose it) move to the new default: what concerns them at once, the rest in the daily
digest. Their notifications that no mail carried (written while unverified, or mentions
in threads they stopped following) were never going to be mailed: they are settled, so
that the first digest does not dig up old news.

Downgrade: the old code knows neither "default" (back to "immediate") nor notifications
without a thread or of the new kinds (reports, moderation notices): those are deleted.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_notification_subjects'
down_revision = '0008_moderation_audit'
branch_labels = None
depends_on = None

def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_type', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('mailed_at_once', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.alter_column('thread_id', existing_type=sa.Integer(), nullable=True)
    op.execute(
        "UPDATE notifications SET subject_type = 'post', subject_id = post_id "
        "WHERE post_id IS NOT NULL"
    )
    op.execute(
        "UPDATE notifications SET subject_type = 'thread', subject_id = thread_id "
        "WHERE post_id IS NULL"
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('subject_type', existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column('subject_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('mailed_at_once', existing_type=sa.Boolean(), server_default=None)
        batch_op.create_index(
            'ix_notifications_subject', ['subject_type', 'subject_id'], unique=False
        )

    # Until now "immediate" members had every notification mailed on its own.
    op.execute(
        "UPDATE notifications SET mailed_at_once = true WHERE mailed_at IS NOT NULL "
        "AND user_id IN (SELECT id FROM users WHERE notify_email = 'immediate')"
    )
    op.execute(
        "UPDATE notifications SET mailed_at = created_at WHERE mailed_at IS NULL "
        "AND user_id IN (SELECT id FROM users WHERE notify_email = 'immediate')"
    )
    op.execute("UPDATE users SET notify_email = 'default' WHERE notify_email = 'immediate'")


def downgrade():
    op.execute("UPDATE users SET notify_email = 'immediate' WHERE notify_email = 'default'")
    op.execute(
        "DELETE FROM notifications WHERE thread_id IS NULL "
        "OR kind NOT IN ('reply', 'mention', 'new_thread')"
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_subject')
        batch_op.alter_column('thread_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('mailed_at_once')
        batch_op.drop_column('subject_id')
        batch_op.drop_column('subject_type')
