"""Who may do what: the only judge. Deny by default, roles per group.

Views call `require(action, obj)`; templates call `can(action, obj)`; both ask the same
predicates below. An action is a string naming a predicate in RULES.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import false, or_

from forum.groups.models import Group, Role

# Why a refusal happened decides the answer: a visitor must sign in (redirect to login),
# a thing the user may not know exists answers 404, anything else 403.
LOGIN = "login"
HIDDEN = "hidden"
FORBIDDEN = "forbidden"


class Refusal(str):
    """A refusal's kind (LOGIN, HIDDEN or FORBIDDEN; compares equal to it) and, when the
    user should be told why, the words for them (`message`)."""

    message: Any

    def __new__(cls, kind: str, message: Any = None) -> Refusal:
        refusal = super().__new__(cls, kind)
        refusal.message = message
        return refusal


SIGN_IN_TO_POST = _l("Sign in to post. What you typed is kept.")


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
        return Refusal(LOGIN, SIGN_IN_TO_POST)
    if user.is_suspended:
        if user.suspension_reason:
            return Refusal(
                FORBIDDEN,
                _l(
                    "Your account is suspended: you can read, not post. Reason: %(reason)s",
                    reason=user.suspension_reason,
                ),
            )
        return Refusal(FORBIDDEN, _l("Your account is suspended: you can read, not post."))
    if not user.is_verified:
        return Refusal(
            FORBIDDEN, _l("Confirm your e-mail address to post: open the link we sent you.")
        )
    return None


ARCHIVED = _l("This group is archived: it is read-only.")


def _writable(group: Group) -> str | None:
    """An archived group is read-only: no new thread, reply, edit, meeting, answer or pledge
    through it, for anyone (moderators may still hide, restore and move). The one rule."""
    return Refusal(FORBIDDEN, ARCHIVED) if group.archived_at is not None else None


# Each predicate returns None when allowed, else the reason for refusing.
def _view_group(user: Any, group: Group) -> str | None:
    return None  # groups are public; private spaces inside them get their own rules


def _join_group(user: Any, group: Group) -> str | None:
    return _can_participate(user) or _writable(group)


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
    return _can_participate(user) or _writable(group)


def _reply(user: Any, thread: Any) -> str | None:
    refused = _view_thread(user, thread) or _can_participate(user) or _writable(thread.group)
    if refused:
        return refused
    if thread.is_locked and not is_moderator(user, thread.group):
        return Refusal(FORBIDDEN, _l("This thread is locked: no new replies."))
    return None


def _view_post(user: Any, post: Any) -> str | None:
    """The post's place in its thread (its permalink): whoever may see the thread."""
    return _view_thread(user, post.thread)


def _read_post(user: Any, post: Any) -> str | None:
    """The post's text: gone for everyone once deleted; once hidden, for its author and
    the group's moderators only. `visible_posts()` is the same rule as query criteria."""
    refused = _view_post(user, post)
    if refused:
        return refused
    if post.is_deleted:
        return HIDDEN
    if post.is_hidden and not (is_moderator(user, post.thread.group) or _is_author(user, post)):
        return HIDDEN
    return None


def _is_author(user: Any, post: Any) -> bool:
    return _signed_in(user) and post.author_id == user.id


def _quote_post(user: Any, post: Any) -> str | None:
    refused = _read_post(user, post) or _reply(user, post.thread)
    return refused or (HIDDEN if post.is_hidden else None)


def _edit_post(user: Any, post: Any) -> str | None:
    refused = _read_post(user, post)
    if refused:
        return refused
    if not _signed_in(user):
        return LOGIN
    refused = _writable(post.thread.group)
    if refused:
        return refused
    if is_moderator(user, post.thread.group):
        return None
    if not _is_author(user, post) or user.is_suspended or post.is_hidden:
        return FORBIDDEN
    if post.thread.is_locked:
        return Refusal(FORBIDDEN, _l("This thread is locked: no new replies."))
    return None


def _delete_post(user: Any, post: Any) -> str | None:
    return _edit_post(user, post)


def _flag_post(user: Any, post: Any) -> str | None:
    refused = _read_post(user, post) or _can_participate(user)
    if refused:
        return refused
    return FORBIDDEN if _is_author(user, post) or post.is_hidden else None


