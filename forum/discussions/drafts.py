"""Drafts: the text of a reply, a new thread or an edit whose sending failed because the
session had ended, kept until its writer signs in again and given back once."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from forum.accounts.models import User
from forum.db import utcnow
from forum.discussions.models import DRAFT_LIFETIME, Draft
from forum.discussions.services import BODY_MAX, TITLE_MAX, storable
from forum.extensions import db


def save_draft(
    user: User | None,
    *,
    body: str,
    title: str | None = None,
    thread=None,
    group=None,
    post=None,
) -> Draft:
    """Keep text whose sending failed (session ended); returns the draft with its token.

    It is for a reply to `thread`, a new thread in `group`, or an edit of `post`."""
    draft = Draft(
        token=secrets.token_urlsafe(24),
        user_id=user.id if user is not None and user.is_authenticated else None,
        thread_id=thread.id if thread is not None else None,
        group_id=group.id if group is not None else None,
        post_id=post.id if post is not None else None,
        title=storable(title or "")[:TITLE_MAX] or None,
        body=storable(body)[:BODY_MAX],
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def claim_draft(
    token: str | None, user: User, *, thread=None, group=None, post=None
) -> Draft | None:
    """The draft of this token, given once: when it is still fresh, the user's (or nobody's
    yet, saved as the session ended) and for this place (a reply to `thread`, a new thread in
    `group` or an edit of `post`, as save_draft() took them). It leaves the store; the
    caller's commit makes that final."""
    if not token:
        return None
    draft = db.session.scalar(select(Draft).where(Draft.token == token))
    if draft is None or draft.created_at < utcnow() - DRAFT_LIFETIME:
        return None
    if draft.user_id not in (None, user.id):
        return None
    place = (draft.thread_id, draft.group_id, draft.post_id)
    if place != tuple(o.id if o is not None else None for o in (thread, group, post)):
        return None
    db.session.delete(draft)
    return draft
