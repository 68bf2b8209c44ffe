"""Discussion rules: starting threads, replying, editing, deleting, moderating, reading."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.orm import aliased, contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from forum import audit, events
from forum.accounts.models import NAME, Name, User
from forum.db import Listed, insert_ignoring_duplicate, utcnow
from forum.discussions.activity import ThreadRow, group_threads  # noqa: F401 - their old home
from forum.discussions.models import (
    POSTS_PER_PAGE,
    Post,
    PostFacts,
    PostRevision,
    PostSubmission,
    ReadState,
    Thread,
)
from forum.extensions import db
from forum.groups.models import Group
from forum.markup import render_markdown
from forum.pagination import PageOf, clamp_page
from forum.permissions import can, visible_posts, visible_threads

TITLE_MIN, TITLE_MAX = 3, 150
BODY_MIN, BODY_MAX = 1, 50_000
REASON_MAX = 500
FEED_PINNED_ROOM = 10  # pinned threads come first on the activity index


def storable(text: str) -> str:
    """Text as it can be stored: without NUL, which PostgreSQL refuses and no one types."""
    return text.replace("\x00", "")


class PostingError(Exception):
    """A domain rule refused the change; `message` is shown to the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _check_can_post(user: User, action: str, target) -> None:
    """Refuse, in words for the user, what the permission rules refuse."""
    from forum.permissions import refusal

    refused = refusal(user, action, target)
    if refused:
        raise PostingError(getattr(refused, "message", None) or _l("You cannot post here."))


# --- Writing ---------------------------------------------------------------------------


def create_thread(
    author: User, group: Group, *, title: str, body: str, submission: str | None = None
) -> Thread:
    """Start a thread in a group, with its first post; the author follows it.

    The same form sent twice (its `submission` key) starts one thread: the second call
    returns the first one's thread."""
    _check_can_post(author, "thread.create", group)
    earlier = _claim_submission(author, submission)
    if earlier is not None:
        return earlier.thread
    now = utcnow()
    thread = Thread(
        title=storable(title).strip(),
        post_count=0,
        last_number=0,
        last_posted_at=now,
    )
    db.session.add(thread)
    thread.group = group
    thread.author = author
    db.session.flush()
    post = _add_post(author, thread, body, now)
    _record_submission(submission, post)
    _after_post(post, new_thread=True)
    return thread


def reply(author: User, thread: Thread, *, body: str, submission: str | None = None) -> Post:
    """Add a post at the end of a thread; the author follows it.

    A double submit posts once: the same form's key returns the post already written."""
    _check_can_post(author, "thread.reply", thread)
    earlier = _claim_submission(author, submission)
    if earlier is not None:
        return earlier
    post = _add_post(author, thread, body, utcnow())
    _record_submission(submission, post)
    _after_post(post, new_thread=False)
    return post


def _claim_submission(author: User, key: str | None) -> Post | None:
    """Take the form's one-time key; when it was taken already, the post it made.

    Concurrent sends of one form insert the key once: the others wait on its unique
    index (PostgreSQL) or the write lock (SQLite), then find it taken."""
    if not key:
        return None
    key = storable(key)[:64]
    if insert_ignoring_duplicate(PostSubmission, key=key, user_id=author.id):
        return None
    taken = db.session.get(PostSubmission, key, populate_existing=True)
    if taken is None or taken.user_id != author.id or taken.post_id is None:
        return None
    return db.session.get(Post, taken.post_id)


def _record_submission(key: str | None, post: Post) -> None:
    if key:
        db.session.execute(
            update(PostSubmission)
            .where(PostSubmission.key == storable(key)[:64])
            .values(post_id=post.id)
            .execution_options(synchronize_session=False)
        )


