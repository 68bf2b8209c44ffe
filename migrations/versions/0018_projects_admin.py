"""Projects administration: forms of help can be retired, the pledge totals are kept per
project (by form of help and by commune) instead of counted on each page, and an index
on pledges(project_id, status) for the refresh of those totals.

Revision ID: 0018_projects_admin
Revises: 0017_forum_activity
Create Date: 2026-12-01 15:20:00

"""

from alembic import op
import sqlalchemy as sa

import forum.db


revision = "0018_projects_admin"
down_revision = "0017_forum_activity"
branch_labels = None
depends_on = None

COUNTED = (
    "p.status IN ('pledged', 'active', 'fulfilled') "
    "AND (p.threshold IS NULL OR p.threshold_met_at IS NOT NULL)"
)
WAITING = (
    "p.status IN ('pledged', 'active', 'fulfilled') "
    "AND p.threshold IS NOT NULL AND p.threshold_met_at IS NULL"
)


def upgrade():
    utc = forum.db.UTCDateTime()
    op.add_column("project_help_kinds", sa.Column("retired_at", utc, nullable=True))
    op.create_index("ix_pledges_project_status", "pledges", ["project_id", "status"])
    op.create_table(
        "project_kind_totals",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("help_kind_id", sa.Integer(), nullable=False),
        sa.Column("pledges", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["help_kind_id"],
            ["project_help_kinds.id"],
            name=op.f("fk_project_kind_totals_help_kind_id_project_help_kinds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_kind_totals_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "help_kind_id", name=op.f("pk_project_kind_totals")),
    )
    op.create_index(
        op.f("ix_project_kind_totals_help_kind_id"), "project_kind_totals", ["help_kind_id"]
    )
    op.create_table(
        "project_commune_totals",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("pledges", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("waiting", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_id"],
            ["communes.id"],
            name=op.f("fk_project_commune_totals_commune_id_communes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_commune_totals_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "commune_id", name=op.f("pk_project_commune_totals")),
    )
    op.create_index(
        op.f("ix_project_commune_totals_commune_id"), "project_commune_totals", ["commune_id"]
    )
    # The totals of the pledges made so far, as totals.refresh_totals computes them.
    op.execute(
        "INSERT INTO project_kind_totals (project_id, help_kind_id, pledges) "
        "SELECT p.project_id, ph.help_kind_id, COUNT(*) FROM pledges p "
        "JOIN pledge_help_kinds ph ON ph.pledge_id = p.id "
        f"WHERE {COUNTED} GROUP BY p.project_id, ph.help_kind_id"
    )
    op.execute(
        "INSERT INTO project_commune_totals (project_id, commune_id, pledges, hours, waiting) "
        f"SELECT p.project_id, p.commune_id, SUM(CASE WHEN {COUNTED} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {COUNTED} THEN p.hours_per_month ELSE 0 END), "
        f"SUM(CASE WHEN {WAITING} THEN 1 ELSE 0 END) FROM pledges p "
        "WHERE p.status IN ('pledged', 'active', 'fulfilled') "
        "GROUP BY p.project_id, p.commune_id"
    )


def downgrade():
    op.drop_index(op.f("ix_project_commune_totals_commune_id"), table_name="project_commune_totals")
    op.drop_table("project_commune_totals")
    op.drop_index(op.f("ix_project_kind_totals_help_kind_id"), table_name="project_kind_totals")
    op.drop_table("project_kind_totals")
    op.drop_index("ix_pledges_project_status", table_name="pledges")
    with op.batch_alter_table("project_help_kinds") as batch:
        batch.drop_column("retired_at")
