"""Notifications follow the discussions through their events."""

from __future__ import annotations

from forum import events


def _on_post_created(post, *, new_thread: bool, mentions: set[str], **_) -> None:
    from forum.notifications.services import on_new_post

    on_new_post(post, new_thread=new_thread, mentions=mentions)


def _on_post_edited(post, *, new_mentions: set[str], **_) -> None:
    from forum.notifications.services import on_edited_post

    on_edited_post(post, new_mentions=new_mentions)


def connect() -> None:
    """Subscribe notifications to the events they follow (idempotent: blinker keeps one)."""
    events.post_created.connect(_on_post_created)
    events.post_edited.connect(_on_post_edited)