def _add_post(author: User, thread: Thread, body: str, now) -> Post:
    # One UPDATE takes the next number: concurrent replies queue on the thread's row
    # (PostgreSQL) or the write lock (SQLite) and never get the same number.
    db.session.execute(
        update(Thread)
        .where(Thread.id == thread.id)
        .values(
            last_number=Thread.last_number + 1,
            post_count=Thread.post_count + 1,
            last_posted_at=now,
            last_poster_id=author.id,
        )
        .execution_options(synchronize_session=False)
    )
    number = db.session.scalar(select(Thread.last_number).where(Thread.id == thread.id))
    db.session.refresh(thread)
    body = storable(body)
    rendered = render_markdown(body)
    post = Post(
        thread_id=thread.id,
        author_id=author.id,
        number=number,
        body=body,
        body_html=rendered.html,
        created_at=now,
    )
    db.session.add(post)
    db.session.flush()
    post.mentions = rendered.mentions  # type: ignore[attr-defined] - for the notifier
    read_up_to(author, thread, number)
    return post


def _after_post(post: Post, *, new_thread: bool) -> None:
    """Tell the listeners (notifications, the search index) of a new post."""
    events.post_created.send(post, new_thread=new_thread, mentions=getattr(post, "mentions", set()))


def edit_post(editor: User, post: Post, *, body: str) -> Post:
    """Replace a post's text; the earlier version stays readable in its history."""
    body = storable(body)
    if body == post.body:
        return post
    old_mentions = render_markdown(post.body).mentions
    db.session.add(
        PostRevision(
            post_id=post.id,
            body=post.body,
            body_html=post.body_html,
            written_at=post.edited_at or post.created_at,
            editor_id=editor.id,
        )
    )
    rendered = render_markdown(body)
    post.body = body
    post.body_html = rendered.html
    post.edited_at = utcnow()
    post.edit_count += 1
    db.session.flush()
    events.post_edited.send(post, new_mentions=rendered.mentions - old_mentions, editor=editor)
    return post


def delete_post(actor: User, post: Post) -> None:
    """Soft-delete a post: its place stays, its text is gone from pages and search. The
    page says who deleted it: its author, or the moderation."""
    post.deleted_at = utcnow()
    post.deleted_by_id = actor.id
    if actor.id != post.author_id:
        audit.record(actor, "post.delete", post, group=post.thread.group, detail="moderation")
    events.post_removed.send(post, actor=actor, how="deleted")


HISTORY_PER_PAGE = 20


def revisions(post: Post, page: int = 1) -> PageOf:
    """One page of a post's earlier versions, newest first."""
    total = (
        db.session.scalar(
            select(func.count()).select_from(PostRevision).where(PostRevision.post_id == post.id)
        )
        or 0
    )
    page, _pages = clamp_page(page, total, HISTORY_PER_PAGE)
    rows = db.session.scalars(
        select(PostRevision)
        .options(joinedload(PostRevision.editor))
        .where(PostRevision.post_id == post.id)
        .order_by(PostRevision.id.desc())
        .limit(HISTORY_PER_PAGE)
        .offset((page - 1) * HISTORY_PER_PAGE)
    ).all()
    return PageOf.build(list(rows), page, total, HISTORY_PER_PAGE)


def current_editor_id(post: Post, listing: PageOf) -> int | None:
    """Who wrote the post's current version (None: never edited): whoever replaced the
    newest earlier version, the first row of the history's first page."""
    if not post.edit_count:
        return None
    if listing.page == 1 and listing.items:
        return listing.items[0].editor_id
    return db.session.scalar(
        select(PostRevision.editor_id)
        .where(PostRevision.post_id == post.id)
        .order_by(PostRevision.id.desc())
        .limit(1)
    )


def quote_text(post: Post) -> str:
    """Markdown that quotes a post, for a reply: its author's @handle (a mention) and a link
    to the quoted post (its permalink, /posts/<id>, which finds its page), in the replying
    member's language, then its text."""
    from flask import current_app, has_request_context
    from flask_babel import force_locale, gettext

    quoted = "\n".join(f"> {line}" if line else ">" for line in post.body.splitlines())
    if has_request_context():
        link = gettext("message #%(number)s", number=post.number)
    else:  # a command or a shell: the site's language
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            link = gettext("message #%(number)s", number=post.number)
    return f"> **@{post.author.username}**, [{link}](/posts/{post.id}) :\n{quoted}\n\n"


# --- Reading ---------------------------------------------------------------------------


