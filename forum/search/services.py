"""Full-text search over threads and posts (to be built: SQLite FTS5 / PostgreSQL tsvector)."""

from __future__ import annotations


def index_post(post) -> None:
    """Add or refresh a post in the search index."""


def remove_post(post) -> None:
    """Take a post out of the search index."""


def reindex_thread(thread) -> None:
    """Refresh every post of a thread (its title, group or visibility changed)."""
