"""Every setting, with a safe default. Environment variables `FORUM_<KEY>` override them."""

from __future__ import annotations

import contextlib
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
    # Unset: a server database's pooled connections are tested before use (a restarted
    # server would otherwise give the next visitors an error); SQLite's file cannot drop a
    # connection, so its requests skip that statement.
    SQLALCHEMY_ENGINE_OPTIONS: dict | None = None

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
    # Retention (`flask purge`): mails sent or abandoned, and read notifications, are removed
    # after this many days.
    OUTBOX_RETENTION_DAYS = 30
    NOTIFICATION_RETENTION_DAYS = 90
    # Daily notification digests go out at the first `flask reminders` run at or after this
    # hour, Europe/Paris time.
    DIGEST_HOUR = 7
    # Meeting reminders (the day before) and decisions falling due are mailed by the first
    # `flask reminders` run at or after this hour, Europe/Paris time.
    MEETING_REMINDER_HOUR = 8

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

    # Rate limits (Flask-Limiter). Unset: memory:// in development; production refuses to
    # start (each worker would count alone): set a redis:// URI, or memory:// on purpose.
    RATELIMIT_STORAGE_URI: str | None = None
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_KEY_PREFIX = "forum"
    # Redis stops answering: each process counts in its own memory, with the same limits,
    # until Redis is back (Flask-Limiter checks), instead of answering 500 to every sign-in,
    # post and search.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_LOGIN = "10 per minute;50 per hour"  # per client address
    # Per account (the e-mail address typed), from any address: failed attempts only, so
    # that guessing one account's password from many addresses stops early.
    RATELIMIT_LOGIN_ACCOUNT = "10 per hour;50 per day"
    RATELIMIT_REGISTER = "5 per minute;20 per hour"
    RATELIMIT_FORGOT = "5 per minute;20 per hour"
    RATELIMIT_POST = "6 per minute;60 per hour"  # per account: a flood limit
    RATELIMIT_POST_NEW_ACCOUNT = "2 per minute;15 per hour"  # accounts less than a day old
    RATELIMIT_SEARCH = "30 per minute;300 per hour"  # per account, else per address
    NEW_ACCOUNT_MAX_LINKS = 2

    # The anonymous page cache (forum/pagecache.py): a visitor's thread, group and home page
    # rendered once per content version and language. In Redis when PAGE_CACHE_URI (else
    # RATELIMIT_STORAGE_URI) is a redis:// URL, else in each process's memory with the
    # version in the instance folder. Pages live at most PAGE_CACHE_SECONDS.
    PAGE_CACHE = True
    PAGE_CACHE_URI: str | None = None
    PAGE_CACHE_SECONDS = 60
    PAGE_CACHE_PREFIX = "forum:pages:"  # Redis keys; one per site sharing a Redis database

    # HSTS is sent only when the request came over HTTPS (directly or via a trusted proxy).
    HSTS_SECONDS = 60 * 60 * 24 * 365
    PROXY_FIX = False  # set when gunicorn runs behind a reverse proxy

    # The contact log: Fernet keys, comma-separated, newest first (None: one key generated
    # into the instance folder; production refuses to run without them).
    CONTACTLOG_KEYS: str | None = None
    # A followed household with no contact for this many days is overdue (each group may
    # change it); a closed one is erased this many months after it was closed.
    CONTACTLOG_OVERDUE_DAYS = 30
    CONTACTLOG_RETENTION_MONTHS = 24
    # The weekly digest of overdue households goes out on this weekday (0: Monday) at the
    # first `flask reminders` run at or after MEETING_REMINDER_HOUR, Europe/Paris.
    CONTACTLOG_DIGEST_WEEKDAY = 0
    # The docuthèque. Files go to UPLOAD_FOLDER (default: instance/uploads), or to an
    # S3-compatible bucket when UPLOAD_S3_BUCKET is set (credentials: boto3's usual
    # AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or a role), for several web hosts.
    UPLOAD_FOLDER: str | None = None
    # The solidarity guide marks an entry nobody checked for this many months.
    GUIDE_STALE_MONTHS = 6
    UPLOAD_S3_BUCKET: str | None = None
    UPLOAD_S3_ENDPOINT_URL: str | None = None  # e.g. http://127.0.0.1:9000 (MinIO, Garage)
    UPLOAD_S3_REGION: str | None = None
    UPLOAD_MAX_MB = 20  # one file; a larger upload gets the 413 page
    # Reading inside a file (type check, text for the search) runs in a child process
    # limited to this many CPU seconds and this much memory.
    DOCUMENTS_READ_SECONDS = 15
    DOCUMENTS_READ_MEMORY_MB = 768
    # Read the text of new files right after the upload's request (else `flask documents
    # read`, e.g. from a timer).
    DOCUMENTS_READ_INLINE = True


DEV_SECRET_FILE = "secret_key"  # noqa: S105 - a file name


def load_config(app: Flask, overrides: dict | None) -> None:
    """Defaults, then instance folder, then FORUM_* environment, then the overrides.

    Overrides with TESTING set stand alone: neither `instance/config.py` nor the FORUM_*
    environment is read, so that the developer's settings never leak into the test suite.
    """
    app.config.from_object(Config)
    if not (overrides or {}).get("TESTING"):
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
        private_folder(instance)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'forum.sqlite3'}"
    _private_sqlite_file(str(app.config["SQLALCHEMY_DATABASE_URI"]))
    if app.config.get("SQLALCHEMY_ENGINE_OPTIONS") is None:
        sqlite = str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite")
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": not sqlite}

    if not app.config.get("SECRET_KEY"):
        if production:
            raise RuntimeError(
                "Refusing to start in production without FORUM_SECRET_KEY: "
                "the generated development key must not sign real sessions."
            )
        app.config["SECRET_KEY"] = _instance_secret(instance)
    elif production and len(str(app.config["SECRET_KEY"])) < 32:
        raise RuntimeError("FORUM_SECRET_KEY is too short for production (32 characters or more).")

    if not app.config.get("RATELIMIT_STORAGE_URI"):
        if production:
            raise RuntimeError(
                "Refusing to start in production without FORUM_RATELIMIT_STORAGE_URI: "
                "use redis (e.g. redis://127.0.0.1:6379/0) so that every worker shares the "
                "counters, or set memory:// on purpose for a single process."
            )
        app.config["RATELIMIT_STORAGE_URI"] = "memory://"

    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:
            app.config[key] = env not in ("development", "testing")

    if app.config.get("OUTBOX_SEND_INLINE") is None:
        app.config["OUTBOX_SEND_INLINE"] = not app.config.get("MAIL_SERVER")

    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = str(instance / "uploads")

    app.config["BASE_URL"] = str(app.config["BASE_URL"]).rstrip("/")


def private_folder(path: Path) -> None:
    """Create the folder readable by the owner only (0700); one that exists is left as is."""
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)  # mkdir's mode is cut by the umask


def _private_sqlite_file(uri: str) -> None:
    """Create the SQLite database file with mode 0600 before SQLite does it with 0644.

    SQLite gives its journal and WAL files the database file's mode, so they follow.
    """
    from sqlalchemy.engine import make_url

    try:
        url = make_url(uri)
    except Exception:  # noqa: BLE001 - SQLAlchemy reports a bad URI itself, later
        return
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    if url.database.startswith("file:") or url.query.get("mode") == "memory":
        return
    path = Path(url.database)
    if not path.parent.is_dir():
        return  # SQLite will say it cannot open the file
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _instance_secret(instance: Path) -> str:
    """Return the secret generated once into the instance folder (mode 0600)."""
    private_folder(instance)
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
