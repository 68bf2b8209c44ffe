"""Public profiles: who a member is, what they wrote that the viewer may read, the public
meetings they go to and the pledges they chose to sign; resolving @handles, old ones too."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import contains_eager, joinedload

from forum.accounts.models import User, UsernameHistory
from forum.db import utcnow
from forum.discussions.models import Post, Thread
from forum.extensions import db
from forum.groups.models import Membership
from forum.markup import plain_text
from forum.meetings.models import Meeting, MeetingAnswer
from forum.pagination import PageOf, clamp_page
from forum.permissions import visible_posts
from forum.projects.models import COUNTED_STATUSES, Pledge

POSTS_PER_PAGE = 20
MEETINGS_SHOWN = 10
# A post with thousands of mentions resolves the first ones; the rest stay plain text.
MAX_RESOLVED = 200
EXCERPT_LENGTH = 240


def resolve_handles(handles: set[str]) -> dict[str, str]:
    """{handle as typed (lower-case): the live account's current handle}, in one statement,
    for current handles and earlier ones (a mention written before a handle changed)."""
    wanted = sorted({h.lower() for h in handles})[:MAX_RESOLVED]
    if not wanted:
        return {}
    current = select(User.username.label("typed"), User.username.label("now")).where(
        func.lower(User.username).in_(wanted), User.deleted_at.is_(None)
    )
    earlier = (
        select(UsernameHistory.username.label("typed"), User.username.label("now"))
        .join(User, User.id == UsernameHistory.user_id)
        .where(UsernameHistory.username.in_(wanted), User.deleted_at.is_(None))
    )
    return {typed.lower(): now for typed, now in db.session.execute(union_all(current, earlier))}


def find_member(username: str) -> User | None:
    """The live account with this handle, its groups loaded with it (one statement)."""
    return db.session.scalar(
        select(User)
        .options(joinedload(User.memberships).joinedload(Membership.group))
        .where(func.lower(User.username) == username.lower(), User.deleted_at.is_(None))
    )


def current_handle(old: str) -> str | None:
    """The handle now used by whoever used `old` before, if their account is live."""
    return db.session.scalar(
        select(User.username)
        .join(UsernameHistory, UsernameHistory.user_id == User.id)
        .where(UsernameHistory.username == old.lower(), User.deleted_at.is_(None))
    )


def display_name_of(username: str) -> str | None:
    """The display name behind a current handle (for its avatar), or None."""
    return db.session.scalar(
        select(User.display_name).where(User.username == username, User.deleted_at.is_(None))
    )


def member_posts(member: User, viewer: Any, page: int) -> PageOf:
    """One page of the member's posts that the viewer may read, newest first: two
    statements (count, page) whatever the number of posts."""
    where = [Post.author_id == member.id, *visible_posts(viewer)]
    total = (
        db.session.scalar(
            select(func.count(Post.id)).join(Thread, Post.thread_id == Thread.id).where(*where)
        )
        or 0
    )
    page, _pages = clamp_page(page, total, POSTS_PER_PAGE)
    posts = db.session.scalars(
        select(Post)
        .join(Thread, Post.thread_id == Thread.id)
        .options(contains_eager(Post.thread).joinedload(Thread.group))
        .where(*where)
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(POSTS_PER_PAGE)
        .offset((page - 1) * POSTS_PER_PAGE)
    ).all()
    return PageOf.build(list(posts), page, total, POSTS_PER_PAGE)


def excerpt(post: Post) -> str:
    """The post's text on one line, cut at EXCERPT_LENGTH characters (not escaped)."""
    text = plain_text(post.body_html)
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1].rstrip() + "…"


def member_meetings(member: User) -> list[Meeting]:
    """The public meetings still to come that the member said they go to (one statement).
    Members-only meetings are never shown on a profile, whoever looks."""
    return list(
        db.session.scalars(
            select(Meeting)
            .join(MeetingAnswer, MeetingAnswer.meeting_id == Meeting.id)
            .options(joinedload(Meeting.group))
            .where(
                MeetingAnswer.user_id == member.id,
                MeetingAnswer.status == "yes",
                Meeting.visibility == "public",
                Meeting.cancelled_at.is_(None),
                Meeting.starts_at >= utcnow(),
            )
            .order_by(Meeting.starts_at, Meeting.id)
            .limit(MEETINGS_SHOWN)
        )
    )


def shown_pledges(member: User) -> list[Pledge]:
    """The member's pledges they chose to sign with their name (`show_name`), with their
    projects and forms of help: one statement. Hours and messages are never shown."""
    return list(
        db.session.scalars(
            select(Pledge)
            .options(joinedload(Pledge.project), joinedload(Pledge.help_kinds))
            .where(
                Pledge.user_id == member.id,
                Pledge.show_name.is_(True),
                Pledge.status.in_([s.value for s in COUNTED_STATUSES]),
            )
            .order_by(Pledge.created_at.desc())
        ).unique()
    )
