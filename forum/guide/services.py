"""The guide's rules: reading a commune's guide, proposing changes, deciding them, saying
an entry is still right, the history. Plain functions; they flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import joinedload

from forum import audit
from forum.db import utcnow
from forum.extensions import db
from forum.groups.models import Commune, Group, Membership, Role
from forum.guide import phones
from forum.guide.models import (
    FIELDS,
    KIND_ORDER,
    Action,
    Change,
    Proposal,
    Resource,
    Status,
)
from forum.guide.rules import reviews
from forum.pagination import PageOf, clamp_page

NAME_MAX = 150
ADDRESS_MAX = 300
HOURS_MAX = 1000
PHONE_MAX = 30
LANGUAGES_MAX = 200
CONDITIONS_MAX = 2000
NOTE_MAX = 1000
REASON_MAX = 500
CHANGES_PER_PAGE = 30
IMPOSSIBLE_PHONE = _l(
    "This is not a French phone number: give ten digits, such as 01 46 12 34 56, "
    "+33 1 46 12 34 56, or a short number such as 115."
)

# Notification kinds (registered by listeners.py).
PROPOSED = "guide_proposed"
ACCEPTED = "guide_accepted"
REFUSED = "guide_refused"


class GuideError(Exception):
    """A rule refused the change; `message` is for the user, `field` names the form field
    it concerns (None: the whole form)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def stale_cutoff(now: datetime | None = None) -> datetime:
    """Entries last checked before this are marked "to check" (GUIDE_STALE_MONTHS)."""
    months = int(current_app.config["GUIDE_STALE_MONTHS"])
    return (now or utcnow()) - relativedelta(months=months)


# --- Reading -----------------------------------------------------------------------------


def _kind_rank():
    return case({k: i for i, k in enumerate(KIND_ORDER)}, value=Resource.kind, else_=99)


def guide_entries(commune: Commune) -> list[Resource]:
    """The commune's entries by kind, then name: one statement whatever their number."""
    return list(
        db.session.scalars(
            select(Resource)
            .options(joinedload(Resource.checked_by))
            .where(Resource.commune_id == commune.id, Resource.removed_at.is_(None))
            .order_by(_kind_rank(), func.lower(Resource.name), Resource.id)
        )
    )


@dataclass
class Summary:
    """What the commune page says of its guide."""

    by_kind: list[tuple[str, int]]
    total: int
    stale: int


def guide_summary(commune: Commune) -> Summary:
    """How many entries of each kind, and how many are to be checked: one statement."""
    cutoff = stale_cutoff()
    stale = case((Resource.checked_at.is_(None) | (Resource.checked_at < cutoff), 1), else_=0)
    rows = db.session.execute(
        select(Resource.kind, func.count(), func.sum(stale))
        .where(Resource.commune_id == commune.id, Resource.removed_at.is_(None))
        .group_by(Resource.kind)
    ).all()
    rows = sorted(rows, key=lambda r: KIND_ORDER.index(r[0]) if r[0] in KIND_ORDER else 99)
    return Summary(
        by_kind=[(kind, count) for kind, count, _ in rows],
        total=sum(r[1] for r in rows),
        stale=sum(int(r[2] or 0) for r in rows),
    )


def pending_count(commune: Commune) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Proposal)
            .where(Proposal.commune_id == commune.id, Proposal.status == Status.PENDING.value)
        )
        or 0
    )


def _proposal_query():
    return select(Proposal).options(
        joinedload(Proposal.proposer),
        joinedload(Proposal.resource),
        joinedload(Proposal.commune),
        joinedload(Proposal.decided_by),
    )


def load_proposal(proposal_id: int) -> Proposal | None:
    return db.session.scalar(_proposal_query().where(Proposal.id == proposal_id))


def pending_proposals(commune: Commune) -> list[Proposal]:
    """The commune's proposals waiting for a decision, oldest first."""
    return list(
        db.session.scalars(
            _proposal_query()
            .where(Proposal.commune_id == commune.id, Proposal.status == Status.PENDING.value)
            .order_by(Proposal.id)
        )
    )


def my_pending(user: Any, commune: Commune) -> list[Proposal]:
    """The member's own proposals for the commune that wait for a decision."""
    if user is None:
        return []
    return list(
        db.session.scalars(
            select(Proposal)
            .where(
                Proposal.commune_id == commune.id,
                Proposal.proposer_id == user.id,
                Proposal.status == Status.PENDING.value,
            )
            .order_by(Proposal.id)
        )
    )


