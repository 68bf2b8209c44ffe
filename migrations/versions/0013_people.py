"""People: handle history, suspension reasons, handle changes, archived groups and communes

Revision ID: 0013_people
Revises: 0012_meetings
Create Date: 2026-12-01 13:00:00

"""
from alembic import op
import sqlalchemy as sa

import forum.db


revision = '0013_people'
down_revision = '0012_meetings'
branch_labels = None
depends_on = None


def upgrade():
    utc = forum.db.UTCDateTime()
    op.create_table(
        'username_history',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=40), nullable=False),
        sa.Column('changed_at', utc, nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_username_history_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_username_history')),
        sa.UniqueConstraint('username', name=op.f('uq_username_history_username')),
    )
    op.create_index(
        op.f('ix_username_history_user_id'), 'username_history', ['user_id'], unique=False
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspension_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('username_changed_at', utc, nullable=True))
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', utc, nullable=True))
    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', utc, nullable=True))


def downgrade():
    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('username_changed_at')
        batch_op.drop_column('suspension_reason')
    op.drop_index(op.f('ix_username_history_user_id'), table_name='username_history')
    op.drop_table('username_history')
