"""Who may do what: the only judge. Deny by default, roles per group.

Views call `require(action, obj)`; templates call `can(action, obj)`; both ask the same
predicates below. An action is a string naming a predicate in RULES.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort
from flask_login import current_user

from forum.groups.models import Group, Role

# Why a refusal happened decides the answer: a visitor must sign in (redirect to login),
# a thing the user may not know exists answers 404, anything else 403.
LOGIN = "login"
HIDDEN = "hidden"
FORBIDDEN = "forbidden"


def signed_in_user() -> Any | None:
    """The signed-in user, or None for a visitor: the object itself, not flask-login's
    proxy, whose every attribute read looks the user up again (a page reads hundreds)."""
    user = current_user._get_current_object()
    return user if user.is_authenticated else None


def role_in(user: Any, group: Group) -> Role | None:
    """The user's role in the group, or None (visitors, non-members, deleted accounts)."""
    if not _signed_in(user):
        return None
    for membership in user.memberships:
        if membership.group_id == group.id:
            return membership.role_enum
    return None


def has_role(user: Any, group: Group, role: Role) -> bool:
    """True when the user holds `role` or a higher one in the group."""
    held = role_in(user, group)
    return held is not None and held.rank >= role.rank


def is_site_admin(user: Any) -> bool:
    return _signed_in(user) and bool(user.is_admin) and not user.is_suspended


def _signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and not user.is_deleted)


def _can_participate(user: Any) -> str | None:
    """Posting, joining, pledging: a verified, non-suspended account."""
    if not _signed_in(user):
        return LOGIN
    if user.is_suspended or not user.is_verified:
        return FORBIDDEN
    return None


# Each predicate returns None when allowed, else the reason for refusing.
def _view_group(user: Any, group: Group) -> str | None:
    return None  # groups are public; private spaces inside them get their own rules


def _join_group(user: Any, group: Group) -> str | None:
    return _can_participate(user)


def _leave_group(user: Any, group: Group) -> str | None:
    if not _signed_in(user):
        return LOGIN
    return None if role_in(user, group) is not None else FORBIDDEN


def _coordinate_group(user: Any, group: Group) -> str | None:
    if not _signed_in(user):
        return LOGIN
    if is_site_admin(user):
        return None
    if user.is_suspended:
        return FORBIDDEN
    return None if has_role(user, group, Role.COORDINATOR) else FORBIDDEN


def _administer_site(user: Any, obj: Any = None) -> str | None:
    if not _signed_in(user):
        return LOGIN
    # The admin area is not advertised to anyone else.
    return None if is_site_admin(user) else HIDDEN


def is_moderator(user: Any, group: Group) -> bool:
    """Coordinators moderate their group's threads; site admins moderate everywhere."""
    return _coordinate_group(user, group) is None


def _view_thread(user: Any, thread: Any) -> str | None:
    if thread.is_hidden and not is_moderator(user, thread.group):
        return HIDDEN
    return _view_group(user, thread.group)


def _follow_thread(user: Any, thread: Any) -> str | None:
    """Following is reading with notifications: any account that may see the thread."""
    if not _signed_in(user):
        return LOGIN
    return _view_thread(user, thread)


def _follow_group(user: Any, group: Group) -> str | None:
    if not _signed_in(user):
        return LOGIN
    return _view_group(user, group)


def _create_thread(user: Any, group: Group) -> str | None:
    return _can_participate(user)


def _reply(user: Any, thread: Any) -> str | None:
    refused = _view_thread(user, thread) or _can_participate(user)
    if refused:
        return refused
    if thread.is_locked and not is_moderator(user, thread.group):
        return FORBIDDEN
    return None


def _view_post(user: Any, post: Any) -> str | None:
    refused = _view_thread(user, post.thread)
    if refused:
        return refused
    if post.is_hidden and not (is_moderator(user, post.thread.group) or _is_author(user, post)):
        return HIDDEN
    return None


def _is_author(user: Any, post: Any) -> bool:
    return _signed_in(user) and post.author_id == user.id


def _edit_post(user: Any, post: Any) -> str | None:
    refused = _view_post(user, post)
    if refused:
        return refused
    if not _signed_in(user):
        return LOGIN
    if is_moderator(user, post.thread.group):
        return None
    if not _is_author(user, post) or user.is_suspended or post.is_deleted or post.is_hidden:
        return FORBIDDEN
    return FORBIDDEN if post.thread.is_locked else None


def _delete_post(user: Any, post: Any) -> str | None:
    refused = _edit_post(user, post)
    return refused or (FORBIDDEN if post.is_deleted else None)


def _flag_post(user: Any, post: Any) -> str | None:
    refused = _view_post(user, post) or _can_participate(user)
    if refused:
        return refused
    return FORBIDDEN if _is_author(user, post) else None


def _moderate_thread(user: Any, thread: Any) -> str | None:
    refused = _coordinate_group(user, thread.group)
    # Members who are not moderators are not told that moderation tools exist.
    return refused


def _moderate_post(user: Any, post: Any) -> str | None:
    return _moderate_thread(user, post.thread)


RULES: dict[str, Callable[[Any, Any], str | None]] = {
    "thread.view": _view_thread,
    "thread.create": _create_thread,
    "thread.reply": _reply,
    "thread.moderate": _moderate_thread,
    "thread.follow": _follow_thread,
    "post.view": _view_post,
    "post.edit": _edit_post,
    "post.delete": _delete_post,
    "post.flag": _flag_post,
    "post.moderate": _moderate_post,
    "group.view": _view_group,
    "group.join": _join_group,
    "group.leave": _leave_group,
    "group.coordinate": _coordinate_group,
    "group.follow": _follow_group,
    "site.administer": _administer_site,
}


def refusal(user: Any, action: str, obj: Any = None) -> str | None:
    """None when `user` may do `action` to `obj`, else LOGIN, HIDDEN or FORBIDDEN."""
    rule = RULES.get(action)
    if rule is None:
        raise KeyError(f"unknown permission action {action!r}")
    return rule(user, obj)


def can(action: str, obj: Any = None, user: Any = None) -> bool:
    """True when the user (default: the current one) may do `action` to `obj`."""
    # The user itself, not the proxy: a page asks dozens of times, each through every rule.
    user = current_user._get_current_object() if user is None else user
    return refusal(user, action, obj) is None


def require(action: str, obj: Any = None) -> None:
    """Stop the request unless the current user may do `action` to `obj`."""
    reason = refusal(current_user, action, obj)
    if reason is None:
        return
    if reason == LOGIN:
        from forum.extensions import login_manager

        abort(login_manager.unauthorized())
    abort(404 if reason == HIDDEN else 403)
