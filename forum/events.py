"""What happened, for whoever listens: features talk through these signals, not imports.

A service emits a signal inside its transaction, after its own change is flushed; listeners
(notifications, the search index, the audit of later features) do their part in the same
transaction, so the caller's one commit keeps everything together. Listeners are connected
by the factory (`forum.__init__._register_listeners`), so importing a feature wires nothing.

Each signal's sender is the object the event is about; keyword arguments carry the rest.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Discussions
# A post was written: sender=post; new_thread: bool, mentions: set[str] (handles).
post_created = _signals.signal("post-created")
# A post's text changed: sender=post; new_mentions: set[str], editor: User.
post_edited = _signals.signal("post-edited")
# A post left the public view (deleted, hidden): sender=post; actor: User, how: "deleted"|"hidden".
post_removed = _signals.signal("post-removed")
# A hidden post is visible again: sender=post; actor: User.
post_restored = _signals.signal("post-restored")
# A thread moved, was hidden or shown: its posts' place or visibility changed: sender=thread;
# actor: User, change: "moved"|"hidden"|"shown"|"locked"|"unlocked".
thread_changed = _signals.signal("thread-changed")
# A member reported a post: sender=flag (its post, reporter and category on it).
post_flagged = _signals.signal("post-flagged")
# A member read a thread up to post `number`: sender=thread; user: User, number: int.
thread_read = _signals.signal("thread-read")
# A member reacted to a post ("merci", "+1") or took it back: sender=post; user: User,
# kind: str, added: bool.
post_reacted = _signals.signal("post-reacted")

# Meetings
# A meeting moved, changed place or was cancelled: sender=meeting; actor: User,
# change: "moved"|"place"|"cancelled", recipients: list[int] (those who answered).
meeting_changed = _signals.signal("meeting-changed")

# Roles and accounts
# A role was granted or taken back: sender=group; user: User, role: str | None, actor: User | None.
role_changed = _signals.signal("role-changed")
# An account is being erased: sender=user (still holding its id). Each feature removes
# what it holds that is personal (drafts, report texts, notifications) and anonymises the rest.
account_deleted = _signals.signal("account-deleted")

# Personal data (GDPR) and retention
# The account's owner asked for their data: sender=user. Each feature's listener returns a
# dict of sections ({"posts": [...], ...}), JSON-ready; the export puts them together.
account_exporting = _signals.signal("account-exporting")
# `flask purge` applies the retention rules: sender=None; now: datetime (UTC). Each listener
# removes what is past its lifetime and returns {what: how many rows}; running it again
# removes nothing more.
purging = _signals.signal("purging")
