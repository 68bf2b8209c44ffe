"""Matching a household's open need with the members whose pledge offers that form of
help, and writing to them through the site.

The keeper never sees a pledger's address; the pledger sees the keeper's only when the
keeper asks for it ("let them answer me by e-mail", off by default). The families' data
never go out by e-mail: a message that names a household of the group is refused."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from forum.accounts.models import User
from forum.contactlog.models import Household
from forum.contactlog.services import ContactLogError
from forum.extensions import db

# A need of a household, and the forms of help (a project's HelpKind keys) that answer it.
NEED_HELP = {
    "housing": ("shelter",),
    "health": ("translation", "health"),
    "school": ("school",),
    "papers": ("paperwork", "translation"),
    "work": ("work",),
    "food": ("gifts",),
    "legal": ("paperwork",),
    "other": ("transport", "gifts"),
}


@dataclass
class Helper:
    pledge_id: int
    name: str
    helps: list[str]  # the labels of the matching forms of help
    availability: list[str]
    commune: str


def helpers_for(household: Household, need_kind: str) -> list[Helper]:
    """The members whose standing pledge to a project the household's group takes part in
    offers a form of help that answers the need, with their availability. Never their
    e-mail: the keeper writes to them through the site."""
    from forum.projects.models import HelpKind, Pledge, PledgeHelp, ProjectGroup, counted_criteria

    keys = NEED_HELP.get(need_kind, ())
    if not keys:
        return []
    pledges = db.session.scalars(
        select(Pledge)
        .options(
            joinedload(Pledge.user), joinedload(Pledge.commune), selectinload(Pledge.help_kinds)
        )
        .join(User, User.id == Pledge.user_id)
        .where(
            Pledge.project_id.in_(
                select(ProjectGroup.project_id).where(ProjectGroup.group_id == household.group_id)
            ),
            counted_criteria(),
            User.deleted_at.is_(None),
            User.suspended_at.is_(None),
            Pledge.id.in_(
                select(PledgeHelp.pledge_id)
                .join(HelpKind, HelpKind.id == PledgeHelp.help_kind_id)
                .where(HelpKind.key.in_(keys))
            ),
        )
        .order_by(Pledge.created_at, Pledge.id)
        .limit(50)
    ).all()
    return [
        Helper(
            pledge_id=p.id,
            name=p.user.display_name,
            helps=[k.label for k in p.help_kinds if k.key in keys],
            availability=p.availability,
            commune=p.commune.name,
        )
        for p in pledges
    ]


def folded(text: str) -> str:
    """Text as compared for names: no accents, no case, single spaces ("Famille  Élise"
    and "famille elise" are the same)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def names_a_household(group_id: int, body: str) -> bool:
    """Whether the text contains, as whole words, the pseudonym of one of the group's
    households (followed or closed), compared case- and accent-insensitively after
    decrypting the group's pseudonyms (one statement)."""
    text = folded(body)
    for pseudonym in db.session.scalars(
        select(Household.pseudonym).where(Household.group_id == group_id)
    ):
        name = folded(pseudonym or "")
        if name and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            return True
    return False


def write_to_helper(
    actor: User,
    household: Household,
    need_kind: str,
    pledge_id: int,
    *,
    body: str,
    reply_by_email: bool = False,
) -> bool:
    """Write to a pledger who could help, through the outbox: they read the keeper's
    words and name, and how to answer through the site; the keeper's address only when
    `reply_by_email` (then as Reply-To). The keeper never sees the pledger's. The mail
    names neither the household nor the need's details: a body that names a household
    of the group is refused (ContactLogError on "body"). False: that member cannot be
    written to (any more)."""
    from forum import audit
    from forum.mail import queue_mail
    from forum.notifications.delivery import can_receive_mail
    from forum.projects.models import Pledge
    from forum.urls import absolute_url

    body = body.replace("\x00", "")
    if names_a_household(household.group_id, body):
        raise ContactLogError(
            _l(
                "Your message names a family the group follows: the families' data never "
                "go out by e-mail. Take the name out and send it again."
            ),
            "body",
        )
    allowed = {h.pledge_id for h in helpers_for(household, need_kind)}
    if pledge_id not in allowed:
        return False
    pledge = db.session.get(Pledge, pledge_id)
    user = pledge.user
    if not can_receive_mail(user):
        return False
    group = household.group
    reply = bool(reply_by_email and actor.email)
    queue_mail(
        user.email,
        "contactlog_helper",
        subject=_l("%(name)s asks whether you could help", name=actor.display_name),
        locale=user.locale,
        headers={"Reply-To": actor.email} if reply else None,
        user=user,
        sender=actor,
        group=group,
        body=body,
        reply_by_email=reply,
        sender_url=absolute_url("people.profile", username=actor.username),
        group_url=absolute_url("groups.show_group", slug=group.slug),
        url=absolute_url("projects.show_project", slug=pledge.project.slug),
    )
    audit.record(
        actor,
        "household.helper_message",
        household,
        group=group,
        detail=need_kind + (" reply-to" if reply else ""),
    )
    return True
