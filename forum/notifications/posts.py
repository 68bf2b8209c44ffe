"""Who hears of what happens in the forum: the listeners' work (see `listeners.py`).

For one new post: the members following the group (a new thread) or the thread (a reply),
and the members it mentions; one notification per member and post (a mention wins), never
one to the author. A post that quotes someone names their @handle: a mention.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select

from forum.accounts.models import User
from forum.discussions.models import Flag, Post, Thread
from forum.extensions import db
from forum.groups.models import Membership, Role
from forum.notifications.delivery import notify
from forum.notifications.following import follow_automatically, group_followers, thread_followers
from forum.notifications.forum_kinds import (
    FLAGGED,
    MENTION,
    NEW_THREAD,
    POST_HIDDEN,
    REPLY,
    THREAD_LOCKED,
    THREAD_MOVED,
)
from forum.notifications.listing import forget_unread_counts
from forum.notifications.models import Notification

# A post naming more people than this notifies only the first ones (alphabetically): a
# mass-mention must not turn one post into hundreds of mails.
MAX_MENTIONS = 20


def on_new_post(post: Post, *, new_thread: bool, mentions: set[str]) -> None:
    """Follow the thread for the author; notify followers and mentioned members."""
    thread = post.thread
    follow_automatically(post.author, thread)
    mentioned = set(_mentioned_ids(mentions))
    if new_thread:
        kind, followers = NEW_THREAD, set(group_followers(thread.group_id))
    else:
        kind, followers = REPLY, set(thread_followers(thread))
    # A mention wins: one notification per member and post.
    notify(followers - mentioned, kind, post, actor=post.author, thread=thread)
    notify(mentioned, MENTION, post, actor=post.author, thread=thread)


def on_edited_post(post: Post, *, new_mentions: set[str]) -> None:
    """Notify members newly mentioned by an edit: once ever for one post and member."""
    if not new_mentions or post.is_deleted or post.is_hidden:
        return
    ids = _mentioned_ids(new_mentions)
    if not ids:
        return
    already = set(
        db.session.scalars(
            select(Notification.user_id).where(
                Notification.subject_type == "post",
                Notification.subject_id == post.id,
                Notification.user_id.in_(ids),
            )
        )
    )
    notify(set(ids) - already, MENTION, post, actor=post.author, thread=post.thread)


def _mentioned_ids(mentions: set[str]) -> list[int]:
    handles = sorted(h.lower() for h in mentions)[:MAX_MENTIONS]
    if not handles:
        return []
    # Earlier handles count too: a mention typed from memory still reaches its member.
    from forum.people.services import resolve_handles

    current = sorted(set(resolve_handles(set(handles)).values()))
    if not current:
        return []
    return list(
        db.session.scalars(
            select(User.id).where(User.username.in_(current), User.deleted_at.is_(None))
        )
    )


def on_post_flagged(flag: Flag) -> None:
    """Tell the group's coordinators of a new report, once per post while it is open.

    The notification names the post, never the reporter nor their words: the coordinators
    read those on the reports page.
    """
    post = flag.post
    group = post.thread.group
    coordinators = set(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.group_id == group.id, Membership.role == Role.COORDINATOR.value
            )
        )
    )
    # The reporter knows; the post's author is not asked to judge their own post.
    coordinators -= {flag.user_id, post.author_id}
    if not coordinators:
        return
    other_open = select(Flag.id).where(
        Flag.post_id == post.id, Flag.resolved_at.is_(None), Flag.id != flag.id
    )
    told = set(
        db.session.scalars(
            select(Notification.user_id).where(
                Notification.kind == FLAGGED,
                Notification.post_id == post.id,
                Notification.user_id.in_(coordinators),
                # Told of another report still open, or of this one (reported again, its
                # words changed) and not read yet.
                or_(
                    Notification.subject_id.in_(other_open),
                    (Notification.subject_id == flag.id) & Notification.read_at.is_(None),
                ),
            )
        )
    )
    notify(coordinators - told, FLAGGED, flag, post=post)


def on_post_removed(post: Post, *, actor: User | None, how: str) -> None:
    """A moderator hid someone's post: its author is told, with the public reason."""
    if how == "hidden" and actor is not None and actor.id != post.author_id:
        notify([post.author_id], POST_HIDDEN, post, actor=actor, thread=post.thread)


def on_thread_changed(thread: Thread, *, actor: User | None, change: str) -> None:
    """A moderator moved or locked someone's thread: its author is told."""
    kind = {"moved": THREAD_MOVED, "locked": THREAD_LOCKED}.get(change)
    if kind is not None and actor is not None and actor.id != thread.author_id:
        notify([thread.author_id], kind, thread, actor=actor, thread=thread)


def on_post_reacted(post: Post, *, user: User, kind: str, added: bool) -> None:
    """A member reacted to someone's post: its author hears of it in the digest. Taken
    back before any mail carried it, the notification goes too: toggling "merci" ten times
    leaves at most one."""
    from forum.notifications.forum_kinds import REACTION_KINDS

    notification_kind = REACTION_KINDS[kind]
    pending = (
        Notification.user_id == post.author_id,
        Notification.kind == notification_kind,
        Notification.post_id == post.id,
        Notification.actor_id == user.id,
    )
    if not added:
        db.session.execute(
            delete(Notification)
            .where(*pending, Notification.mailed_at.is_(None))
            .execution_options(synchronize_session=False)
        )
        forget_unread_counts()
        return
    if db.session.scalar(select(Notification.id).where(*pending).limit(1)) is not None:
        return  # told already (and mailed): once per member, post and kind
    notify([post.author_id], notification_kind, post, actor=user, thread=post.thread)
