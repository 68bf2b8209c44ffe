"""Mobilisation projects and the members' pledges

Revision ID: 0011_projects_pledges
Revises: 0010_outbox_attachments
Create Date: 2026-12-01 12:00:00

- projects: a MOUS project (goal, status, dates, target), its news thread;
- project_groups: the groups taking part (their coordinators see the pledges);
- project_help_kinds: each project's own list of forms of help;
- pledges: one not withdrawn per member and project (a partial unique index), with the
  conditional threshold and the three-monthly check; pledge_help_kinds: the forms of help
  a pledge offers; pledge_revisions: the pledge after each change.
"""
from alembic import op
import sqlalchemy as sa

import forum.db  # noqa: F401 - column types


revision = '0011_projects_pledges'
down_revision = '0010_outbox_attachments'
branch_labels = None
depends_on = None

CURRENT = "status <> 'withdrawn'"


def upgrade():
    op.create_table(
        'projects',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=60), nullable=False),
        sa.Column('title', sa.String(length=150), nullable=False),
        sa.Column('goal', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('description_html', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=True),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('target_participants', sa.Integer(), nullable=False),
        sa.Column('news_thread_id', sa.Integer(), nullable=True),
        sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'closed', 'finished')", name=op.f('ck_projects_status_known')
        ),
        sa.CheckConstraint(
            'target_participants >= 0', name=op.f('ck_projects_target_positive')
        ),
        sa.ForeignKeyConstraint(
            ['news_thread_id'], ['threads.id'],
            name=op.f('fk_projects_news_thread_id_threads'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
        sa.UniqueConstraint('slug', name=op.f('uq_projects_slug')),
    )

    op.create_table(
        'project_groups',
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['group_id'], ['groups.id'],
            name=op.f('fk_project_groups_group_id_groups'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['project_id'], ['projects.id'],
            name=op.f('fk_project_groups_project_id_projects'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('project_id', 'group_id', name=op.f('pk_project_groups')),
    )
    op.create_index(op.f('ix_project_groups_group_id'), 'project_groups', ['group_id'])

    op.create_table(
        'project_help_kinds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('label', sa.String(length=120), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['project_id'], ['projects.id'],
            name=op.f('fk_project_help_kinds_project_id_projects'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_project_help_kinds')),
        sa.UniqueConstraint('project_id', 'key', name=op.f('uq_project_help_kinds_project_id')),
    )

    op.create_table(
        'pledges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('commune_id', sa.Integer(), nullable=False),
        sa.Column('hours_per_month', sa.Integer(), nullable=False),
        sa.Column('available_weekdays', sa.Boolean(), nullable=False),
        sa.Column('available_evenings', sa.Boolean(), nullable=False),
        sa.Column('available_weekends', sa.Boolean(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('show_name', sa.Boolean(), nullable=False),
        sa.Column('threshold', sa.Integer(), nullable=True),
        sa.Column('threshold_met_at', forum.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('updated_at', forum.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('withdrawn_at', forum.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('confirmed_at', forum.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('next_check_at', forum.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pledged', 'active', 'fulfilled', 'lapsed', 'withdrawn')",
            name=op.f('ck_pledges_status_known'),
        ),
        sa.CheckConstraint(
            'hours_per_month BETWEEN 0 AND 200', name=op.f('ck_pledges_hours_bounded')
        ),
        sa.CheckConstraint(
            'threshold IS NULL OR threshold BETWEEN 1 AND 500',
            name=op.f('ck_pledges_threshold_bounded'),
        ),
        sa.ForeignKeyConstraint(
            ['commune_id'], ['communes.id'], name=op.f('fk_pledges_commune_id_communes')
        ),
        sa.ForeignKeyConstraint(
            ['project_id'], ['projects.id'],
            name=op.f('fk_pledges_project_id_projects'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_pledges_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pledges')),
    )
    op.create_index(op.f('ix_pledges_commune_id'), 'pledges', ['commune_id'])
    op.create_index(op.f('ix_pledges_next_check_at'), 'pledges', ['next_check_at'])
    op.create_index(op.f('ix_pledges_user_id'), 'pledges', ['user_id'])
    op.create_index(
        'uq_pledges_current',
        'pledges',
        ['project_id', 'user_id'],
        unique=True,
        sqlite_where=sa.text(CURRENT),
        postgresql_where=sa.text(CURRENT),
    )

    op.create_table(
        'pledge_help_kinds',
        sa.Column('pledge_id', sa.Integer(), nullable=False),
        sa.Column('help_kind_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['help_kind_id'], ['project_help_kinds.id'],
            name=op.f('fk_pledge_help_kinds_help_kind_id_project_help_kinds'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['pledge_id'], ['pledges.id'],
            name=op.f('fk_pledge_help_kinds_pledge_id_pledges'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('pledge_id', 'help_kind_id', name=op.f('pk_pledge_help_kinds')),
    )
    op.create_index(
        op.f('ix_pledge_help_kinds_help_kind_id'), 'pledge_help_kinds', ['help_kind_id']
    )

    op.create_table(
        'pledge_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pledge_id', sa.Integer(), nullable=False),
        sa.Column('changed_at', forum.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('changed_by_id', sa.Integer(), nullable=True),
        sa.Column('change', sa.String(length=20), nullable=False),
        sa.Column('snapshot', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ['changed_by_id'], ['users.id'],
            name=op.f('fk_pledge_revisions_changed_by_id_users'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['pledge_id'], ['pledges.id'],
            name=op.f('fk_pledge_revisions_pledge_id_pledges'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pledge_revisions')),
    )
    op.create_index(op.f('ix_pledge_revisions_pledge_id'), 'pledge_revisions', ['pledge_id'])


def downgrade():
    op.drop_index(op.f('ix_pledge_revisions_pledge_id'), table_name='pledge_revisions')
    op.drop_table('pledge_revisions')
    op.drop_index(op.f('ix_pledge_help_kinds_help_kind_id'), table_name='pledge_help_kinds')
    op.drop_table('pledge_help_kinds')
    op.drop_index('uq_pledges_current', table_name='pledges')
    op.drop_index(op.f('ix_pledges_user_id'), table_name='pledges')
    op.drop_index(op.f('ix_pledges_next_check_at'), table_name='pledges')
    op.drop_index(op.f('ix_pledges_commune_id'), table_name='pledges')
    op.drop_table('pledges')
    op.drop_table('project_help_kinds')
    op.drop_index(op.f('ix_project_groups_group_id'), table_name='project_groups')
    op.drop_table('project_groups')
    op.drop_table('projects')
