"""Password hashing and the check against common or guessable passwords."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash

HASH_METHOD = "scrypt"


def _method() -> str:
    """scrypt. Only an app under test (TESTING) may name a cheaper method, in
    TEST_PASSWORD_HASH_METHOD: the test suite hashes hundreds of passwords."""
    if has_app_context() and current_app.testing:
        return current_app.config.get("TEST_PASSWORD_HASH_METHOD") or HASH_METHOD
    return HASH_METHOD


@cache
def _dummy_hash(method: str) -> str:
    """Checked when no account matches, so that a failed login takes the same time either way."""
    return generate_password_hash("not-a-real-password-0", method=method)


_dummy_hash(HASH_METHOD)  # at import: the first failed login takes no longer than the next


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_method())


def check_password(pw_hash: str | None, password: str) -> bool:
    if not pw_hash:
        check_password_hash(_dummy_hash(_method()), password)
        return False
    return check_password_hash(pw_hash, password)


@cache
def _common() -> frozenset[str]:
    text = resources.files("forum.accounts").joinpath("common_passwords.txt").read_text()
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def _folded(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def is_common_password(password: str, form=None) -> bool:
    """True for a listed password, one character repeated, or the user's own name or e-mail."""
    lowered = password.lower()
    if lowered in _common() or len(set(lowered)) <= 2:
        return True
    stripped = re.sub(r"[\d\W_]+$", "", lowered)  # "motdepasse2026!" -> "motdepasse"
    if stripped in _common():
        return True
    folded = _folded(password)
    personal = []
    if form is not None:
        for name in ("email", "display_name"):
            field = getattr(form, name, None)
            if field is not None and field.data:
                personal.append(_folded(str(field.data).split("@")[0]))
    return any(p and len(p) >= 4 and (p in folded and len(p) * 2 >= len(folded)) for p in personal)