def _moderate_thread(user: Any, thread: Any) -> str | None:
    # Members who are not moderators are not told that moderation tools exist.
    return _coordinate_group(user, thread.group)


def _moderate_post(user: Any, post: Any) -> str | None:
    refused = _view_post(user, post) or _moderate_thread(user, post.thread)
    # A deleted post has no text left to moderate.
    return refused or (HIDDEN if post.is_deleted else None)


# --- Projects and pledges ---------------------------------------------------------------


def _view_project(user: Any, project: Any) -> str | None:
    return None  # projects are public: their totals, never a pledger's details


def _pledge(user: Any, project: Any) -> str | None:
    """Making or changing one's pledge: a member who may post, on an open project."""
    refused = _can_participate(user)
    if refused:
        return refused
    if project.groups and all(group.archived_at is not None for group in project.groups):
        return Refusal(FORBIDDEN, ARCHIVED)  # no pledge through archived groups only
    if not project.is_open:
        return Refusal(FORBIDDEN, _l("This project is closed: it takes no new pledges."))
    return None


def _withdraw_pledge(user: Any, project: Any) -> str | None:
    """Withdrawing is always possible for the pledge's own member, even once closed."""
    return None if _signed_in(user) else LOGIN


def coordinates_project(user: Any, project: Any) -> bool:
    """A coordinator of a group taking part in the project, or a site admin."""
    moderated = moderated_group_ids(user)
    if moderated is None:
        return True
    return any(group.id in moderated for group in project.groups)


def _see_pledges(user: Any, project: Any) -> str | None:
    """The pledges in detail (names, e-mails, messages, hours): the coordinators of the
    groups taking part, and site admins. Anyone else is not told the page exists."""
    if not _signed_in(user):
        return LOGIN
    return None if coordinates_project(user, project) else HIDDEN


def _manage_pledge(user: Any, pledge: Any) -> str | None:
    """Marking a pledge active, fulfilled or lapsed: whoever sees the project's pledges."""
    return _see_pledges(user, pledge.project)


RULES: dict[str, Callable[[Any, Any], str | None]] = {
    "thread.view": _view_thread,
    "thread.create": _create_thread,
    "thread.reply": _reply,
    "thread.moderate": _moderate_thread,
    "thread.follow": _follow_thread,
    "post.view": _view_post,
    "post.read": _read_post,
    "post.quote": _quote_post,
    "post.edit": _edit_post,
    "post.delete": _delete_post,
    "post.flag": _flag_post,
    "post.moderate": _moderate_post,
    "group.view": _view_group,
    "group.join": _join_group,
    "group.leave": _leave_group,
    "group.coordinate": _coordinate_group,
    "group.read_audit": _coordinate_group,
    "group.follow": _follow_group,
    "site.administer": _administer_site,
    "project.view": _view_project,
    "project.pledge": _pledge,
    "project.withdraw": _withdraw_pledge,
    "project.see_pledges": _see_pledges,
    "project.message_pledgers": _see_pledges,
    "project.manage_pledge": _manage_pledge,
}


def register(rules: dict[str, Callable[[Any, Any], str | None]]) -> None:
    """Add a feature's rules (from its own `rules.py`) to the one table every check reads.

    Features newer than this module keep their predicates and criteria beside their models
    and register them here at import, so this table stays the single place a check goes
    through without this file growing with every feature. A name is registered once."""
    taken = RULES.keys() & rules.keys()
    if taken:
        raise ValueError(f"permission actions already registered: {sorted(taken)}")
    RULES.update(rules)


def refusal(user: Any, action: str, obj: Any = None) -> str | None:
    """None when `user` may do `action` to `obj`, else LOGIN, HIDDEN or FORBIDDEN."""
    rule = RULES.get(action)
    if rule is None:
        raise KeyError(f"unknown permission action {action!r}")
    return rule(user, obj)


def refusal_message(action: str, obj: Any = None, user: Any = None) -> Any | None:
    """Why the user (default: the current one) may not do `action`, in words for them;
    None when they may, or when the refusal is not to be explained (a hidden thing)."""
    user = current_user._get_current_object() if user is None else user
    return getattr(refusal(user, action, obj), "message", None)


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


