"""Account rules: registration, verification, sign-in, password reset, export, deletion."""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from forum import events
from forum.accounts.models import LoginSession, User, hash_login_key
from forum.accounts.passwords import check_password, hash_password
from forum.db import utcnow
from forum.extensions import db
from forum.mail import queue_mail
from forum.urls import absolute_url

log = logging.getLogger(__name__)

VERIFY_SALT = "verify-email"
RESET_SALT = "reset-password"
DELETED_NAME = "compte supprimé"


class TokenError(Exception):
    """A token that is forged, expired or already used."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "invalid" or "expired"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def _load_token(salt: str, token: str, max_age: int) -> dict:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenError("expired") from exc
    except BadSignature as exc:
        raise TokenError("invalid") from exc
    if not isinstance(data, dict):
        raise TokenError("invalid")
    return data


def find_by_email(email: str) -> User | None:
    """The live account with this address (case-insensitive), if any."""
    return db.session.scalar(
        select(User).where(
            func.lower(User.email) == email.strip().lower(), User.deleted_at.is_(None)
        )
    )


USER_AGENT_MAX = 200


@functools.cache
def _user_of_session():
    """The statement of every signed-in request, built once. The user's memberships come in
    it: nearly every page asks a permission rule, and each reads them (a round trip less);
    and so does their count of unread notifications, which every page's header shows."""
    from forum.notifications.listing import unread_count_column

    return (
        select(User, unread_count_column(User.id))
        .options(joinedload(User.memberships))
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            User.id == bindparam("id"),
            User.deleted_at.is_(None),
            LoginSession.key_hash == bindparam("key_hash"),
            LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > bindparam("now"),
        )
    )


def load_user_from_session(user_id: str) -> User | None:
    """Flask-Login's loader: the cookie holds "<id>:<key>" of a live sign-in (one query,
    which also reads the header's count of unread notifications)."""
    ident, _, key = user_id.partition(":")
    if not ident.isdigit() or len(ident) > 18 or not key or len(key) > 100:
        return None
    row = (
        db.session.execute(
            _user_of_session(),
            {"id": int(ident), "key_hash": hash_login_key(key), "now": utcnow()},
        )
        .unique()
        .first()
    )
    if row is None:
        return None
    from forum.notifications.listing import remember_unread_count

    user, unread = row
    user.login_key = key
    remember_unread_count(user, unread)
    return user


def start_session(user: User, *, remember: bool, user_agent: str | None = None) -> None:
    """Open a sign-in for the user: its key goes into the cookies through `user.get_id()`."""
    config = current_app.config
    lifetime = config["REMEMBER_COOKIE_DURATION"] if remember else 0
    lifetime = max(_seconds(lifetime), _seconds(config["PERMANENT_SESSION_LIFETIME"]))
    key = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        LoginSession(
            user_id=user.id,
            key_hash=hash_login_key(key),
            created_at=now,
            expires_at=now + timedelta(seconds=lifetime),
            user_agent=(user_agent or "")[:USER_AGENT_MAX] or None,
        )
    )
    user.login_key = key
    user.last_login_at = now


def _seconds(value) -> int:
    return int(value.total_seconds()) if isinstance(value, timedelta) else int(value)


def end_session(user: User) -> None:
    """Sign out: the cookies of this sign-in stop working, wherever they were copied."""
    if user.login_key:
        db.session.execute(
            update(LoginSession)
            .where(
                LoginSession.key_hash == hash_login_key(user.login_key),
                LoginSession.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
    user.login_key = None


def end_all_sessions(user: User, *, keep_current: bool = False) -> None:
    """End every sign-in of the user (but this request's one when `keep_current`)."""
    query = update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)
    )
    if keep_current and user.login_key:
        query = query.where(LoginSession.key_hash != hash_login_key(user.login_key))
    db.session.execute(query.values(revoked_at=utcnow()))