def history(commune: Commune, page: int) -> PageOf:
    """The commune's changes, newest first, paginated."""
    where = [Change.commune_id == commune.id]
    total = db.session.scalar(select(func.count()).select_from(Change).where(*where)) or 0
    page, _pages = clamp_page(page, total, CHANGES_PER_PAGE)
    rows = db.session.scalars(
        select(Change)
        .options(
            joinedload(Change.resource),
            joinedload(Change.changed_by),
            joinedload(Change.proposed_by),
        )
        .where(*where)
        .order_by(Change.id.desc())
        .limit(CHANGES_PER_PAGE)
        .offset((page - 1) * CHANGES_PER_PAGE)
    ).all()
    return PageOf.build(list(rows), page, total, CHANGES_PER_PAGE)


# --- Proposing ---------------------------------------------------------------------------


def _clean(values: dict[str, Any]) -> dict[str, str]:
    """Every field, as text (missing ones empty), the phone number in its stored form."""
    cleaned = {name: str(values.get(name) or "").strip() for name in FIELDS}
    try:
        cleaned["phone"] = phones.normalise(cleaned["phone"])
    except phones.ImpossibleNumber:
        raise GuideError(IMPOSSIBLE_PHONE, "phone") from None
    if cleaned["kind"] not in KIND_ORDER:
        raise GuideError(_l("Choose what kind of service it is."), "kind")
    return cleaned


def _same_pending(proposer: Any, commune: Commune, resource_id, action: str, changes) -> Any:
    """A double submit: the same proposal, still pending, by the same member."""
    for proposal in my_pending(proposer, commune):
        if (
            proposal.resource_id == resource_id
            and proposal.action == action
            and proposal.changes == changes
        ):
            return proposal
    return None


def propose_new(
    proposer: Any, commune: Commune, values: dict[str, Any], note: str = ""
) -> Proposal:
    """Propose a new entry for the commune's guide (accepted at once from a reviewer)."""
    changes = _clean(values)
    if not changes["name"]:
        raise GuideError(_l("Give the service's name."), "name")
    return _propose(proposer, commune, None, Action.CREATE, changes, {}, note)


def propose_edit(
    proposer: Any, resource: Resource, values: dict[str, Any], note: str = ""
) -> Proposal:
    """Propose new values for an entry: only the fields that differ are kept."""
    if resource.removed_at is not None:
        raise GuideError(_l("This entry was removed from the guide."))
    current = resource.values()
    wanted = _clean(values)
    if not wanted["name"]:
        raise GuideError(_l("Give the service's name."), "name")
    changes = {k: v for k, v in wanted.items() if v != (current[k] or "")}
    if not changes:
        raise GuideError(_l("Nothing is different from the guide: change a field first."))
    base = {k: current[k] for k in changes}
    return _propose(proposer, resource.commune, resource, Action.EDIT, changes, base, note)


def propose_removal(proposer: Any, resource: Resource, note: str = "") -> Proposal:
    """Propose that an entry leave the guide (a service closed, moved away…)."""
    if resource.removed_at is not None:
        raise GuideError(_l("This entry was removed from the guide."))
    return _propose(proposer, resource.commune, resource, Action.REMOVE, {}, {}, note)


def _propose(proposer, commune, resource, action, changes, base, note) -> Proposal:
    resource_id = resource.id if resource is not None else None
    existing = _same_pending(proposer, commune, resource_id, action.value, changes)
    if existing is not None:
        return existing
    proposal = Proposal(
        commune_id=commune.id,
        commune=commune,
        resource_id=resource_id,
        resource=resource,
        action=action.value,
        changes=changes,
        base=base,
        note=(note or "").strip(),
        proposer_id=proposer.id,
        proposer=proposer,
    )
    db.session.add(proposal)
    db.session.flush()
    if reviews(proposer, commune):
        accept(proposer, proposal)  # a reviewer's own change needs nobody else's yes
    else:
        from forum.notifications.delivery import notify

        notify(reviewer_ids(commune), PROPOSED, proposal, actor=proposer)
    return proposal


def reviewer_ids(commune: Commune) -> list[int]:
    """The coordinators of the commune's open groups (site admins are not told)."""
    return list(
        db.session.scalars(
            select(Membership.user_id)
            .join(Group, Group.id == Membership.group_id)
            .where(
                Group.commune_id == commune.id,
                Group.archived_at.is_(None),
                Membership.role == Role.COORDINATOR.value,
            )
            .distinct()
        )
    )


