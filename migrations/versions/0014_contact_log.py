"""The contact log: households, referents, contacts and attempts, needs, phases,
hand-over notes, the groups' settings. Free text columns hold Fernet tokens (Text).

Revision ID: 0014_contact_log
Revises: 0013_people
Create Date: 2026-12-01 13:00:00

"""
from alembic import op
import sqlalchemy as sa

import forum.db


revision = '0014_contact_log'
down_revision = '0013_people'
branch_labels = None
depends_on = None


def upgrade():
    utc = forum.db.UTCDateTime()
    op.create_table('contactlog_settings',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('overdue_days', sa.Integer(), nullable=False),
    sa.CheckConstraint('overdue_days BETWEEN 1 AND 365', name=op.f('ck_contactlog_settings_days_bounded')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_contactlog_settings_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', name=op.f('pk_contactlog_settings'))
    )
    op.create_table('households',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=24), nullable=False),
    sa.Column('pseudonym', sa.Text(), nullable=False),
    sa.Column('adults', sa.Integer(), nullable=False),
    sa.Column('children', sa.Integer(), nullable=False),
    sa.Column('children_in_school', sa.Integer(), nullable=False),
    sa.Column('languages', sa.Text(), nullable=False),
    sa.Column('living', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('closed_reason', sa.String(length=20), nullable=True),
    sa.Column('closed_at', utc, nullable=True),
    sa.Column('consent_on', sa.Date(), nullable=False),
    sa.Column('consent_how', sa.String(length=20), nullable=False),
    sa.Column('consent_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', utc, nullable=False),
    sa.Column('last_contact_on', sa.Date(), nullable=True),
    sa.Column('next_contact_on', sa.Date(), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('contact_count', sa.Integer(), nullable=False),
    sa.Column('created_at', utc, nullable=False),
    sa.CheckConstraint("consent_how IN ('written', 'oral', 'interpreter')", name=op.f('ck_households_consent_known')),
    sa.CheckConstraint("living IN ('camp', 'shelter', 'hotel', 'insertion', 'housing', 'unknown')", name=op.f('ck_households_living_known')),
    sa.CheckConstraint("status IN ('followed', 'closed')", name=op.f('ck_households_status_known')),
    sa.CheckConstraint('adults BETWEEN 0 AND 30', name=op.f('ck_households_adults_bounded')),
    sa.CheckConstraint('children BETWEEN 0 AND 30', name=op.f('ck_households_children_bounded')),
    sa.CheckConstraint('children_in_school BETWEEN 0 AND 30', name=op.f('ck_households_school_bounded')),
    sa.ForeignKeyConstraint(['consent_by_id'], ['users.id'], name=op.f('fk_households_consent_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_households_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_households_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_households')),
    sa.UniqueConstraint('public_id', name=op.f('uq_households_public_id'))
    )
    op.create_index('ix_households_group_status', 'households', ['group_id', 'status'], unique=False)

    op.create_table('household_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('agreed', sa.Text(), nullable=False),
    sa.Column('next_contact_on', sa.Date(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', utc, nullable=False),
    sa.CheckConstraint("channel IN ('visit', 'phone', 'message', 'meeting', 'accompaniment')", name=op.f('ck_household_contacts_channel_known')),
    sa.CheckConstraint("outcome IN ('reached', 'no_answer', 'number_changed', 'moved')", name=op.f('ck_household_contacts_outcome_known')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_household_contacts_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_household_contacts_household_id_households'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_contacts'))
    )
    op.create_index('ix_household_contacts_household_day', 'household_contacts', ['household_id', 'happened_on'], unique=False)

    op.create_table('household_handovers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('from_user_id', sa.Integer(), nullable=True),
    sa.Column('to_user_id', sa.Integer(), nullable=True),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('read_at', utc, nullable=True),
    sa.Column('created_at', utc, nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_household_handovers_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['from_user_id'], ['users.id'], name=op.f('fk_household_handovers_from_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_household_handovers_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_user_id'], ['users.id'], name=op.f('fk_household_handovers_to_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_handovers'))
    )
    op.create_index(op.f('ix_household_handovers_household_id'), 'household_handovers', ['household_id'], unique=False)

    op.create_table('household_phases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=20), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('created_at', utc, nullable=False),
    sa.CheckConstraint("phase IN ('diagnosis', 'orientation', 'shelter', 'insertion', 'housing', 'ended')", name=op.f('ck_household_phases_phase_known')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_household_phases_household_id_households'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_phases'))
    )
    op.create_index(op.f('ix_household_phases_household_id'), 'household_phases', ['household_id'], unique=False)

    op.create_table('household_referents',
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', utc, nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_household_referents_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_household_referents_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('household_id', 'user_id', name=op.f('pk_household_referents'))
    )
    op.create_index(op.f('ix_household_referents_user_id'), 'household_referents', ['user_id'], unique=False)

    op.create_table('household_contact_people',
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['household_contacts.id'], name=op.f('fk_household_contact_people_contact_id_household_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_household_contact_people_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', 'user_id', name=op.f('pk_household_contact_people'))
    )
    op.create_index(op.f('ix_household_contact_people_user_id'), 'household_contact_people', ['user_id'], unique=False)

    op.create_table('household_needs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('created_at', utc, nullable=False),
    sa.CheckConstraint("kind IN ('housing', 'health', 'school', 'papers', 'work', 'food', 'legal', 'other')", name=op.f('ck_household_needs_kind_known')),
    sa.ForeignKeyConstraint(['contact_id'], ['household_contacts.id'], name=op.f('fk_household_needs_contact_id_household_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_household_needs_household_id_households'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_needs'))
    )
    op.create_index(op.f('ix_household_needs_household_id'), 'household_needs', ['household_id'], unique=False)



def downgrade():
    op.drop_index(op.f('ix_household_needs_household_id'), table_name='household_needs')

    op.drop_table('household_needs')
    op.drop_index(op.f('ix_household_contact_people_user_id'), table_name='household_contact_people')

    op.drop_table('household_contact_people')
    op.drop_index(op.f('ix_household_referents_user_id'), table_name='household_referents')

    op.drop_table('household_referents')
    op.drop_index(op.f('ix_household_phases_household_id'), table_name='household_phases')

    op.drop_table('household_phases')
    op.drop_index(op.f('ix_household_handovers_household_id'), table_name='household_handovers')

    op.drop_table('household_handovers')
    op.drop_index('ix_household_contacts_household_day', table_name='household_contacts')

    op.drop_table('household_contacts')
    op.drop_index('ix_households_group_status', table_name='households')

    op.drop_table('households')
    op.drop_table('contactlog_settings')