def require_visible(obj: Any, view: str, action: str | None = None) -> Any:
    """The object a URL names, for the current user: 404 when it is missing or `view`
    hides it, then what `require(action)` decides. The one shape of the features' loaders."""
    if obj is None:
        abort(404)
    require(view, obj)
    if action is not None and action != view:
        require(action, obj)
    return obj


# --- Which rows a user may see: the rules above as query criteria ----------------------
#
# Listings, feeds, search, notifications and exports filter with these, so that a query
# never returns what the predicates would refuse. tests/test_permissions.py checks that
# both agree, state by state and role by role.


def moderated_group_ids(user: Any) -> set[int] | None:
    """The groups the user moderates (None: every group, for a site admin)."""
    if is_site_admin(user):
        return None
    if not _signed_in(user) or user.is_suspended:
        return set()
    return {m.group_id for m in user.memberships if m.role_enum.rank >= Role.COORDINATOR.rank}


def visible_threads(user: Any) -> list:
    """Criteria on Thread: the threads the user may see."""
    from forum.discussions.models import Thread

    moderated = moderated_group_ids(user)
    if moderated is None:
        return []
    return [or_(Thread.hidden_at.is_(None), _in(Thread.group_id, moderated))]


def visible_posts(user: Any) -> list:
    """Criteria on Post (the query must join Thread): the posts whose text the user may
    read, as `can("post.read", post, user)` decides."""
    from forum.discussions.models import Post, Thread

    moderated = moderated_group_ids(user)
    criteria = [Post.deleted_at.is_(None), *visible_threads(user)]
    if moderated is None:
        return criteria
    shown = [Post.hidden_at.is_(None), _in(Thread.group_id, moderated)]
    if _signed_in(user):
        shown.append(Post.author_id == user.id)
    return [*criteria, or_(*shown)]


def visible_meetings(user: Any) -> list:
    """Criteria on Meeting: the meetings the user may see (`meeting.view`, whose rule is
    in forum/meetings/rules.py)."""
    from forum.meetings.models import Meeting

    if is_site_admin(user):
        return []
    member_of = {m.group_id for m in user.memberships} if _signed_in(user) else set()
    return [or_(Meeting.visibility == "public", _in(Meeting.group_id, member_of))]


def kept_group_ids(user: Any) -> set[int]:
    """The groups whose contact log the user keeps (keeper or coordinator)."""
    if not _signed_in(user) or user.is_suspended:
        return set()
    return {m.group_id for m in user.memberships if m.role_enum.rank >= Role.KEEPER.rank}


def readable_households(user: Any) -> list:
    """Criteria on Household: the households the user may see (`household.view`, whose
    rule is in forum/contactlog/rules.py)."""
    from forum.contactlog.models import Household

    return [_in(Household.group_id, kept_group_ids(user))]


def _in(column, ids: set[int]):
    return column.in_(sorted(ids)) if ids else false()


def access_key(user: Any) -> tuple:
    """All that the criteria above (`visible_*`, `readable_*`, and the features' own, built
    on `moderated_group_ids`, `kept_group_ids` and the memberships) read of a user: two
    users with the same key get the same criteria."""
    if not _signed_in(user):
        return ()
    held = tuple(sorted((m.group_id, m.role) for m in user.memberships))
    return (bool(user.is_admin), user.is_suspended, held)


def per_access(maxsize: int = 256) -> Callable:
    """Keep the statements a builder `build(viewer, *args)` makes, per `access_key` of the
    viewer and `args`: a member's pages then build each statement once per kind of access,
    as a visitor's are built once (building one cost 0.1 to 0.3 ms, a fifth of a member's
    group page). The builder reads the viewer through the criteria only: anything of the
    viewer's own (their id, for their read marks) goes into the statement as a bind
    parameter, never as a value, or one member's statement would serve another."""

    def decorate(build: Callable) -> Callable:
        kept: OrderedDict = OrderedDict()
        lock = threading.Lock()

        @functools.wraps(build)
        def statement(viewer: Any, *args):
            key = (access_key(viewer), args)
            with lock:
                found = kept.get(key)
                if found is not None:
                    kept.move_to_end(key)
                    return found
            made = build(viewer, *args)
            with lock:
                kept[key] = made
                if len(kept) > maxsize:
                    kept.popitem(last=False)
            return made

        return statement

    return decorate
