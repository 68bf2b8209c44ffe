"""Changes a signed-in member makes to their own account: password, e-mail address, @handle.
Each is a security event: audit-logged (never the values themselves, but the handles,
which are public)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from forum import audit
from forum.accounts.models import User, UsernameHistory
from forum.accounts.passwords import check_password
from forum.accounts.services import (
    TokenError,
    _fingerprint,
    _load_token,
    _queue_already_registered,
    _serializer,
    find_by_email,
    set_password,
)
from forum.db import utcnow
from forum.extensions import db
from forum.mail import queue_mail
from forum.urls import absolute_url

EMAIL_CHANGE_SALT = "change-email"
HANDLE_CHANGE_DAYS = 30
# Handles that would read as the site speaking, or collide with deleted accounts' ones.
RESERVED_HANDLES = frozenset({"admin", "moderation", "moderateur", "support", "system"})
RESERVED_PREFIXES = ("deleted-",)


class ChangeError(Exception):
    """A change refused, with the words for the member and the field they concern."""

    def __init__(self, message, field: str):
        super().__init__(str(message))
        self.message = message
        self.field = field


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password when the current one is right; every other sign-in ends, this
    one stays. Raises ChangeError."""
    if not check_password(user.password_hash, current):
        raise ChangeError(_l("This password is not right."), "current_password")
    set_password(user, new, keep_current=True)
    audit.record(user, "account.password_change", user)


def mask(email: str) -> str:
    """ "ines@example.org" -> "i***@example.org": enough to recognise, not to copy."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def request_email_change(user: User, current_password: str, new_email: str) -> None:
    """Send a confirmation link to the new address and tell the old one; nothing changes
    until the link is opened. When the new address has an account already, its owner is
    told instead, and the member sees the same answer (no one learns who has an account).
    Raises ChangeError."""
    new_email = new_email.strip().lower()
    if not check_password(user.password_hash, current_password):
        raise ChangeError(_l("This password is not right."), "current_password")
    if new_email == user.email:
        raise ChangeError(_l("This is already your address."), "email")
    owner = find_by_email(new_email)
    if owner is not None:
        _queue_already_registered(owner)
    else:
        token = _serializer(EMAIL_CHANGE_SALT).dumps(
            {"u": user.id, "e": new_email, "o": _fingerprint(user.email)}
        )
        queue_mail(
            new_email,
            "email_change_confirm",
            subject=_l("Confirm your new e-mail address"),
            locale=user.locale,
            user=user,
            confirm_url=absolute_url("accounts.confirm_email_change", token=token),
            max_age_days=current_app.config["VERIFY_TOKEN_MAX_AGE"] // 86400,
        )
    queue_mail(
        user.email,
        "email_change_notice",
        subject=_l("A change of your e-mail address was asked"),
        locale=user.locale,
        user=user,
        new_email=mask(new_email),
        settings_url=absolute_url("accounts.password"),
    )
    audit.record(user, "account.email_change_request", user)


def confirm_email_change(token: str) -> User:
    """Apply the change the token was made for. Single use: it names the address it
    replaces, which the change replaces. Raises TokenError ("invalid", "expired", "taken")."""
    data = _load_token(EMAIL_CHANGE_SALT, token, current_app.config["VERIFY_TOKEN_MAX_AGE"])
    user = db.session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    new_email = data.get("e")
    if (
        user is None
        or user.is_deleted
        or not isinstance(new_email, str)
        or data.get("o") != _fingerprint(user.email)
    ):
        raise TokenError("invalid")
    if find_by_email(new_email) is not None:
        raise TokenError("taken")
    try:
        with db.session.begin_nested():
            user.email = new_email
            user.email_verified_at = utcnow()  # opening the link proves the address
            db.session.flush()
    except IntegrityError as exc:  # taken at the same moment by another account
        raise TokenError("taken") from exc
    audit.record(user, "account.email_change", user)
    return user


def next_handle_change(user: User) -> datetime | None:
    """When the member may change their handle again (None: now)."""
    if user.username_changed_at is None:
        return None
    allowed = user.username_changed_at + timedelta(days=HANDLE_CHANGE_DAYS)
    return allowed if allowed > utcnow() else None


def handle_taken(handle: str, user: User) -> bool:
    """Used by another account, now or before (case-insensitive)."""
    now = db.session.scalar(
        select(User.id).where(func.lower(User.username) == handle, User.id != user.id)
    )
    before = db.session.scalar(
        select(UsernameHistory.id).where(
            UsernameHistory.username == handle, UsernameHistory.user_id != user.id
        )
    )
    return now is not None or before is not None


def change_handle(user: User, handle: str) -> None:
    """Take a new @handle: at most once every HANDLE_CHANGE_DAYS, unique across accounts and
    their earlier handles; the old one is kept so that old mentions still lead here.
    Raises ChangeError."""
    handle = handle.strip().lower()
    old = user.username
    if handle == old:
        raise ChangeError(_l("This is already your handle."), "username")
    if handle in RESERVED_HANDLES or handle.startswith(RESERVED_PREFIXES):
        raise ChangeError(_l("This handle is reserved. Choose another one."), "username")
    if next_handle_change(user) is not None:
        raise ChangeError(
            _l("You changed your handle less than a month ago: try again later."), "username"
        )
    if handle_taken(handle, user):
        raise ChangeError(_l("This handle is taken. Choose another one."), "username")
    try:
        with db.session.begin_nested():
            # Taking back an earlier handle of one's own: it is current again, not history.
            db.session.execute(
                delete(UsernameHistory).where(
                    UsernameHistory.user_id == user.id, UsernameHistory.username == handle
                )
            )
            db.session.add(UsernameHistory(user_id=user.id, username=old.lower()))
            user.username = handle
            user.username_changed_at = utcnow()
            db.session.flush()
    except IntegrityError as exc:  # another account took it at the same moment
        raise ChangeError(_l("This handle is taken. Choose another one."), "username") from exc
    audit.record(user, "account.handle_change", user, detail=handle)
