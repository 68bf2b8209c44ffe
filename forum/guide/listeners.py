"""The guide's kinds of notification, registered with the notifications core: reviewers
hear of a proposal (in their digest), its proposer of the decision (at once)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.extensions import db


def _load_proposals(ids: set[int]) -> dict:
    from forum.guide.models import Proposal

    query = (
        select(Proposal)
        .options(joinedload(Proposal.commune), joinedload(Proposal.resource))
        .where(Proposal.id.in_(ids))
    )
    return {p.id: p for p in db.session.scalars(query)}


def _visible(user, proposal) -> bool:
    from forum.permissions import can

    return can("guide.view_proposal", proposal, user=user)


def _target(proposal):
    return "guide.show_proposal", {"proposal_id": proposal.id}


def _what(proposal):
    """ "a new entry “Épicerie solidaire”", "a change to “…”", "the removal of “…”"."""
    if proposal.action == "create":
        return _l("a new entry “%(name)s”", name=proposal.changes.get("name", ""))
    name = proposal.resource.name if proposal.resource is not None else ""
    if proposal.action == "remove":
        return _l("the removal of “%(name)s”", name=name)
    return _l("a change to “%(name)s”", name=name)


def register_guide_kinds() -> None:
    """Register the proposal subject and its kinds (idempotent)."""
    from forum.guide.services import ACCEPTED, PROPOSED, REFUSED
    from forum.notifications.kinds import Kind, register_kind, register_subject

    register_subject("guide_proposal", _load_proposals)
    register_kind(
        Kind(
            name=PROPOSED,
            subject_type="guide_proposal",
            line=lambda n, p: _l(
                "Proposed for the solidarity guide of %(commune)s: %(what)s",
                commune=p.commune.name,
                what=_what(p),
            ),
            mail_subject=lambda n, p: _l(
                "A proposal for the solidarity guide of %(commune)s", commune=p.commune.name
            ),
            target=_target,
            visible=_visible,
            link_label=_l("Read it, accept or refuse it"),
            urgent=lambda n, user, p: False,  # the daily digest is soon enough
            once_per_visit=False,
        )
    )
    register_kind(
        Kind(
            name=ACCEPTED,
            subject_type="guide_proposal",
            line=lambda n, p: _l(
                "Your proposal for the solidarity guide of %(commune)s was accepted: %(what)s",
                commune=p.commune.name,
                what=_what(p),
            ),
            mail_subject=lambda n, p: _l(
                "Your proposal for the guide of %(commune)s was accepted", commune=p.commune.name
            ),
            target=_target,
            visible=_visible,
            link_label=_l("See your proposal"),
            once_per_visit=False,
        )
    )
    register_kind(
        Kind(
            name=REFUSED,
            subject_type="guide_proposal",
            line=lambda n, p: _l(
                "Your proposal for the solidarity guide of %(commune)s was refused: %(what)s",
                commune=p.commune.name,
                what=_what(p),
            ),
            mail_subject=lambda n, p: _l(
                "Your proposal for the guide of %(commune)s was refused", commune=p.commune.name
            ),
            target=_target,
            visible=_visible,
            excerpt=lambda p, length: p.reason[:length] or None,
            link_label=_l("See your proposal"),
            once_per_visit=False,
        )
    )


def connect() -> None:
    register_guide_kinds()
