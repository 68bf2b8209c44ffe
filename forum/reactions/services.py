"""Reacting to posts, and the counts a page shows."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import bindparam, case, delete, func, select

from forum import events
from forum.accounts.models import User
from forum.db import insert_ignoring_duplicate
from forum.discussions.models import Post
from forum.extensions import db
from forum.reactions.models import KINDS, Reaction

__all__ = ["KINDS", "Count", "ReactionError", "counts", "toggle"]


class ReactionError(ValueError):
    """Not a kind of reaction."""


def toggle(user: User, post: Post, kind: str) -> bool:
    """Add the member's reaction of this kind to the post, or take it back when it is
    there already; True when it is there now. The caller checked `post.react`.

    Race-safe: the primary key keeps one row; two clicks at once insert it once."""
    if kind not in KINDS:
        raise ReactionError(kind)
    if insert_ignoring_duplicate(Reaction, post_id=post.id, user_id=user.id, kind=kind):
        events.post_reacted.send(post, user=user, kind=kind, added=True)
        return True
    removed = db.session.execute(
        delete(Reaction).where(
            Reaction.post_id == post.id, Reaction.user_id == user.id, Reaction.kind == kind
        )
    )
    if removed.rowcount:
        events.post_reacted.send(post, user=user, kind=kind, added=False)
    return False


@dataclass(frozen=True)
class Count:
    count: int
    mine: bool  # the viewer's own reaction is among them


@functools.cache
def _counts_of(mine: bool):
    """The statement of `counts`, built once (each thread page runs it): with the viewer's
    own reactions marked, or not (a visitor)."""
    own = (
        func.max(case((Reaction.user_id == bindparam("viewer"), 1), else_=0))
        if mine
        else func.max(0)
    )
    return (
        select(Reaction.post_id, Reaction.kind, func.count(), own)
        .where(Reaction.post_id.in_(bindparam("ids", expanding=True)))
        .group_by(Reaction.post_id, Reaction.kind)
    )


def counts(posts, viewer: User | None) -> dict[int, dict[str, Count]]:
    """{post id: {kind: Count}} for the page's posts that show reactions (neither hidden nor
    deleted): one statement for the whole page, none when no post shows them."""
    ids = [p.id for p in posts if not (p.is_deleted or p.is_hidden)]
    if not ids:
        return {}
    values = {"ids": ids} if viewer is None else {"ids": ids, "viewer": viewer.id}
    found: dict[int, dict[str, Count]] = {}
    for post_id, kind, count, own in db.session.execute(_counts_of(viewer is not None), values):
        found.setdefault(post_id, {})[kind] = Count(count, bool(own))
    return found
