"""Atom feeds (RFC 4287) of a group's and a thread's newest posts, for feed readers.

Feeds are public documents fetched without cookies: they never look at the signed-in user,
so they are the same for everyone and may be cached (see forum/headers.py: ETag, 304). Hidden
and deleted posts are left out; a hidden thread has no feed (404).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import abort, current_app, render_template

from forum.discussions import bp, services
from forum.discussions.models import Post, Thread
from forum.extensions import db
from forum.groups.services import group_or_404
from forum.urls import absolute_url

FEED_SIZE = 30
ATOM = "application/atom+xml"
# Characters XML 1.0 forbids: one typed into a title would make the whole feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@bp.route("/groups/<slug>/feed.atom")
def group_feed(slug: str):
    """The group's newest posts, all threads together."""
    group = group_or_404(slug)
    posts = services.feed_posts(group=group, limit=FEED_SIZE)
    return _feed(
        key=f"group:{group.id}",
        title=f"{current_app.config['SITE_NAME']} · {group.name}",
        self_url=absolute_url("discussions.group_feed", slug=group.slug),
        page_url=absolute_url("groups.show_group", slug=group.slug),
        posts=posts,
        since=group.created_at,
    )


@bp.route("/threads/<int:thread_id>/feed.atom")
def thread_feed(thread_id: int):
    """The thread's newest posts."""
    thread = db.get_or_404(Thread, thread_id, options=services.THREAD_WITH_GROUP)
    if thread.is_hidden:
        abort(404)
    posts = services.feed_posts(thread=thread, limit=FEED_SIZE)
    return _feed(
        key=f"thread:{thread.id}",
        title=f"{thread.title} · {thread.group.name}",
        self_url=absolute_url("discussions.thread_feed", thread_id=thread.id),
        page_url=absolute_url("discussions.show_thread", thread_id=thread.id),
        posts=posts,
        since=thread.created_at,
    )


def _feed(*, key: str, title: str, self_url: str, page_url: str, posts: list[Post], since):
    entries = [_entry(post) for post in posts]
    updated = max((e["updated"] for e in entries), default=_rfc3339(since))
    body = render_template(
        "discussions/feed.xml",
        feed={
            "id": _tag(key),
            "title": _xml(title),
            "updated": updated,
            "self_url": self_url,
            "page_url": page_url,
            "base": current_app.config["BASE_URL"] + "/",
            "lang": current_app.config["BABEL_DEFAULT_LOCALE"],
        },
        entries=entries,
    )
    return current_app.response_class(body, mimetype=ATOM)


def _entry(post: Post) -> dict:
    thread = post.thread
    title = thread.title if post.number == 1 else f"{thread.title} (#{post.number})"
    return {
        "id": _tag(f"post:{post.id}"),
        "title": _xml(title),
        "author": _xml(post.author.display_name),  # the display name only, never the address
        "url": absolute_url("discussions.permalink", post_id=post.id),
        "published": _rfc3339(post.created_at),
        "updated": _rfc3339(post.edited_at or post.created_at),
        "content": _xml(post.body_html),  # sanitized on write; escaped again by the template
    }


def _tag(specific: str) -> str:
    """A tag: URI (RFC 4151): stable ids that do not change with the site's URLs."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"tag:{host},2026:{specific}"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)