# What a thread is loaded with (get_or_404(Thread, id, options=...)): its group, in the same
# statement, since every thread page and permission check needs it.
THREAD_WITH_GROUP = (joinedload(Thread.group),)
# And a post with its thread and group: every permission rule on a post reads them.
POST_WITH_THREAD = (joinedload(Post.thread).joinedload(Thread.group),)


# The statements every thread page runs are built once (functools.cache, on first use:
# the mappers are configured by then): building a select with its options costs more than
# running it on SQLite (70 µs against 116 µs for the thread with its group).
@functools.cache
def _thread_by_id():
    return select(Thread).options(*THREAD_WITH_GROUP).where(Thread.id == bindparam("id"))


# What a thread page shows of each post: all but the Markdown source (as long again), which
# stays in the database until an edit or a quote asks for it.
_LISTED_POST = (
    Post.id,
    Post.thread_id,
    Post.author_id,
    Post.number,
    Post.body_html,
    Post.edited_at,
    Post.edit_count,
    Post.deleted_at,
    Post.deleted_by_id,
    Post.hidden_at,
    Post.hidden_category,
    Post.hidden_reason,
    Post.hidden_by_id,
    Post.created_at,
)


class ListedPost(PostFacts, Listed):
    """A post as its thread page shows it, read from a plain row with its `author`'s name
    and its `thread`: 20 posts loaded as ORM objects cost twice what the statement did (0.5
    against 0.25 ms). The permission rules and the templates read it as they read a Post."""

    FIELDS = tuple(column.key for column in _LISTED_POST)
    __slots__ = (*FIELDS, "author", "thread")


@functools.cache
def _posts_by_number():
    author = aliased(User, name="author")
    return (
        select(*_LISTED_POST, *Name.columns(author))
        .outerjoin(author, author.id == Post.author_id)
        .where(
            Post.thread_id == bindparam("thread_id"),
            and_(Post.number >= bindparam("first"), Post.number < bindparam("end")),
        )
        .order_by(Post.number)
    )


def load_thread(thread_id: int) -> Thread | None:
    """The thread with its group: one statement."""
    return db.session.scalars(_thread_by_id(), {"id": thread_id}).first()


@dataclass
class PostsPage(PageOf):
    """A page of a thread's posts, with what other features loaded with them (`extra`)."""

    extras: dict = field(default_factory=dict)  # {post id: {name: value}}


# Statements of thread_page with other features' columns, under the name their caller gave.
_POST_PAGES: dict[str, object] = {}


def thread_page(
    thread: Thread,
    page: int,
    *,
    extra: dict | None = None,
    values: dict | None = None,
    keep_as: str | None = None,
) -> PostsPage:
    """One page of a thread's posts (ListedPost, each with its `thread` and its author's
    name): one statement, by number range (no OFFSET), so the last page costs what the
    first does.

    `extra` maps names to scalar subqueries correlated to Post that other features want
    with each post (the reactions' counts), found again in `extras` by post id; `values`
    are their bind parameters. A caller whose `extra` is always the same names it
    `keep_as`: the statement is then built once."""
    page, pages = clamp_page(page, thread.last_number, POSTS_PER_PAGE)
    first = (page - 1) * POSTS_PER_PAGE + 1
    params = {"thread_id": thread.id, "first": first, "end": first + POSTS_PER_PAGE}
    statement = _POST_PAGES.get(keep_as) if keep_as else None
    if not extra:
        statement = _posts_by_number()
    elif statement is None:
        statement = _posts_by_number().add_columns(
            *(column.label(f"extra_{name}") for name, column in extra.items())
        )
        if keep_as:
            _POST_PAGES[keep_as] = statement
    names = len(_LISTED_POST) + len(NAME)
    posts, extras = [], {}
    for row in db.session.execute(statement, {**params, **(values or {})}):
        post = ListedPost(row, author=Name.of(row[len(_LISTED_POST) : names]), thread=thread)
        posts.append(post)
        if extra:
            extras[post.id] = dict(zip(extra, row[names:], strict=True))
    return PostsPage(posts, page, pages, thread.post_count, extras=extras)


@dataclass(frozen=True)
class PostTools:
    """What the viewer may do with one post of the page (the links under it)."""

    quote: bool
    edit: bool
    delete: bool
    flag: bool
    react: bool


