"""Meetings: series and occurrences, answers, attendance, decisions, reminders sent

Revision ID: 0012_meetings
Revises: 0011_projects_pledges
Create Date: 2026-12-01 12:00:00

"""
from alembic import op
import sqlalchemy as sa

import forum.db


revision = '0012_meetings'
down_revision = '0011_projects_pledges'
branch_labels = None
depends_on = None


def upgrade():
    utc = forum.db.UTCDateTime()
    op.create_table(
        'meeting_series',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=64), nullable=False),
        sa.Column('frequency', sa.String(length=10), nullable=False),
        sa.Column('starts_at', utc, nullable=False),
        sa.Column('ends_at', utc, nullable=False),
        sa.Column('occurrence_count', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=150), nullable=False),
        sa.Column('location', sa.String(length=200), nullable=False),
        sa.Column('online_url', sa.String(length=500), nullable=False),
        sa.Column('agenda', sa.Text(), nullable=False),
        sa.Column('visibility', sa.String(length=10), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('updated_at', utc, nullable=False),
        sa.Column('created_at', utc, nullable=False),
        sa.CheckConstraint(
            "frequency IN ('weekly', 'biweekly', 'monthly')",
            name=op.f('ck_meeting_series_frequency_known'),
        ),
        sa.ForeignKeyConstraint(
            ['group_id'], ['groups.id'],
            name=op.f('fk_meeting_series_group_id_groups'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_series')),
        sa.UniqueConstraint('uid', name=op.f('uq_meeting_series_uid')),
    )
    op.create_index(
        op.f('ix_meeting_series_group_id'), 'meeting_series', ['group_id'], unique=False
    )

    op.create_table(
        'meetings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=64), nullable=True),
        sa.Column('series_id', sa.Integer(), nullable=True),
        sa.Column('recurrence_id', utc, nullable=True),
        sa.Column('is_override', sa.Boolean(), nullable=False),
        sa.Column('title', sa.String(length=150), nullable=False),
        sa.Column('starts_at', utc, nullable=False),
        sa.Column('ends_at', utc, nullable=False),
        sa.Column('location', sa.String(length=200), nullable=False),
        sa.Column('online_url', sa.String(length=500), nullable=False),
        sa.Column('agenda', sa.Text(), nullable=False),
        sa.Column('agenda_html', sa.Text(), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=True),
        sa.Column('visibility', sa.String(length=10), nullable=False),
        sa.Column('cancelled_at', utc, nullable=True),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('updated_at', utc, nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('yes_count', sa.Integer(), nullable=False),
        sa.Column('maybe_count', sa.Integer(), nullable=False),
        sa.Column('waiting_count', sa.Integer(), nullable=False),
        sa.Column('minutes', sa.Text(), nullable=True),
        sa.Column('minutes_html', sa.Text(), nullable=True),
        sa.Column('minutes_at', utc, nullable=True),
        sa.Column('minutes_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', utc, nullable=False),
        sa.CheckConstraint(
            'capacity IS NULL OR capacity >= 0', name=op.f('ck_meetings_capacity_positive')
        ),
        sa.CheckConstraint(
            "visibility IN ('public', 'members')", name=op.f('ck_meetings_visibility_known')
        ),
        sa.ForeignKeyConstraint(
            ['group_id'], ['groups.id'],
            name=op.f('fk_meetings_group_id_groups'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['series_id'], ['meeting_series.id'],
            name=op.f('fk_meetings_series_id_meeting_series'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'], name=op.f('fk_meetings_created_by_id_users')
        ),
        sa.ForeignKeyConstraint(
            ['minutes_by_id'], ['users.id'], name=op.f('fk_meetings_minutes_by_id_users')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
        sa.UniqueConstraint('uid', name=op.f('uq_meetings_uid')),
        sa.UniqueConstraint(
            'series_id', 'recurrence_id', name=op.f('uq_meetings_series_id')
        ),
    )
    op.create_index('ix_meetings_group_start', 'meetings', ['group_id', 'starts_at'], unique=False)
    op.create_index('ix_meetings_start', 'meetings', ['starts_at'], unique=False)
    op.create_index(op.f('ix_meetings_series_id'), 'meetings', ['series_id'], unique=False)

    op.create_table(
        'meeting_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('updated_at', utc, nullable=False),
        sa.Column('waiting_since', utc, nullable=True),
        sa.Column('created_at', utc, nullable=False),
        sa.CheckConstraint(
            "status IN ('yes', 'maybe', 'no', 'waiting')",
            name=op.f('ck_meeting_answers_status_known'),
        ),
        sa.ForeignKeyConstraint(
            ['meeting_id'], ['meetings.id'],
            name=op.f('fk_meeting_answers_meeting_id_meetings'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_meeting_answers_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_answers')),
        sa.UniqueConstraint(
            'meeting_id', 'user_id', name=op.f('uq_meeting_answers_meeting_id')
        ),
    )
    op.create_index(
        op.f('ix_meeting_answers_user_id'), 'meeting_answers', ['user_id'], unique=False
    )

    op.create_table(
        'meeting_attendance',
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['meeting_id'], ['meetings.id'],
            name=op.f('fk_meeting_attendance_meeting_id_meetings'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_meeting_attendance_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('meeting_id', 'user_id', name=op.f('pk_meeting_attendance')),
    )
    op.create_index(
        op.f('ix_meeting_attendance_user_id'), 'meeting_attendance', ['user_id'], unique=False
    )

    op.create_table(
        'decisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.String(length=500), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('partner', sa.String(length=200), nullable=True),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('done_at', utc, nullable=True),
        sa.Column('done_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', utc, nullable=False),
        sa.ForeignKeyConstraint(
            ['meeting_id'], ['meetings.id'],
            name=op.f('fk_decisions_meeting_id_meetings'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['group_id'], ['groups.id'],
            name=op.f('fk_decisions_group_id_groups'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['owner_id'], ['users.id'], name=op.f('fk_decisions_owner_id_users')
        ),
        sa.ForeignKeyConstraint(
            ['done_by_id'], ['users.id'], name=op.f('fk_decisions_done_by_id_users')
        ),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'], name=op.f('fk_decisions_created_by_id_users')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions')),
    )
    op.create_index(
        'ix_decisions_group_open', 'decisions', ['group_id', 'done_at', 'due_on'], unique=False
    )
    op.create_index('ix_decisions_meeting', 'decisions', ['meeting_id'], unique=False)
    op.create_index(op.f('ix_decisions_owner_id'), 'decisions', ['owner_id'], unique=False)

    op.create_table(
        'reminders_sent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', utc, nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_reminders_sent_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders_sent')),
        sa.UniqueConstraint(
            'kind', 'subject_id', 'user_id', name=op.f('uq_reminders_sent_kind')
        ),
    )
    op.create_index(
        op.f('ix_reminders_sent_user_id'), 'reminders_sent', ['user_id'], unique=False
    )


def downgrade():
    op.drop_index(op.f('ix_reminders_sent_user_id'), table_name='reminders_sent')
    op.drop_table('reminders_sent')
    op.drop_index(op.f('ix_decisions_owner_id'), table_name='decisions')
    op.drop_index('ix_decisions_meeting', table_name='decisions')
    op.drop_index('ix_decisions_group_open', table_name='decisions')
    op.drop_table('decisions')
    op.drop_index(op.f('ix_meeting_attendance_user_id'), table_name='meeting_attendance')
    op.drop_table('meeting_attendance')
    op.drop_index(op.f('ix_meeting_answers_user_id'), table_name='meeting_answers')
    op.drop_table('meeting_answers')
    op.drop_index(op.f('ix_meetings_series_id'), table_name='meetings')
    op.drop_index('ix_meetings_start', table_name='meetings')
    op.drop_index('ix_meetings_group_start', table_name='meetings')
    op.drop_table('meetings')
    op.drop_index(op.f('ix_meeting_series_group_id'), table_name='meeting_series')
    op.drop_table('meeting_series')
