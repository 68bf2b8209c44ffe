"""The outbox carries attachments (a meeting's .ics invitation, to come)

Revision ID: 0010_outbox_attachments
Revises: 0009_notification_subjects
Create Date: 2026-12-01 11:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010_outbox_attachments'
down_revision = '0009_notification_subjects'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbox_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mail_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ['mail_id'], ['outbox_mails.id'],
            name=op.f('fk_outbox_attachments_mail_id_outbox_mails'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_attachments')),
    )
    op.create_index(
        op.f('ix_outbox_attachments_mail_id'), 'outbox_attachments', ['mail_id'], unique=False
    )


def downgrade():
    op.drop_index(op.f('ix_outbox_attachments_mail_id'), table_name='outbox_attachments')
    op.drop_table('outbox_attachments')
