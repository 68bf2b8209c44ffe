"""Every setting, with a safe default. Environment variables `FORUM_<KEY>` override them."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask


class Config:
    """The one list of setting keys. Values here are the embedded development defaults."""

    # "development" (default), "production" or "testing".
    ENV = "development"

    SECRET_KEY: str | None = None  # generated into the instance folder when unset
    SQLALCHEMY_DATABASE_URI: str | None = None  # SQLite in the instance folder when unset
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    BASE_URL = "http://127.0.0.1:5000"
    SITE_NAME = "Toits solidaires"

    # Mail: with no MAIL_SERVER, mails stay in the outbox and are printed to the log.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Toits solidaires <ne-pas-repondre@toits-solidaires.invalid>"
    MAIL_TIMEOUT = 10
    MAIL_SUPPRESS_SEND = False
    # Deliver due mails right after the request that queued them (no separate process).
    # None means: yes when no MAIL_SERVER is set (mails go to the log), else no.
    OUTBOX_SEND_INLINE: bool | None = None
    OUTBOX_MAX_ATTEMPTS = 12
    OUTBOX_BATCH = 200
    # Daily notification digests go out at the first `flask reminders` run at or after this
    # hour, Europe/Paris time.
    DIGEST_HOUR = 7

    # Search ranks the newest SEARCH_WINDOW matches of a query (50 pages of 20): a word found
    # in most posts is answered in milliseconds at a million posts, not seconds.
    SEARCH_WINDOW = 1000

    # i18n
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ("fr", "en")

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE: bool | None = None  # None: secure unless ENV is development/testing
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE: bool | None = None
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 14

    # Forms: the CSRF token lives as long as the session; a stale one re-shows the form.
    WTF_CSRF_TIME_LIMIT = 60 * 60 * 8
    MAX_CONTENT_LENGTH = 1024 * 1024  # 1 MiB for pages; uploads get their own limit later
    MAX_FORM_MEMORY_SIZE = 1024 * 1024

    # Tokens sent by e-mail
    VERIFY_TOKEN_MAX_AGE = 60 * 60 * 24 * 3
    RESET_TOKEN_MAX_AGE = 60 * 60

    # Rate limits (Flask-Limiter)
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_KEY_PREFIX = "forum"
    RATELIMIT_LOGIN = "10 per minute;50 per hour"
    RATELIMIT_REGISTER = "5 per minute;20 per hour"
    RATELIMIT_FORGOT = "5 per minute;20 per hour"
    RATELIMIT_POST = "6 per minute;60 per hour"  # per account: a flood limit
    RATELIMIT_POST_NEW_ACCOUNT = "2 per minute;15 per hour"  # accounts less than a day old
    RATELIMIT_SEARCH = "30 per minute;300 per hour"  # per account, else per address
    NEW_ACCOUNT_MAX_LINKS = 2

    # HSTS is sent only when the request came over HTTPS (directly or via a trusted proxy).
    HSTS_SECONDS = 60 * 60 * 24 * 365
    PROXY_FIX = False  # set when gunicorn runs behind a reverse proxy

    CONTACTLOG_KEYS: str | None = None
    UPLOAD_FOLDER: str | None = None


DEV_SECRET_FILE = "secret_key"  # noqa: S105 - a file name


def load_config(app: Flask, overrides: dict | None) -> None:
    """Defaults, then instance folder, then FORUM_* environment, then the overrides."""
    app.config.from_object(Config)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("FORUM")
    if overrides:
        app.config.update(overrides)

    instance = Path(app.instance_path)
    env = app.config["ENV"]
    if env not in ("development", "production", "testing"):
        raise RuntimeError(f"FORUM_ENV must be development, production or testing, not {env!r}")
    production = env == "production"

    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'forum.sqlite3'}"

    if not app.config.get("SECRET_KEY"):
        if production:
            raise RuntimeError(
                "Refusing to start in production without FORUM_SECRET_KEY: "
                "the generated development key must not sign real sessions."
            )
        app.config["SECRET_KEY"] = _instance_secret(instance)
    elif production and len(str(app.config["SECRET_KEY"])) < 32:
        raise RuntimeError("FORUM_SECRET_KEY is too short for production (32 characters or more).")

    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:
            app.config[key] = env not in ("development", "testing")

    if app.config.get("OUTBOX_SEND_INLINE") is None:
        app.config["OUTBOX_SEND_INLINE"] = not app.config.get("MAIL_SERVER")

    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = str(instance / "uploads")

    app.config["BASE_URL"] = str(app.config["BASE_URL"]).rstrip("/")


def _instance_secret(instance: Path) -> str:
    """Return the secret generated once into the instance folder (mode 0600)."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / DEV_SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value
