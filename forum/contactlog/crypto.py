"""Encryption at rest of the contact log's free text: Fernet tokens under a MultiFernet.

Keys come from `CONTACTLOG_KEYS` (FORUM_CONTACTLOG_KEYS: comma-separated Fernet keys, newest
first: new text is encrypted under the first, every key decrypts). On the embedded default
(no keys set, not production) one key is generated once into the instance folder, like the
secret key. `EncryptedText` is the column type: the models read and write plain strings and
the database only ever holds tokens.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import Text, types

KEY_FILE = "contactlog_keys"
_EXTENSION = "contactlog_fernet"

__all__ = ["EncryptedText", "InvalidToken", "decrypt", "encrypt", "fernet", "rotate_token"]


def _instance_key(instance: Path) -> str:
    """The key generated once into the instance folder (mode 0600); O_EXCL: two processes
    starting at once agree on one key."""
    from forum.config import private_folder

    private_folder(instance)
    path = instance / KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    value = Fernet.generate_key().decode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def _keys(app) -> list[str]:
    configured = app.config.get("CONTACTLOG_KEYS")
    if isinstance(configured, list | tuple):
        keys = [str(k).strip() for k in configured]
    else:
        keys = [k.strip() for k in str(configured or "").split(",")]
    keys = [k for k in keys if k]
    if keys:
        return keys
    if app.config.get("ENV") == "production":
        raise RuntimeError(
            "Set FORUM_CONTACTLOG_KEYS in production: the contact log's notes must not be "
            "encrypted under a key generated beside the database."
        )
    return [_instance_key(Path(app.instance_path))]


def fernet(app=None) -> MultiFernet:
    """The application's MultiFernet (built once per application)."""
    app = app or current_app._get_current_object()
    cached = app.extensions.get(_EXTENSION)
    if cached is None:
        cached = MultiFernet([Fernet(key.encode()) for key in _keys(app)])
        app.extensions[_EXTENSION] = cached
    return cached


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


def rotate_token(token: str) -> str:
    """The same text under the newest key."""
    return fernet().rotate(token.encode()).decode()


class EncryptedText(types.TypeDecorator):
    """A text column stored as a Fernet token; None stays NULL. Reads decrypt, writes
    encrypt (a new random IV each time: equal texts give different tokens)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ARG002
        if value is None:
            return None
        return encrypt(str(value))

    def process_result_value(self, value, dialect):  # noqa: ARG002
        if value is None:
            return None
        return decrypt(value)
