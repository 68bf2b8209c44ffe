"""Following and notifications (to be built)."""

from __future__ import annotations


def on_new_post(post, *, new_thread: bool, mentions: set[str]) -> None:
    """Follow the thread for the author; notify followers and mentioned members."""


def on_edited_post(post, *, new_mentions: set[str]) -> None:
    """Notify members newly mentioned by an edit."""
