"""Who may do what with the solidarity guide, registered into `forum.permissions`.

The guide is public: anyone reads it, prints it and exports it. Verified members propose
changes; the coordinators of the commune's groups (open groups only) and site admins
review them. A proposal is seen by its proposer and the reviewers; to anyone else it does
not exist (404).
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, or_, select

from forum import permissions
from forum.extensions import db
from forum.groups.models import Group, Membership, Role
from forum.permissions import FORBIDDEN, HIDDEN, LOGIN, Refusal, is_site_admin


def _signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and not user.is_deleted)


def reviewed_commune_ids(user: Any) -> set[int] | None:
    """The communes whose guide the user reviews (None: all of them, for a site admin):
    those of the open groups they coordinate. One query, once per request."""
    if is_site_admin(user):
        return None
    if not _signed_in(user) or user.is_suspended:
        return set()
    cache = g.setdefault("_guide_reviewed", {}) if has_request_context() else {}
    if user.id not in cache:
        cache[user.id] = set(
            db.session.scalars(
                select(Group.commune_id)
                .join(Membership, Membership.group_id == Group.id)
                .where(
                    Membership.user_id == user.id,
                    Membership.role == Role.COORDINATOR.value,
                    Group.archived_at.is_(None),
                    Group.commune_id.is_not(None),
                )
            )
        )
    return cache[user.id]


def reviews(user: Any, commune: Any) -> bool:
    """True when the user may accept or refuse proposals for the commune's guide."""
    ids = reviewed_commune_ids(user)
    return ids is None or commune.id in ids


def _view_guide(user: Any, commune: Any) -> str | None:
    return None  # public, as the town hall would publish it


def _propose(user: Any, commune: Any) -> str | None:
    """A new entry, an edit or a removal: a verified, non-suspended member."""
    refused = permissions._can_participate(user)
    if refused:
        return refused
    if commune.is_archived:
        return Refusal(FORBIDDEN, _l("This commune is archived: it is read-only."))
    return None


def _propose_change(user: Any, resource: Any) -> str | None:
    if resource.removed_at is not None:
        return HIDDEN
    return _propose(user, resource.commune)


def _review(user: Any, commune: Any) -> str | None:
    """The review queue: its reviewers; not advertised to anyone else."""
    if not _signed_in(user):
        return LOGIN
    return None if reviews(user, commune) else HIDDEN


def _check(user: Any, resource: Any) -> str | None:
    """Saying "still right today": the reviewers of the entry's commune."""
    if resource.removed_at is not None:
        return HIDDEN
    return _review(user, resource.commune)


def _view_proposal(user: Any, proposal: Any) -> str | None:
    """Its proposer and the reviewers of its commune."""
    if not _signed_in(user):
        return LOGIN
    if proposal.proposer_id == user.id or reviews(user, proposal.commune):
        return None
    return HIDDEN


def _decide(user: Any, proposal: Any) -> str | None:
    refused = _view_proposal(user, proposal)
    if refused:
        return refused
    if not reviews(user, proposal.commune):
        return FORBIDDEN  # the proposer sees their proposal, never decides it
    if not proposal.is_pending:
        return Refusal(FORBIDDEN, _l("This proposal was decided already."))
    return None


def visible_proposals(user: Any) -> list:
    """Criteria on Proposal: those the user may see (`guide.view_proposal`)."""
    from forum.guide.models import Proposal

    reviewed = reviewed_commune_ids(user)
    if reviewed is None:
        return []
    if not _signed_in(user):
        return [false()]
    return [or_(Proposal.proposer_id == user.id, permissions._in(Proposal.commune_id, reviewed))]


permissions.register(
    {
        "guide.view": _view_guide,
        "guide.propose": _propose,
        "guide.propose_change": _propose_change,
        "guide.review": _review,
        "guide.check": _check,
        "guide.view_proposal": _view_proposal,
        "guide.decide": _decide,
    }
)
