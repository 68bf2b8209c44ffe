"""Who may react to a post: registered into the one permission table at import."""

from __future__ import annotations

from typing import Any

from forum import permissions
from forum.permissions import FORBIDDEN, HIDDEN


def _react(user: Any, post: Any) -> str | None:
    """A member who may read the post and take part (verified, not suspended), in a group
    that is not archived; not on their own post, nor on a hidden or deleted one."""
    refused = permissions.refusal(user, "post.read", post)
    if refused:
        return refused
    refused = permissions._can_participate(user) or permissions._writable(post.thread.group)
    if refused:
        return refused
    if post.is_hidden:
        return HIDDEN
    return FORBIDDEN if post.author_id == user.id else None


permissions.register({"post.react": _react})
