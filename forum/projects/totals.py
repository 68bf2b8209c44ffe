"""A project's pledge totals, kept in their own rows (by form of help, by commune) and
refreshed by the pledge services in the transaction of each change, so that the pages
read a few rows instead of counting every pledge at each request.

A refresh recomputes the project's totals from its pledges (two aggregate statements,
then the rows that changed), rather than adding and subtracting: a missed case can never
leave them drifting. Callers hold the project's row lock (`services.lock_project`), so
two changes at once refresh one after the other, each seeing the other's pledges."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, delete, func, select

from forum.extensions import db
from forum.projects.models import (
    COUNTED_STATUSES,
    Pledge,
    PledgeHelp,
    Project,
    ProjectCommuneTotal,
    ProjectKindTotal,
    counted_criteria,
    waiting_criteria,
)


@dataclass(frozen=True)
class CountedTotals:
    """The totals as counted from the pledges: {kind id: pledges} and
    {commune id: (pledges, hours, waiting)}."""

    by_kind: dict[int, int]
    by_commune: dict[int, tuple[int, int, int]]


def count_totals(project_id: int) -> CountedTotals:
    """Count the project's totals from its pledges (what the kept rows must equal)."""
    counted = counted_criteria()
    kinds = db.session.execute(
        select(PledgeHelp.help_kind_id, func.count())
        .join(Pledge, Pledge.id == PledgeHelp.pledge_id)
        .where(Pledge.project_id == project_id, counted)
        .group_by(PledgeHelp.help_kind_id)
    ).all()
    communes = db.session.execute(
        select(
            Pledge.commune_id,
            func.count(case((counted, 1))),
            func.coalesce(func.sum(case((counted, Pledge.hours_per_month), else_=0)), 0),
            func.count(case((waiting_criteria(), 1))),
        )
        .where(
            Pledge.project_id == project_id,
            Pledge.status.in_([s.value for s in COUNTED_STATUSES]),
        )
        .group_by(Pledge.commune_id)
    ).all()
    return CountedTotals(
        by_kind={kind_id: n for kind_id, n in kinds if n},
        by_commune={
            commune_id: (n, int(hours or 0), waiting)
            for commune_id, n, hours, waiting in communes
            if n or waiting
        },
    )


def kept_totals(project_id: int) -> CountedTotals:
    """The totals as kept in their rows."""
    kinds = db.session.execute(
        select(ProjectKindTotal.help_kind_id, ProjectKindTotal.pledges).where(
            ProjectKindTotal.project_id == project_id
        )
    ).all()
    communes = db.session.execute(
        select(
            ProjectCommuneTotal.commune_id,
            ProjectCommuneTotal.pledges,
            ProjectCommuneTotal.hours,
            ProjectCommuneTotal.waiting,
        ).where(ProjectCommuneTotal.project_id == project_id)
    ).all()
    return CountedTotals(by_kind=dict(kinds), by_commune={c: (n, h, w) for c, n, h, w in communes})


def refresh_totals(project: Project | int) -> None:
    """Bring the project's kept totals in line with its pledges (rows that changed only)."""
    project_id = project if isinstance(project, int) else project.id
    db.session.flush()
    now, kept = count_totals(project_id), kept_totals(project_id)
    if now == kept:
        return
    _replace(
        ProjectKindTotal,
        project_id,
        "help_kind_id",
        {k: {"pledges": n} for k, n in now.by_kind.items()},
        {k: {"pledges": n} for k, n in kept.by_kind.items()},
    )
    _replace(
        ProjectCommuneTotal,
        project_id,
        "commune_id",
        {c: _commune_row(v) for c, v in now.by_commune.items()},
        {c: _commune_row(v) for c, v in kept.by_commune.items()},
    )


def _commune_row(values: tuple[int, int, int]) -> dict:
    pledges, hours, waiting = values
    return {"pledges": pledges, "hours": hours, "waiting": waiting}


def _replace(model, project_id: int, key: str, now: dict, kept: dict) -> None:
    column = getattr(model, key)
    gone = [k for k, values in kept.items() if now.get(k) != values]
    if gone:
        db.session.execute(delete(model).where(model.project_id == project_id, column.in_(gone)))
    fresh = [{"project_id": project_id, key: k, **v} for k, v in now.items() if kept.get(k) != v]
    if fresh:
        db.session.execute(model.__table__.insert(), fresh)
