"""Foundation: accounts, communes, groups, memberships, e-mail outbox

Revision ID: 0001_foundation
Revises: 
Create Date: 2026-11-22 02:28:10.838567

"""
from alembic import op
import sqlalchemy as sa

import forum.db


# revision identifiers, used by Alembic.
revision = '0001_foundation'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('communes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('insee', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('department', sa.String(length=3), nullable=False),
    sa.CheckConstraint('length(insee) = 5', name=op.f('ck_communes_insee_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communes')),
    sa.UniqueConstraint('insee', name=op.f('uq_communes_insee'))
    )
    op.create_table('outbox_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('headers', sa.JSON(), nullable=True),
    sa.Column('template', sa.String(length=60), nullable=False),
    sa.Column('due_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('sent_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_mails'))
    )
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_mails_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_mails_sent_at'), ['sent_at'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=60), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=True),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('email_verified_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('suspended_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', forum.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_groups_commune_id_communes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups')),
    sa.UniqueConstraint('slug', name=op.f('uq_groups_slug'))
    )
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_groups_commune_id'), ['commune_id'], unique=False)

    op.create_table('memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('created_at', forum.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('member', 'keeper', 'coordinator')", name=op.f('ck_memberships_role_known')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_memberships_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships')),
    sa.UniqueConstraint('user_id', 'group_id', name=op.f('uq_memberships_user_id'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_group_id'), ['group_id'], unique=False)



def downgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_group_id'))

    op.drop_table('memberships')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_groups_commune_id'))

    op.drop_table('groups')
    op.drop_table('users')
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_mails_sent_at'))
        batch_op.drop_index(batch_op.f('ix_outbox_mails_due_at'))

    op.drop_table('outbox_mails')
    op.drop_table('communes')
