"""Notifications' public operations, for the views, templates and commands.

The work is done in the modules named below (this one only gathers their names):
- `following`: following threads and groups;
- `kinds`: the registry of kinds of notification (wording, link, when mailed);
- `delivery`: `notify()` and the mail at once; `posts`: who hears of forum events;
- `digest`: the daily digest; `unsubscribe`: one-click links; `listing`: the list.
"""

from __future__ import annotations

from forum.notifications.delivery import EXTRACT_LENGTH, can_receive_mail, notify
from forum.notifications.digest import (
    DIGEST_ITEMS_PER_THREAD,
    DIGEST_MAX_THREADS,
    DigestRun,
    digest_day,
    notify_email_changed,
    send_digests,
    send_pending_now,
)
from forum.notifications.following import (
    follow_group,
    follow_thread,
    followed_groups,
    followed_threads,
    is_following_group,
    is_following_thread,
    unfollow_group,
    unfollow_thread,
)
from forum.notifications.forum_kinds import MENTION, NEW_THREAD, REPLY, extract
from forum.notifications.listing import (
    NOTIFICATIONS_PER_PAGE,
    NotificationRow,
    mark_all_read,
    mark_read_up_to,
    notifications_page,
    open_notification,
    target_url,
    unread_count,
)
from forum.notifications.models import DAILY, DEFAULT, IMMEDIATE, NEVER, NOTIFY_CHOICES
from forum.notifications.posts import MAX_MENTIONS, on_edited_post, on_new_post
from forum.notifications.unsubscribe import (
    SCOPE_ALL,
    SCOPE_GROUP,
    SCOPE_THREAD,
    Unsubscribe,
    read_unsubscribe_token,
    unsubscribe,
    unsubscribe_token,
    unsubscribe_url,
)

__all__ = [
    "DAILY",
    "DEFAULT",
    "DIGEST_ITEMS_PER_THREAD",
    "DIGEST_MAX_THREADS",
    "EXTRACT_LENGTH",
    "IMMEDIATE",
    "MAX_MENTIONS",
    "MENTION",
    "NEVER",
    "NEW_THREAD",
    "NOTIFICATIONS_PER_PAGE",
    "NOTIFY_CHOICES",
    "REPLY",
    "SCOPE_ALL",
    "SCOPE_GROUP",
    "SCOPE_THREAD",
    "DigestRun",
    "NotificationRow",
    "Unsubscribe",
    "can_receive_mail",
    "digest_day",
    "extract",
    "follow_group",
    "follow_thread",
    "followed_groups",
    "followed_threads",
    "is_following_group",
    "is_following_thread",
    "mark_all_read",
    "mark_read_up_to",
    "notifications_page",
    "notify",
    "notify_email_changed",
    "on_edited_post",
    "on_new_post",
    "open_notification",
    "read_unsubscribe_token",
    "send_digests",
    "send_pending_now",
    "target_url",
    "unfollow_group",
    "unfollow_thread",
    "unread_count",
    "unsubscribe",
    "unsubscribe_token",
    "unsubscribe_url",
]
