"""What is alive: lists of threads with the viewer's unread counts, and where a member's
unread posts begin.

A member's read position (`ReadState.last_read_number`) and the id of the first post past it
come with the threads, in the statement that loads them (an outer join and a correlated
subquery on the (thread_id, number) index): the unread counts and "jump to the first unread"
links cost no statement of their own, whatever the number of threads.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.orm import aliased, joinedload

from forum.accounts.models import NAME, Name, User
from forum.db import Listed
from forum.discussions.models import (
    POSTS_PER_PAGE,
    THREADS_PER_PAGE,
    Post,
    ReadState,
    Thread,
    ThreadFacts,
)
from forum.extensions import db
from forum.groups.models import Group
from forum.pagination import PageOf, clamp_page, page_of_number
from forum.permissions import per_access, visible_threads

# How many threads the home page shows under "latest activity".
HOME_THREADS = 10


_LISTED = (
    Thread.id,
    Thread.title,
    Thread.is_pinned,
    Thread.locked_at,
    Thread.hidden_at,
    Thread.post_count,
    Thread.last_number,
    Thread.last_posted_at,
)


class ListedThread(ThreadFacts, Listed):
    """A thread as a list shows it (its title, state, counts, `author` and `last_poster`,
    and on the home page its `group`'s slug and name), read from a plain row: a group page
    lists 30 threads and 60 names."""

    FIELDS = tuple(column.key for column in _LISTED)
    __slots__ = (*FIELDS, "author", "last_poster", "group")


class ListedGroup:
    """A thread's group as the home page's list names it."""

    __slots__ = ("slug", "name")

    def __init__(self, slug: str, name: str) -> None:
        self.slug, self.name = slug, name


@dataclass
class ThreadRow:
    """A thread in a list, as the viewer sees it."""

    thread: ListedThread
    # Unread posts for a member: None when they never opened the thread (it is new to them),
    # 0 when they have read it all. Always 0 for a visitor.
    unread_count: int | None = 0
    first_unread_id: int | None = None  # the post to jump to, when some are unread

    @property
    def unread(self) -> bool:
        """Something the member has not seen: a thread never opened, or new posts."""
        return self.unread_count is None or self.unread_count > 0

    @property
    def first_unread_page(self) -> int:
        read = self.thread.last_number - (self.unread_count or 0)
        return page_of_number(read + 1, POSTS_PER_PAGE)


def _listing(query, viewer: User | None, *, with_group: bool = False):
    """`query` (a select from Thread, ordered and limited) with the columns `_load_rows`
    reads: the thread's, its author's and last poster's names, its group's (`with_group`),
    and the viewer's read position (a member)."""
    author, poster = aliased(User, name="author"), aliased(User, name="poster")
    query = (
        query.with_only_columns(*_LISTED, *Name.columns(author), *Name.columns(poster))
        .outerjoin(author, author.id == Thread.author_id)
        .outerjoin(poster, poster.id == Thread.last_poster_id)
    )
    if with_group:
        query = query.join(Group, Group.id == Thread.group_id).add_columns(Group.slug, Group.name)
    if viewer is None:
        return query
    first_unread = (
        select(Post.id)
        .where(Post.thread_id == Thread.id, Post.number > ReadState.last_read_number)
        .order_by(Post.number)
        .limit(1)
        .correlate(Thread, ReadState)
        .scalar_subquery()
    )
    return query.outerjoin(
        ReadState,
        and_(ReadState.thread_id == Thread.id, ReadState.user_id == bindparam("viewer")),
    ).add_columns(
        ReadState.last_read_number,
        # Only looked up where something is unread (CASE evaluates lazily on both engines).
        case((ReadState.last_read_number < Thread.last_number, first_unread)),
    )


_NAMES = len(_LISTED) + len(NAME)  # where the last poster's name begins in a row
_GROUP = _NAMES + len(NAME)  # where the group's columns begin


def _load_rows(
    statement, viewer: User | None, values: dict | None = None, *, with_group: bool = False
) -> list[ThreadRow]:
    """The rows of a `_listing` statement: one statement."""
    values = dict(values or {})
    if viewer is not None:
        values["viewer"] = viewer.id
    rows = []
    for row in db.session.execute(statement, values):
        thread = ListedThread(
            row,
            author=Name.of(row[len(_LISTED) : _NAMES]),
            last_poster=Name.of(row[_NAMES:_GROUP]),
            group=ListedGroup(row[_GROUP], row[_GROUP + 1]) if with_group else None,
        )
        if viewer is None:
            rows.append(ThreadRow(thread))
            continue
        read, first_id = row[-2], row[-1]
        unread = None if read is None else max(thread.last_number - read, 0)
        rows.append(ThreadRow(thread, unread, first_id))
    return rows


def group_threads(
    group: Group, page: int, viewer: User | None, *, total: int | None = None
) -> PageOf:
    """One page of a group's threads, pinned first then by last activity, with the viewer's
    unread counts.

    `total` is the number of threads the viewer may see when the caller loaded it already
    (groups.services.group_overview does, with the group); else it is counted here.
    """
    if total is None:
        visible = [Thread.group_id == group.id, *visible_threads(viewer)]
        total = db.session.scalar(select(func.count()).select_from(Thread).where(*visible)) or 0
    page, pages = clamp_page(page, total, THREADS_PER_PAGE)
    offset = (page - 1) * THREADS_PER_PAGE
    size = max(min(THREADS_PER_PAGE, total - offset), 0)
    rows: list[ThreadRow] = []
    if size:
        # Walk the group's activity index from whichever end is nearer, so that the last
        # page costs what the first one does (only the middle pages skip n/2 entries).
        from_end = total - offset - size
        backwards = from_end < offset
        statement = _page_of_threads(viewer, backwards)
        values = {"group": group.id, "size": size, "skip": from_end if backwards else offset}
        rows = _load_rows(statement, viewer, values)
    return PageOf(rows, page, pages, total)


NEWEST_FIRST = (Thread.is_pinned.desc(), Thread.last_posted_at.desc(), Thread.id.desc())
OLDEST_FIRST = (Thread.is_pinned, Thread.last_posted_at, Thread.id)


@per_access()
def _page_of_threads(viewer: User | None, backwards: bool):
    """The statement of a page of a group's threads: the page's ids first, by the activity
    index, from the end nearer to the page (`backwards`), then the threads in order."""
    ids = (
        select(Thread.id)
        .where(Thread.group_id == bindparam("group"), *visible_threads(viewer))
        .order_by(*(OLDEST_FIRST if backwards else NEWEST_FIRST))
        .limit(bindparam("size"))
        .offset(bindparam("skip"))
        .subquery()
    )
    query = select(Thread).join(ids, ids.c.id == Thread.id).order_by(*NEWEST_FIRST)
    return _listing(query, viewer)


def active_threads(viewer: User | None, limit: int = HOME_THREADS) -> list[ThreadRow]:
    """The threads most recently posted in, across the groups (all public), as a visitor
    may see them (the home page is the same for everyone but the unread marks): one
    statement, a walk down the activity index (ix_threads_activity), built once per kind of
    access (`permissions.per_access`)."""
    return _load_rows(_active_threads(viewer, limit), viewer, with_group=True)


@per_access()
def _active_threads(viewer: User | None, limit: int):
    query = (
        select(Thread)
        .where(*visible_threads(None))
        .order_by(Thread.last_posted_at.desc(), Thread.id.desc())
        .limit(limit)
    )
    return _listing(query, viewer, with_group=True)


@dataclass
class ReadingPosition:
    """How far a member has read a thread, and the first post they have not read."""

    state: ReadState | None  # the row itself (None: never opened), for read_up_to()
    first_unread_number: int | None = None
    first_unread_id: int | None = None

    @property
    def last_read(self) -> int:
        return self.state.last_read_number if self.state is not None else 0

    @property
    def first_unread_page(self) -> int | None:
        if self.first_unread_number is None:
            return None
        return page_of_number(self.first_unread_number, POSTS_PER_PAGE)


def _position(thread: Thread, state: ReadState | None, post_id, number) -> ReadingPosition:
    if state is None:
        return ReadingPosition(None)
    if state.last_read_number >= thread.last_number:
        return ReadingPosition(state)
    return ReadingPosition(state, number, post_id)


@functools.cache
def _members_thread():
    """The statement of `members_thread`, built once (every member's thread page)."""
    from forum.notifications.following import thread_following_column

    first = (
        select(Post.id, Post.number)
        .where(Post.thread_id == Thread.id, Post.number > ReadState.last_read_number)
        .order_by(Post.number)
        .limit(1)
        .correlate(Thread, ReadState)
    )
    return (
        select(
            Thread,
            ReadState,
            first.with_only_columns(Post.id).scalar_subquery(),
            first.with_only_columns(Post.number).scalar_subquery(),
            thread_following_column(Thread.id),
        )
        .options(joinedload(Thread.group))
        .outerjoin(
            ReadState,
            and_(ReadState.thread_id == Thread.id, ReadState.user_id == bindparam("user")),
        )
        .where(Thread.id == bindparam("id"))
    )


def members_thread(thread_id: int, user: User) -> tuple[Thread | None, ReadingPosition | None]:
    """A member's thread with its group, their reading position and whether they follow it
    (for the follow button): one statement where three ran. (None, None) when no such
    thread; whether they may see it is still to be asked."""
    from forum.notifications.following import remember_following

    row = db.session.execute(_members_thread(), {"id": thread_id, "user": user.id}).first()
    if row is None:
        return None, None
    thread, state, post_id, number, following = row
    remember_following(user, thread, bool(following))
    return thread, _position(thread, state, post_id, number)
