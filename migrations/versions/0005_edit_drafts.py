"""Drafts of edits: an edit typed while the session ended is kept too

Revision ID: 0005_edit_drafts
Revises: 0004_thread_activity_index
Create Date: 2026-11-22 09:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_edit_drafts'
down_revision = '0004_thread_activity_index'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('post_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_drafts_post_id_posts'), 'posts', ['post_id'], ['id'], ondelete='CASCADE'
        )


def downgrade():
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_drafts_post_id_posts'), type_='foreignkey')
        batch_op.drop_column('post_id')