def register(email: str, display_name: str, password: str, *, locale: str) -> User | None:
    """Create an account and queue the verification mail.

    When the address already has an account, nothing is created and its owner gets a mail
    saying so (with sign-in and reset links): the page answers the same either way, so the
    form cannot be used to learn who has an account. Returns the new user, or None.
    """
    email = email.strip().lower()
    existing = find_by_email(email)
    if existing is not None:
        # The same work as creating an account (hashing takes most of the time), so that
        # the answer's delay does not tell a taken address from a new one.
        hash_password(password)
        _queue_already_registered(existing)
        return None
    try:
        with db.session.begin_nested():
            user = create_user(email, display_name, password, locale=locale)
    except IntegrityError:
        # Another request registered the same address at the same moment.
        existing = find_by_email(email)
        if existing is not None:
            _queue_already_registered(existing)
        return None
    queue_verification(user)
    return user


def create_user(
    email: str,
    display_name: str,
    password: str,
    *,
    locale: str = "fr",
    verified: bool = False,
    admin: bool = False,
) -> User:
    """Create an account directly (command line, demo data); the address must be new."""
    user = User(
        email=email.strip().lower(),
        display_name=display_name,
        username=unique_username(display_name),
        password_hash=hash_password(password),
        locale=locale,
        email_verified_at=utcnow() if verified else None,
        is_admin=admin,
    )
    db.session.add(user)
    db.session.flush()
    return user


USERNAME_MAX = 30


