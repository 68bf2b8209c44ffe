"""The search index follows the discussions through their events."""

from __future__ import annotations

from forum import events


def _on_post_written(post, **_) -> None:
    from forum.search.services import index_post

    index_post(post)


def _on_post_removed(post, **_) -> None:
    from forum.search.services import remove_post

    remove_post(post)


def _on_thread_changed(thread, *, change: str, **_) -> None:
    # Moving changes the posts' group, hiding their visibility; locking changes neither.
    if change in ("moved", "hidden", "shown"):
        from forum.search.services import reindex_thread

        reindex_thread(thread)


def connect() -> None:
    """Subscribe the index to the events it mirrors (idempotent: blinker keeps one)."""
    events.post_created.connect(_on_post_written)
    events.post_edited.connect(_on_post_written)
    events.post_restored.connect(_on_post_written)
    events.post_removed.connect(_on_post_removed)
    events.thread_changed.connect(_on_thread_changed)