def post_tools(viewer: User | None, thread: Thread, posts) -> dict[int, PostTools]:
    """The tools under each post, decided once per page by the permission rules (asking
    them from the template, post by post, was half the time of a member's thread page)."""
    if viewer is None:
        return {}
    reply = can("thread.reply", thread, viewer)
    tools = {}
    for post in posts:
        if post.is_deleted:
            continue
        tools[post.id] = PostTools(
            quote=reply and not post.is_hidden,
            edit=can("post.edit", post, viewer),
            delete=post.author_id == viewer.id and can("post.delete", post, viewer),
            flag=can("post.flag", post, viewer),
            react=can("post.react", post, viewer),
        )
    return tools


def feed_posts(*, thread: Thread | None = None, group: Group | None = None, limit: int = 30):
    """The newest posts everyone may read, with their authors and threads, in one statement,
    for the Atom feeds. Hidden and deleted posts and hidden threads are left out."""
    query = (
        select(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .options(joinedload(Post.author), contains_eager(Post.thread))
        .where(*visible_posts(None))  # feeds are public: what a visitor may read
    )
    if thread is not None:
        # The (thread_id, number) index, read backwards from the thread's last post.
        return list(
            db.session.scalars(
                query.where(Post.thread_id == thread.id).order_by(Post.number.desc()).limit(limit)
            )
        )
    assert group is not None
    # Posts carry no group: "newest first" over the group's posts would sort all of them, or
    # walk every newer post of the site for a quiet group. The newest posts are the last
    # posts of the most recently active threads, so look only there: the threads first on
    # the activity index (room for a few pinned ones), the last `limit` numbers of each.
    # Only the few dozen newest then are loaded; the moderated ones among them are dropped.
    active = (
        select(Thread.id, Thread.last_number)
        .where(Thread.group_id == group.id, *visible_threads(None))
        .order_by(Thread.is_pinned.desc(), Thread.last_posted_at.desc(), Thread.id.desc())
        .limit(limit + FEED_PINNED_ROOM)
        .subquery()
    )
    newest = (
        select(Post.id)
        .join(
            active, and_(Post.thread_id == active.c.id, Post.number > active.c.last_number - limit)
        )
        .order_by(Post.id.desc())  # ids follow time
        .limit(limit)
        .subquery()
    )
    return list(
        db.session.scalars(query.join(newest, newest.c.id == Post.id).order_by(Post.id.desc()))
    )


def last_read(user: User, thread: Thread) -> int:
    """How far the user has read the thread (0: not at all)."""
    # Loaded as an entity: read_up_to() then finds it in the identity map, no second query.
    state = db.session.get(ReadState, (user.id, thread.id))
    return state.last_read_number if state is not None else 0


_UNKNOWN = object()


def read_up_to(user: User, thread: Thread, number: int, *, state=_UNKNOWN) -> bool:
    """Remember that the user has read the thread up to post `number` (never backwards);
    False when it was known already (nothing written, nothing to commit).

    `state` is the user's ReadState of the thread (or None: none yet) when the caller has
    loaded it already (activity.members_thread); else it is looked up here.
    Race-safe: sixteen first reads at once insert one row (INSERT … ON CONFLICT DO
    NOTHING), then move it forward with a conditional UPDATE."""
    if state is _UNKNOWN:
        state = db.session.get(ReadState, (user.id, thread.id))
    if state is not None and state.last_read_number >= number:
        return False
    inserted = state is None and insert_ignoring_duplicate(
        ReadState, user_id=user.id, thread_id=thread.id, last_read_number=number
    )
    if not inserted:  # read before, or by a concurrent first read
        db.session.execute(
            update(ReadState)
            .where(
                ReadState.user_id == user.id,
                ReadState.thread_id == thread.id,
                ReadState.last_read_number < number,
            )
            .values(last_read_number=number)
            .execution_options(synchronize_session=False)
        )
        if state is not None:  # what the UPDATE wrote, without the ORM writing it again
            set_committed_value(state, "last_read_number", number)
    events.thread_read.send(thread, user=user, number=number)
    return True


def post_by_number(thread: Thread, number: int) -> Post | None:
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == number))