def unique_username(display_name: str) -> str:
    """A free @handle made from the display name: "Inès B." -> "ines-b", then "ines-b-2"."""
    from forum.groups.services import slugify

    base = slugify(display_name, max_length=USERNAME_MAX) or "membre"
    from forum.accounts.models import UsernameHistory

    taken = set(
        db.session.scalars(
            select(User.username).where((User.username == base) | User.username.like(f"{base}-%"))
        )
    ) | set(  # an earlier handle still leads to its member: never given to someone else
        db.session.scalars(
            select(UsernameHistory.username).where(
                (UsernameHistory.username == base) | UsernameHistory.username.like(f"{base}-%")
            )
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _queue_already_registered(user: User) -> None:
    queue_mail(
        user.email,
        "already_registered",
        subject=_l("You already have an account"),
        locale=user.locale,
        user=user,
        login_url=absolute_url("accounts.login"),
        forgot_url=absolute_url("accounts.forgot"),
    )


def queue_verification(user: User) -> None:
    """Queue the mail with the link that confirms the user's address."""
    token = _serializer(VERIFY_SALT).dumps({"u": user.id, "e": _fingerprint(user.email)})
    queue_mail(
        user.email,
        "verify_email",
        subject=_l("Confirm your e-mail address"),
        locale=user.locale,
        user=user,
        verify_url=absolute_url("accounts.verify", token=token),
        max_age_days=current_app.config["VERIFY_TOKEN_MAX_AGE"] // 86400,
    )


def verify_email(token: str) -> User:
    """Mark the address in the token as verified. Raises TokenError."""
    data = _load_token(VERIFY_SALT, token, current_app.config["VERIFY_TOKEN_MAX_AGE"])
    user = db.session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or user.is_deleted or data.get("e") != _fingerprint(user.email):
        raise TokenError("invalid")
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The account for these credentials, or None (same time whether it exists or not)."""
    user = find_by_email(email)
    if not check_password(user.password_hash if user else None, password):
        return None
    return user


def request_password_reset(email: str) -> None:
    """Queue a reset link when the address has an account; do nothing visible otherwise."""
    user = find_by_email(email)
    if user is None:
        log.info("password reset asked for an unknown address")
        return
    token = _serializer(RESET_SALT).dumps({"u": user.id, "h": _fingerprint(user.password_hash)})
    queue_mail(
        user.email,
        "reset_password",
        subject=_l("Choose a new password"),
        locale=user.locale,
        user=user,
        reset_url=absolute_url("accounts.reset", token=token),
        max_age_minutes=current_app.config["RESET_TOKEN_MAX_AGE"] // 60,
    )


def user_for_reset_token(token: str) -> User:
    """The user a reset token is for. Single use: it dies with the password it was made for."""
    data = _load_token(RESET_SALT, token, current_app.config["RESET_TOKEN_MAX_AGE"])
    user = db.session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or user.is_deleted or data.get("h") != _fingerprint(user.password_hash):
        raise TokenError("invalid")
    return user


def reset_password(token: str, password: str) -> User:
    """Set a new password from a reset token; every other session is signed out."""
    user = user_for_reset_token(token)
    set_password(user, password)
    # Following the mailed link proves the address, too.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def set_password(user: User, password: str, *, keep_current: bool = False) -> None:
    """Change the password and end every sign-in (but the current one when `keep_current`:
    a change made while signed in keeps that device signed in)."""
    user.password_hash = hash_password(password)
    end_all_sessions(user, keep_current=keep_current)


def update_account(
    user: User, *, display_name: str, locale: str, notify_email: str | None = None
) -> None:
    """Change what the user may change on the account page."""
    user.display_name = display_name
    user.locale = locale
    if notify_email is not None and notify_email != user.notify_email:
        from forum.notifications.services import notify_email_changed

        old, user.notify_email = user.notify_email, notify_email
        notify_email_changed(user, old, notify_email)


def set_locale(user: User, locale: str) -> None:
    """Remember the interface language the user chose."""
    user.locale = locale


SUSPENSION_REASON_MAX = 500


def set_suspended(
    user: User, suspended: bool, *, actor: User | None = None, reason: str | None = None
) -> None:
    """Suspend an account (it can read, not write; it is told why) or lift the suspension;
    audit-logged."""
    from forum import audit

    reason = (reason or "").strip()[:SUSPENSION_REASON_MAX] or None
    if user.is_suspended == suspended and (not suspended or reason == user.suspension_reason):
        return
    user.suspended_at = (user.suspended_at or utcnow()) if suspended else None
    user.suspension_reason = reason if suspended else None
    # The reason stays on the account (the member reads it), not in the log: no content.
    audit.record(actor, "account.suspend" if suspended else "account.unsuspend", user)


def export_account(user: User) -> dict[str, Any]:
    """Everything the site holds about the user, as JSON-ready data: the account here, each
    feature's sections from its `account_exporting` listener."""

    def iso(value):
        return value.isoformat() if value else None

    data: dict[str, Any] = {
        "account": {
            "email": user.email,
            "display_name": user.display_name,
            "username": user.username,
            "locale": user.locale,
            "notify_email": user.notify_email,
            "created_at": iso(user.created_at),
            "email_verified_at": iso(user.email_verified_at),
            "last_login_at": iso(user.last_login_at),
            "last_digest_on": iso(user.last_digest_on),
            "suspended_at": iso(user.suspended_at),
            "suspension_reason": user.suspension_reason,
            "username_changed_at": iso(user.username_changed_at),
            "is_site_admin": user.is_admin,
        },
        # What the person agreed to, and when.
        "consents": {
            "signed_up_at": iso(user.created_at),
            "email_verified_at": iso(user.email_verified_at),
            "notification_emails": user.notify_email,
        },
        "memberships": [
            {
                "group": m.group.slug,
                "group_name": m.group.name,
                "role": m.role,
                "since": iso(m.created_at),
            }
            for m in user.memberships
        ],
    }
    for _receiver, sections in events.account_exporting.send(user):
        for name, section in (sections or {}).items():
            if name in data:
                raise RuntimeError(f"two features export a section named {name!r}")
            data[name] = section
    return data


def delete_account(user: User, password: str) -> bool:
    """Erase the account's personal data; its posts stay, shown as from a deleted account.

    Returns False (and changes nothing) when the password is wrong.
    """
    if not check_password(user.password_hash, password):
        return False
    # Each feature erases what it holds while the account still has its address and name.
    events.account_deleted.send(user)
    user.deleted_at = utcnow()
    user.email = f"deleted-{user.id}-{secrets.token_hex(4)}@invalid"
    user.display_name = DELETED_NAME
    user.username = f"deleted-{user.id}"
    user.password_hash = "!"  # noqa: S105 - matches no password
    end_all_sessions(user)
    user.is_admin = False
    user.memberships.clear()
    return True
