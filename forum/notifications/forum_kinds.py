"""The forum's kinds of notification: replies, mentions, new threads, reports, moderation.

Registered by `listeners.connect()`; other features register theirs the same way.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.discussions.models import Flag, Post, Thread
from forum.extensions import db
from forum.markup import plain_text
from forum.notifications.kinds import Kind, register_kind, register_subject
from forum.notifications.unsubscribe import SCOPE_GROUP, SCOPE_THREAD
from forum.permissions import can

REPLY = "reply"
MENTION = "mention"
NEW_THREAD = "new_thread"
FLAGGED = "flagged"
POST_HIDDEN = "post_hidden"
THREAD_MOVED = "thread_moved"
THREAD_LOCKED = "thread_locked"
# A member's reaction to one's post (forum/reactions): told in the digest, never at once.
REACTION_THANKS = "reaction_thanks"
REACTION_PLUS_ONE = "reaction_plus_one"
REACTION_KINDS = {"thanks": REACTION_THANKS, "plus_one": REACTION_PLUS_ONE}


def extract(post: Post, length: int = 300) -> str:
    """A short plain-text extract of a post, cut at a word."""
    text = plain_text(post.body_html)
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0] or text[:length]
    return cut.rstrip(" ,;:.") + "…"


# --- Subjects ---------------------------------------------------------------------------


def _load_posts(ids: set[int]) -> dict[int, Post]:
    query = select(Post).options(
        joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.group)
    )
    return {p.id: p for p in db.session.scalars(query.where(Post.id.in_(ids)))}


def _load_threads(ids: set[int]) -> dict[int, Thread]:
    query = select(Thread).options(joinedload(Thread.group))
    return {t.id: t for t in db.session.scalars(query.where(Thread.id.in_(ids)))}


def _load_flags(ids: set[int]) -> dict[int, Flag]:
    query = select(Flag).options(
        joinedload(Flag.post).joinedload(Post.thread).joinedload(Thread.group)
    )
    return {f.id: f for f in db.session.scalars(query.where(Flag.id.in_(ids)))}


# --- Posts: replies, mentions, new threads ------------------------------------------------


def _name(post: Post) -> str:
    return post.author.display_name if post.author is not None else _l("someone")


def _post_visible(user, post: Post) -> bool:
    return not post.is_deleted and can("post.view", post, user=user)


def _post_excerpt(post: Post, length: int) -> str | None:
    return None if post.is_deleted or post.is_hidden else extract(post, length)


def _permalink(post: Post) -> tuple[str, dict]:
    return "discussions.permalink", {"post_id": post.id}


def _stop_thread(n, post: Post):
    return SCOPE_THREAD, post.thread_id, _l("Stop e-mails about this thread")


def _stop_group(n, post: Post):
    group = post.thread.group
    return (
        SCOPE_GROUP,
        group.id,
        _l("Stop being told about new threads of %(group)s", group=group.name),
    )


def _replies(count: int, post: Post, unread: bool):
    title = post.thread.title
    if unread:
        return lazy_ngettext(
            "%(num)s new reply in “%(title)s”",
            "%(num)s new replies in “%(title)s”",
            count,
            title=title,
        )
    return lazy_ngettext(
        "%(num)s reply in “%(title)s”", "%(num)s replies in “%(title)s”", count, title=title
    )


def _post_kind(name: str, **words) -> Kind:
    return Kind(
        name=name,
        subject_type="post",
        target=_permalink,
        visible=_post_visible,
        excerpt=_post_excerpt,
        link_label=_l("Read it and reply"),
        **words,
    )


def _reactions(count: int, post: Post, unread: bool):
    title = post.thread.title
    if unread:
        return lazy_ngettext(
            "%(num)s new reaction to your messages in “%(title)s”",
            "%(num)s new reactions to your messages in “%(title)s”",
            count,
            title=title,
        )
    return lazy_ngettext(
        "%(num)s reaction to your messages in “%(title)s”",
        "%(num)s reactions to your messages in “%(title)s”",
        count,
        title=title,
    )


def _actor(n) -> str:
    return n.actor.display_name if n.actor is not None else _l("someone")


def _reaction_kind(name: str, **words) -> Kind:
    return _post_kind(
        name,
        digest_only=True,  # the digest brings them, whatever the member's choice
        group_line=_reactions,
        stop=_stop_thread,
        **words,
    )


# --- Moderation -------------------------------------------------------------------------


def _flag_group(flag: Flag):
    return flag.post.thread.group


def _flag_visible(user, flag: Flag) -> bool:
    # Moderators only; the reporter's words stay on the reports page, never here.
    return can("group.coordinate", _flag_group(flag), user=user)


def _thread_visible(user, thread: Thread) -> bool:
    return can("thread.view", thread, user=user)


def _show_thread(thread: Thread) -> tuple[str, dict]:
    return "discussions.show_thread", {"thread_id": thread.id}


def register_forum_kinds() -> None:
    """Register the forum's subjects and kinds (idempotent)."""
    register_subject("post", _load_posts)
    register_subject("thread", _load_threads)
    register_subject("flag", _load_flags)
    register_kind(
        _post_kind(
            REPLY,
            line=lambda n, p: _l(
                "%(name)s replied in “%(title)s”", name=_name(p), title=p.thread.title
            ),
            mail_line=lambda n, p: _l(
                "%(author)s replied in “%(title)s” (%(group)s):",
                author=_name(p),
                title=p.thread.title,
                group=p.thread.group.name,
            ),
            mail_subject=lambda n, p: _l("New reply in “%(title)s”", title=p.thread.title),
            digest_line=lambda n, p: _l("%(name)s replied:", name=_name(p)),
            # A reply in a thread the member started answers them: at once.
            urgent=lambda n, user, p: p.thread.author_id == user.id,
            group_line=_replies,
            stop=_stop_thread,
        )
    )
    register_kind(
        _post_kind(
            MENTION,
            line=lambda n, p: _l(
                "%(name)s mentioned you in “%(title)s”", name=_name(p), title=p.thread.title
            ),
            mail_line=lambda n, p: _l(
                "%(author)s mentioned you in “%(title)s” (%(group)s):",
                author=_name(p),
                title=p.thread.title,
                group=p.thread.group.name,
            ),
            mail_subject=lambda n, p: _l(
                "%(name)s mentioned you in “%(title)s”", name=_name(p), title=p.thread.title
            ),
            digest_line=lambda n, p: _l("%(name)s mentioned you:", name=_name(p)),
            stop=_stop_thread,
        )
    )
    register_kind(
        _post_kind(
            NEW_THREAD,
            line=lambda n, p: _l(
                "%(name)s started “%(title)s” in %(group)s",
                name=_name(p),
                title=p.thread.title,
                group=p.thread.group.name,
            ),
            mail_line=lambda n, p: _l(
                "%(author)s started a new thread in %(group)s: “%(title)s”",
                author=_name(p),
                title=p.thread.title,
                group=p.thread.group.name,
            ),
            mail_subject=lambda n, p: _l(
                "New thread in %(group)s: %(title)s",
                group=p.thread.group.name,
                title=p.thread.title,
            ),
            digest_line=lambda n, p: _l("%(name)s started the thread:", name=_name(p)),
            urgent=lambda n, user, p: False,  # the digest brings a followed group's news
            stop=_stop_group,
        )
    )
    register_kind(
        _reaction_kind(
            REACTION_THANKS,
            line=lambda n, p: _l(
                "%(name)s thanked you for your message in “%(title)s”",
                name=_actor(n),
                title=p.thread.title,
            ),
            mail_subject=lambda n, p: _l(
                "%(name)s thanked you in “%(title)s”", name=_actor(n), title=p.thread.title
            ),
            digest_line=lambda n, p: _l("%(name)s thanked you for this message:", name=_actor(n)),
        )
    )
    register_kind(
        _reaction_kind(
            REACTION_PLUS_ONE,
            line=lambda n, p: _l(
                "%(name)s gave +1 to your message in “%(title)s”",
                name=_actor(n),
                title=p.thread.title,
            ),
            mail_subject=lambda n, p: _l(
                "%(name)s gave +1 to your message in “%(title)s”",
                name=_actor(n),
                title=p.thread.title,
            ),
            digest_line=lambda n, p: _l("%(name)s gave +1 to this message:", name=_actor(n)),
        )
    )
    register_kind(
        Kind(
            name=FLAGGED,
            subject_type="flag",
            line=lambda n, f: _l(
                "A message in “%(title)s” was reported to the moderators of %(group)s",
                title=f.post.thread.title,
                group=_flag_group(f).name,
            ),
            mail_subject=lambda n, f: _l(
                "A message was reported in %(group)s", group=_flag_group(f).name
            ),
            target=lambda f: ("discussions.flag_queue", {"slug": _flag_group(f).slug}),
            visible=_flag_visible,
            link_label=_l("See the reports"),
        )
    )
    register_kind(
        Kind(
            name=POST_HIDDEN,
            subject_type="post",
            line=lambda n, p: _l(
                "Your message in “%(title)s” was hidden by the moderators: %(reason)s",
                title=p.thread.title,
                reason=p.public_hidden_reason,
            ),
            mail_subject=lambda n, p: _l(
                "Your message in “%(title)s” was hidden", title=p.thread.title
            ),
            target=_permalink,
            visible=_post_visible,
            excerpt=lambda p, length: None if p.is_deleted else extract(p, length),
            link_label=_l("See your message"),
            once_per_visit=False,
        )
    )
    register_kind(
        Kind(
            name=THREAD_MOVED,
            subject_type="thread",
            line=lambda n, t: _l(
                "Your thread “%(title)s” was moved to %(group)s", title=t.title, group=t.group.name
            ),
            mail_subject=lambda n, t: _l("Your thread “%(title)s” was moved", title=t.title),
            target=_show_thread,
            visible=_thread_visible,
            link_label=_l("See the thread"),
            once_per_visit=False,
        )
    )
    register_kind(
        Kind(
            name=THREAD_LOCKED,
            subject_type="thread",
            line=lambda n, t: _l(
                "Your thread “%(title)s” was locked: it takes no new replies", title=t.title
            ),
            mail_subject=lambda n, t: _l("Your thread “%(title)s” was locked", title=t.title),
            target=_show_thread,
            visible=_thread_visible,
            link_label=_l("See the thread"),
            once_per_visit=False,
        )
    )
