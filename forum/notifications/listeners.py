"""Notifications follow the discussions through their events (forum/events.py)."""

from __future__ import annotations

from forum import events


def _on_post_created(post, *, new_thread: bool, mentions: set[str], **_) -> None:
    from forum.notifications.posts import on_new_post

    on_new_post(post, new_thread=new_thread, mentions=mentions)


def _on_post_edited(post, *, new_mentions: set[str], **_) -> None:
    from forum.notifications.posts import on_edited_post

    on_edited_post(post, new_mentions=new_mentions)


def _on_post_flagged(flag, **_) -> None:
    from forum.notifications.posts import on_post_flagged

    on_post_flagged(flag)


def _on_post_removed(post, *, actor=None, how: str, **_) -> None:
    from forum.notifications.posts import on_post_removed

    on_post_removed(post, actor=actor, how=how)


def _on_thread_changed(thread, *, actor=None, change: str, **_) -> None:
    from forum.notifications.posts import on_thread_changed

    on_thread_changed(thread, actor=actor, change=change)


def _on_thread_read(thread, *, user, number: int, **_) -> None:
    from forum.notifications.listing import mark_read_up_to

    mark_read_up_to(user, thread, number)


def _on_post_reacted(post, *, user, kind: str, added: bool, **_) -> None:
    from forum.notifications.posts import on_post_reacted

    on_post_reacted(post, user=user, kind=kind, added=added)


def connect() -> None:
    """Register the forum's kinds; subscribe to the events (idempotent: blinker keeps one)."""
    from forum.notifications.forum_kinds import register_forum_kinds

    register_forum_kinds()
    events.post_created.connect(_on_post_created)
    events.post_edited.connect(_on_post_edited)
    events.post_flagged.connect(_on_post_flagged)
    events.post_removed.connect(_on_post_removed)
    events.thread_changed.connect(_on_thread_changed)
    events.thread_read.connect(_on_thread_read)
    events.post_reacted.connect(_on_post_reacted)
