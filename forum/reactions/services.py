"""Reacting to posts, and the counts a page shows."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, select

from forum import events
from forum.accounts.models import User
from forum.db import insert_ignoring_duplicate
from forum.discussions.models import Post
from forum.extensions import db
from forum.reactions.models import KINDS, Reaction

__all__ = [
    "KINDS",
    "Count",
    "ReactionError",
    "count_columns",
    "counted",
    "counted_by_post",
    "toggle",
]


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
@functools.cache
def count_columns(mine: bool) -> dict[str, object]:
    """A post's reaction figures as columns correlated to Post, built once: each kind's
    count and, with `mine`, whether the viewer's own (bind parameter "viewer") is among
    them. The thread page's posts come with them (no statement of their own); the
    primary key (post, member, kind) answers both."""
    columns = {}
    for kind in KINDS:
        of_kind = (Reaction.post_id == Post.id, Reaction.kind == kind)
        columns[kind] = (
            select(func.count()).select_from(Reaction).where(*of_kind).correlate(Post)
        ).scalar_subquery()
        if mine:
            columns[f"{kind}_mine"] = (
                select(Reaction.post_id)
                .where(*of_kind, Reaction.user_id == bindparam("viewer"))
                .correlate(Post)
                .exists()
            )
    return columns


def counted(values) -> dict[str, Count]:
    """{kind: Count} of one post from the values of `count_columns` (by name), leaving out
    the kinds nobody chose."""
    return {
        kind: Count(values[kind], bool(values.get(f"{kind}_mine")))
        for kind in KINDS
        if values[kind]
    }


def counted_by_post(extras: dict) -> dict[int, dict[str, Count]]:
    """{post id: {kind: Count}} from the columns a page of posts came with, by post id
    (discussions.services.thread_page's `extras`), for the posts that have some."""
    found = {}
    for post_id, values in extras.items():
        figures = counted(values)
        if figures:
            found[post_id] = figures
    return found
