"""Kinds of notification: how each is worded, where it leads, when its mail goes.

The core (delivery, digest, the list) knows no kind by name. A feature that wants to tell
members something registers its subjects and kinds once, from its listeners' `connect()`
(the factory calls it), then calls `delivery.notify(recipients, kind, subject, …)`:

    register_subject("meeting", load=lambda ids: {m.id: m for m in …})
    register_kind(Kind("meeting_planned", "meeting", line=…, target=…, …))

Every callable takes plain objects and returns text (lazy strings: they are rendered in
the reader's language, on the page or in the mail) or plain values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import url_for

from forum.urls import absolute_url

# (notification, subject) -> text
Wording = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Kind:
    name: str  # stored in Notification.kind (20 characters at most)
    subject_type: str  # a registered subject type
    line: Wording  # the one line in the site's list
    mail_subject: Wording
    target: Callable[[Any], tuple[str, dict]]  # subject -> (endpoint, values)
    visible: Callable[[Any, Any], bool]  # (recipient, subject) -> may they know of it now
    link_label: Any  # the mail's link to the subject
    mail_line: Wording | None = None  # the mail's opening sentence (default: `line`)
    digest_line: Wording | None = None  # a line in the digest (default: `line`)
    excerpt: Callable[[Any, int], str | None] | None = None  # (subject, length) -> extract
    # (notification, recipient, subject) -> mailed at once under the default choice
    # ("default"); otherwise it waits for the daily digest.
    urgent: Callable[[Any, Any, Any], bool] = lambda n, user, subject: True
    # Never mailed at once, whatever the member's choice ("immediate" included): the daily
    # digest carries it (a reaction is worth knowing, not an interruption).
    digest_only: bool = False
    # One mail per thread until the member comes back: replies and mentions can come in
    # dozens; a moderation notice is rare and always worth its mail.
    once_per_visit: bool = True
    # (count, subject, unread) -> text: unread (or read) notifications of this kind in one thread
    # are one line in the list ("3 new replies in …"). None: each has its own line.
    group_line: Callable[[int, Any, bool], Any] | None = None
    # (notification, subject) -> (unsubscribe scope, target id, label) or None: the link
    # that stops mail like this one, besides "stop all".
    stop: Callable[[Any, Any], tuple[str, int, Any] | None] | None = None

    def wording(self, which: str, notification, subject):
        """The mail's or the digest's sentence, or the list's line when none is given."""
        words = getattr(self, which) or self.line
        return words(notification, subject)

    def url(self, subject, *, absolute: bool = False) -> str:
        endpoint, values = self.target(subject)
        return absolute_url(endpoint, **values) if absolute else url_for(endpoint, **values)


_KINDS: dict[str, Kind] = {}
_LOADERS: dict[str, Callable[[set[int]], dict[int, Any]]] = {}


def register_subject(subject_type: str, load: Callable[[set[int]], dict[int, Any]]) -> None:
    """Teach the core how to load subjects of a type, many at once (one query)."""
    _LOADERS[subject_type] = load


def register_kind(kind: Kind) -> None:
    """Add a kind (again: registering twice replaces, so connect() may run twice)."""
    if len(kind.name) > 20:
        raise ValueError(f"kind name too long: {kind.name!r}")
    _KINDS[kind.name] = kind


def get(name: str) -> Kind | None:
    """The registered kind, or None (a kind whose feature is gone: shown as unknown)."""
    return _KINDS.get(name)


def grouped_kinds() -> list[str]:
    """Names of the kinds the list groups per thread."""
    return sorted(name for name, kind in _KINDS.items() if kind.group_line is not None)


def load_subjects(notifications: Iterable[Any]) -> dict[tuple[str, int], Any]:
    """The subjects of these notifications, one query per subject type."""
    wanted: dict[str, set[int]] = {}
    for n in notifications:
        wanted.setdefault(n.subject_type, set()).add(n.subject_id)
    found: dict[tuple[str, int], Any] = {}
    for subject_type, ids in wanted.items():
        load = _LOADERS.get(subject_type)
        if load is None:
            continue
        for subject_id, subject in load(ids).items():
            found[(subject_type, subject_id)] = subject
    return found