# --- Deciding ----------------------------------------------------------------------------


def _audit_group(reviewer: Any, commune: Commune) -> Group | None:
    """The reviewer's group in the commune (its coordinators read the entry in their log);
    None for a site admin with none there (the site's log)."""
    return db.session.scalar(
        select(Group)
        .join(Membership, Membership.group_id == Group.id)
        .where(
            Membership.user_id == reviewer.id,
            Membership.role == Role.COORDINATOR.value,
            Group.commune_id == commune.id,
            Group.archived_at.is_(None),
        )
        .order_by(Group.id)
        .limit(1)
    )


def _claim(reviewer: Any, proposal: Proposal, status: Status, reason: str = "") -> None:
    """Decide the proposal once: a second reviewer at the same moment is told it is done."""
    done = db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.status == Status.PENDING.value)
        .values(status=status.value, decided_at=utcnow(), decided_by_id=reviewer.id, reason=reason)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        db.session.refresh(proposal)
        raise GuideError(_l("This proposal was decided already."))
    db.session.refresh(proposal)


def accept(reviewer: Any, proposal: Proposal) -> Resource:
    """Apply the proposal to the guide, keep the change in the history, tell the proposer."""
    resource = proposal.resource
    if proposal.action != Action.CREATE and (resource is None or resource.removed_at):
        raise GuideError(_l("This entry was removed from the guide: refuse the proposal."))
    if proposal.action == Action.EDIT:
        moved = [k for k in proposal.changes if (getattr(resource, k) or "") != proposal.base[k]]
        if moved:
            raise GuideError(
                _l(
                    "The entry changed since this proposal was made: refuse it, and ask for a "
                    "new one if it is still needed."
                )
            )
    _claim(reviewer, proposal, Status.ACCEPTED)
    now = utcnow()
    if proposal.action == Action.CREATE:
        resource = Resource(commune_id=proposal.commune_id, **proposal.changes)
        db.session.add(resource)
        diff = {k: ["", v] for k, v in proposal.changes.items() if v}
        action = "created"
    elif proposal.action == Action.EDIT:
        diff = {k: [getattr(resource, k), v] for k, v in proposal.changes.items()}
        for name, value in proposal.changes.items():
            setattr(resource, name, value)
        action = "edited"
    else:
        resource.removed_at = now
        diff = {}
        action = "removed"
    if proposal.action != Action.REMOVE:
        # Whoever brought the information checked it, today.
        resource.checked_at = now
        resource.checked_by_id = proposal.proposer_id
    resource.updated_at = now
    db.session.flush()
    proposal.resource_id = resource.id
    _record_change(resource, action, reviewer, proposal.proposer_id, diff, proposal)
    audit.record(
        reviewer,
        "guide.accept",
        proposal,
        group=_audit_group(reviewer, proposal.commune),
        detail=proposal.action,
    )
    _tell_proposer(reviewer, proposal, ACCEPTED)
    return resource


def refuse(reviewer: Any, proposal: Proposal, reason: str = "") -> None:
    """Refuse the proposal; the proposer is told, with the reason given."""
    _claim(reviewer, proposal, Status.REFUSED, (reason or "").strip())
    audit.record(
        reviewer,
        "guide.refuse",
        proposal,
        group=_audit_group(reviewer, proposal.commune),
        detail=proposal.action,
    )
    _tell_proposer(reviewer, proposal, REFUSED)


def _tell_proposer(reviewer: Any, proposal: Proposal, kind: str) -> None:
    if proposal.proposer_id is None:
        return
    from forum.notifications.delivery import notify

    notify([proposal.proposer_id], kind, proposal, actor=reviewer)


def check(reviewer: Any, resource: Resource) -> None:
    """Say the entry is still right today."""
    now = utcnow()
    old = resource.checked_at
    resource.checked_at = now
    resource.checked_by_id = reviewer.id
    resource.checked_by = reviewer
    db.session.flush()
    _record_change(
        resource,
        "checked",
        reviewer,
        None,
        {"checked_at": [old.isoformat() if old else "", now.isoformat()]},
        None,
    )


def _record_change(resource, action, actor, proposed_by_id, diff, proposal) -> Change:
    change = Change(
        commune_id=resource.commune_id,
        resource_id=resource.id,
        proposal_id=proposal.id if proposal is not None else None,
        action=action,
        changed_by_id=actor.id if actor is not None else None,
        proposed_by_id=proposed_by_id,
        diff=diff,
    )
    db.session.add(change)
    db.session.flush()
    return change
