"""The coordinators' side: the pledges in detail, filtered; the CSV for a French
spreadsheet; writing to everyone in a filter."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from forum import audit
from forum.accounts.models import User
from forum.extensions import db
from forum.groups.models import Commune
from forum.mail import queue_mail
from forum.pagination import PageOf, clamp_page
from forum.projects.models import (
    AVAILABILITY,
    HelpKind,
    Pledge,
    PledgeHelp,
    PledgeStatus,
    Project,
)
from forum.projects.services import audit_group
from forum.urls import absolute_url

PLEDGES_PER_PAGE = 50
PARIS = ZoneInfo("Europe/Paris")


@dataclass
class PledgeFilters:
    help_kind: str = ""  # a key of the project's list
    commune: str = ""  # an INSEE code
    availability: str = ""  # one of AVAILABILITY

    def criteria(self, project: Project) -> list:
        where = [Pledge.project_id == project.id, Pledge.status != PledgeStatus.WITHDRAWN.value]
        if self.help_kind:
            where.append(
                exists().where(
                    PledgeHelp.pledge_id == Pledge.id,
                    PledgeHelp.help_kind_id == HelpKind.id,
                    HelpKind.project_id == project.id,
                    HelpKind.key == self.help_kind,
                )
            )
        if self.commune:
            where.append(
                Pledge.commune_id.in_(select(Commune.id).where(Commune.insee == self.commune))
            )
        if self.availability in AVAILABILITY:
            where.append(getattr(Pledge, f"available_{self.availability}").is_(True))
        return where

    def args(self) -> dict[str, str]:
        """The filters as query arguments (only those set)."""
        return {
            k: v
            for k, v in (
                ("help", self.help_kind),
                ("commune", self.commune),
                ("availability", self.availability),
            )
            if v
        }


def _pledges_query(project: Project, filters: PledgeFilters):
    return (
        select(Pledge)
        .options(
            joinedload(Pledge.user),
            joinedload(Pledge.commune),
            selectinload(Pledge.help_kinds),
        )
        .where(*filters.criteria(project))
        .order_by(Pledge.created_at, Pledge.id)
    )


def pledges_page(project: Project, filters: PledgeFilters, page: int) -> PageOf:
    """One page of the project's standing pledges, in detail, oldest first."""
    total = (
        db.session.scalar(
            select(func.count()).select_from(Pledge).where(*filters.criteria(project))
        )
        or 0
    )
    page, _pages = clamp_page(page, total, PLEDGES_PER_PAGE)
    rows = db.session.scalars(
        _pledges_query(project, filters)
        .limit(PLEDGES_PER_PAGE)
        .offset((page - 1) * PLEDGES_PER_PAGE)
    ).all()
    return PageOf.build(list(rows), page, total, PLEDGES_PER_PAGE)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A cell a spreadsheet shows as typed: text that could start a formula gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def paris_day(value: datetime | None) -> str:
    """JJ/MM/AAAA in Europe/Paris, as a French spreadsheet reads a date."""
    return value.astimezone(PARIS).strftime("%d/%m/%Y") if value else ""


def pledges_csv(project: Project, filters: PledgeFilters, headers: list[str], labels) -> str:
    """The filtered pledges as CSV for a French spreadsheet: UTF-8 with a BOM, `;`, dates
    JJ/MM/AAAA. `headers` and `labels` (status and availability words) are translated by
    the caller."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in headers])
    for pledge in db.session.scalars(_pledges_query(project, filters)):
        user = pledge.user
        writer.writerow(
            [
                csv_cell(v)
                for v in (
                    user.display_name,
                    user.email if not user.is_deleted else "",
                    pledge.commune.name,
                    ", ".join(k.label for k in pledge.help_kinds),
                    pledge.hours_per_month,
                    ", ".join(str(labels[a]) for a in pledge.availability),
                    pledge.threshold or "",
                    str(labels[pledge.status]),
                    pledge.message,
                    paris_day(pledge.created_at),
                    paris_day(pledge.updated_at),
                    paris_day(pledge.confirmed_at),
                )
            ]
        )
    return out.getvalue()


def message_pledgers(
    actor: User, project: Project, filters: PledgeFilters, *, subject: str, body: str
) -> int:
    """Write to every pledger in the filter through the outbox, each mail with its
    unsubscribe link; the audit log keeps the count, never the addresses."""
    from forum.notifications.delivery import can_receive_mail
    from forum.notifications.models import NEVER
    from forum.notifications.unsubscribe import SCOPE_ALL, list_headers, unsubscribe_url

    count = 0
    for pledge in db.session.scalars(_pledges_query(project, filters)):
        user = pledge.user
        if not can_receive_mail(user) or user.notify_email == NEVER:
            continue
        stop_url = unsubscribe_url(user, SCOPE_ALL)
        queue_mail(
            user.email,
            "pledge_message",
            subject=f"{project.title} : {subject}",
            locale=user.locale,
            headers=list_headers(stop_url),
            user=user,
            project=project,
            sender=actor,
            body=body.replace("\x00", ""),
            url=absolute_url("projects.show_project", slug=project.slug),
            stop_url=stop_url,
        )
        count += 1
    audit.record(
        actor,
        "pledge.message",
        project,
        group=audit_group(actor, project),
        detail=str(count),  # how many, never who
    )
    return count
