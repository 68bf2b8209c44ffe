"""The solidarity guide per commune: its entries (services), the changes members propose
to them, and the history of every change made.

Independent of the docuthèque: re-chained after its revision at merge.

Revision ID: 0016_solidarity_guide
Revises: 0015_documents
Create Date: 2026-12-01 14:40:00

"""
from alembic import op
import sqlalchemy as sa

import forum.db


revision = '0016_solidarity_guide'
down_revision = '0015_documents'
branch_labels = None
depends_on = None


def upgrade():
    utc = forum.db.UTCDateTime()
    op.create_table('guide_resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=150), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('opening_hours', sa.Text(), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('languages', sa.String(length=200), nullable=False),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('checked_at', utc, nullable=True),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', utc, nullable=False),
    sa.Column('removed_at', utc, nullable=True),
    sa.Column('created_at', utc, nullable=False),
    sa.CheckConstraint("kind IN ('food', 'shelter', 'health', 'legal', 'canteen', 'hygiene', 'french', 'other')", name=op.f('ck_guide_resources_kind_known')),
    sa.ForeignKeyConstraint(['checked_by_id'], ['users.id'], name=op.f('fk_guide_resources_checked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_guide_resources_commune_id_communes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guide_resources'))
    )
    op.create_index('ix_guide_resources_commune', 'guide_resources', ['commune_id', 'removed_at'], unique=False)

    op.create_table('guide_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('base', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('proposer_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_at', utc, nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', utc, nullable=False),
    sa.CheckConstraint("action IN ('create', 'edit', 'remove')", name=op.f('ck_guide_proposals_action_known')),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'refused')", name=op.f('ck_guide_proposals_status_known')),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_guide_proposals_commune_id_communes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_guide_proposals_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposer_id'], ['users.id'], name=op.f('fk_guide_proposals_proposer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resource_id'], ['guide_resources.id'], name=op.f('fk_guide_proposals_resource_id_guide_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guide_proposals'))
    )
    op.create_index('ix_guide_proposals_commune_status', 'guide_proposals', ['commune_id', 'status'], unique=False)
    op.create_index('ix_guide_proposals_proposer', 'guide_proposals', ['proposer_id'], unique=False)
    op.create_index('ix_guide_proposals_resource_id', 'guide_proposals', ['resource_id'], unique=False)

    op.create_table('guide_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('changed_at', utc, nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('diff', sa.JSON(), nullable=False),
    sa.CheckConstraint("action IN ('created', 'edited', 'removed', 'checked')", name=op.f('ck_guide_changes_action_known')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_guide_changes_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_guide_changes_commune_id_communes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['guide_proposals.id'], name=op.f('fk_guide_changes_proposal_id_guide_proposals'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_guide_changes_proposed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resource_id'], ['guide_resources.id'], name=op.f('fk_guide_changes_resource_id_guide_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guide_changes'))
    )
    op.create_index('ix_guide_changes_commune', 'guide_changes', ['commune_id', 'id'], unique=False)
    op.create_index('ix_guide_changes_resource', 'guide_changes', ['resource_id'], unique=False)


def downgrade():
    op.drop_table('guide_changes')
    op.drop_table('guide_proposals')
    op.drop_table('guide_resources')
