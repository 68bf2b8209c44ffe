"""The anonymous page cache: a visitor's thread, group and home page, rendered once per
content version, language and address (with its query string), as Discourse's anonymous
cache does.

Only a request that carries no cookie at all is a visitor here: no session, so no flash
waiting, no CSRF token, no draft, no "remember me"; anything else is rendered as usual. A
page is kept only when it was answered 200 as HTML, set no cookie, left the session
untouched (a CSRF token or a flash would have written it) and belongs to nobody
(headers._personal). A page served from the cache goes through the same response hooks as
a rendered one: security headers, `Cache-Control`, the weak ETag and its 304.

The version. Every commit that wrote a row visitors may see (anything but the tables of
PRIVATE_TABLES: read marks, notifications, the outbox, the contact log…) moves it on, once
the commit succeeded; the version is read before the page is rendered, so a page is never
kept under a version newer than what it shows. Watching the writes rather than a list of
events means that nothing can be forgotten: a new post, an edit, a hidden or moved post, a
renamed author, a reaction, a meeting, a member who joined all change the version.
Each cached page also lives at most PAGE_CACHE_SECONDS (relative dates, "next meetings").

Where: with a Redis URL (PAGE_CACHE_URI, else RATELIMIT_STORAGE_URI when it is Redis) the
version is a Redis counter and the pages are Redis keys with a lifetime, shared by every
process and host. Without Redis, pages are kept in each process's memory and the version is
a small file in the instance folder that every process of the host reads (one read of a
few bytes, no SQL statement): a page kept by one worker is never served after another
worker's commit. Several hosts without Redis cannot share it; they need Redis anyway for
the rate limits.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path

from flask import Flask, current_app, g, has_app_context, request, session
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause
from werkzeug.http import generate_etag

log = logging.getLogger(__name__)

CACHED_ENDPOINTS = frozenset({"discussions.show_thread", "groups.show_group", "pages.index"})
# Writes that never show on a visitor's page: they leave the version as it is (a member
# reading a thread writes a read mark; that must not empty the cache every time).
PRIVATE_TABLES = frozenset(
    {
        "read_states",
        "notifications",
        "thread_subscriptions",
        "group_subscriptions",
        "drafts",
        "post_submissions",
        "outbox_mails",
        "outbox_attachments",
        "login_sessions",
        "audit_entries",
        "flags",
        "reminders_sent",
        "households",
        "household_referents",
        "household_contacts",
        "household_contact_people",
        "household_needs",
        "household_phases",
        "household_handovers",
        "contactlog_settings",
    }
)
# Columns of a public table that no visitor's page shows: a sign-in, a new password, the
# daily digest's mark change only these.
PRIVATE_COLUMNS = {
    "users": frozenset(
        {
            "email",
            "password_hash",
            "locale",
            "notify_email",
            "last_digest_on",
            "email_verified_at",
            "last_login_at",
        }
    )
}
CHANGED = "page_cache.changed"  # in Session.info: this transaction wrote something public
MEMORY_ENTRIES = 500  # pages kept per process (memory backend); emptied when full
VERSION_FILE = "page-cache-version"


class MemoryPages:
    """Pages in this process; the version in a file every process of the host reads."""

    def __init__(self, instance_path: str, seconds: int) -> None:
        self.path = Path(instance_path) / VERSION_FILE
        self.seconds = seconds
        self.pages: dict[str, tuple[str, float, bytes, str, str]] = {}

    def version(self) -> str:
        try:
            with open(self.path, "rb") as fh:
                return fh.read().decode() or "0"
        except FileNotFoundError:
            return "0"

    def lookup(self, key: str) -> tuple[str, tuple[bytes, str, str] | None]:
        version = self.version()
        entry = self.pages.get(key)
        if entry is None or entry[0] != version or entry[1] < time.monotonic():
            return version, None
        return version, entry[2:]

    def store(self, key: str, version: str, body: bytes, etag: str, mimetype: str) -> None:
        if len(self.pages) >= MEMORY_ENTRIES:
            self.pages.clear()
        self.pages[key] = (version, time.monotonic() + self.seconds, body, etag, mimetype)

    def bump(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f"{VERSION_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        temporary.write_text(secrets.token_hex(8))
        os.replace(temporary, self.path)  # atomic: readers see the old or the new one
        self.pages.clear()


class Unavailable(Exception):
    """The page store cannot be used just now: the page is rendered as if it were off."""


# After Redis fails, how long each process renders its pages without asking it again.
RETRY_SECONDS = 30


class RedisPages:
    """Pages and their version in Redis: one round trip reads both.

    When Redis stops answering, the process stops asking it for RETRY_SECONDS: pages are
    rendered as with the cache off, without waiting for a timeout on every request, and one
    warning is logged per outage, not one per request. The first call after an outage moves
    the version on: a write made meanwhile could not, and pages kept before it would be stale.
    """

    def __init__(self, uri: str, prefix: str, seconds: int) -> None:
        import redis

        self.client = redis.Redis.from_url(uri, socket_timeout=1, socket_connect_timeout=1)
        self.errors = (redis.RedisError, OSError)
        self.version_key = f"{prefix}version"
        self.prefix = prefix
        self.seconds = seconds
        self.down_until = 0.0  # time.monotonic() until which Redis is not asked
        self.missed = False  # Redis failed since it last answered

    def _call(self, work):
        now = time.monotonic()
        if now < self.down_until:
            raise Unavailable
        try:
            if self.missed:
                self.client.incr(self.version_key)
                self.missed = False
            return work()
        except self.errors:
            self.down_until, self.missed = now + RETRY_SECONDS, True
            log.warning(
                "the page cache's Redis does not answer: pages are rendered for %s s",
                RETRY_SECONDS,
                exc_info=True,
            )
            raise Unavailable from None

    def lookup(self, key: str) -> tuple[str, tuple[bytes, str, str] | None]:
        version, blob = self._call(lambda: self.client.mget(self.version_key, self.prefix + key))
        version = (version or b"0").decode()
        if blob is None:
            return version, None
        stored, etag, mimetype, body = blob.split(b"\n", 3)
        if stored.decode() != version:
            return version, None
        return version, (body, etag.decode(), mimetype.decode())

    def store(self, key: str, version: str, body: bytes, etag: str, mimetype: str) -> None:
        blob = b"\n".join([version.encode(), etag.encode(), mimetype.encode(), body])
        self._call(lambda: self.client.set(self.prefix + key, blob, ex=self.seconds))

    def bump(self) -> None:
        self._call(lambda: self.client.incr(self.version_key))


def _backend(app: Flask):
    uri = app.config.get("PAGE_CACHE_URI")
    if not uri:
        limits = str(app.config.get("RATELIMIT_STORAGE_URI") or "")
        uri = limits if limits.startswith(("redis://", "rediss://")) else ""
    seconds = int(app.config["PAGE_CACHE_SECONDS"])
    if uri.startswith(("redis://", "rediss://", "unix://")):
        return RedisPages(uri, app.config["PAGE_CACHE_PREFIX"], seconds)
    return MemoryPages(app.instance_path, seconds)


def pages(app: Flask | None = None):
    """The app's page store (MemoryPages or RedisPages), or None when the cache is off."""
    return (app or current_app).extensions.get("page_cache")


def _locale() -> str:
    """A visitor's language, as i18n.select_locale finds it when there is no session."""
    languages = current_app.config["LANGUAGES"]
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def _plain_query() -> bool:
    """No query string, or only `?page=N`: the addresses the pages link to. Any other
    (`?quote=`, random arguments) is rendered, never kept: the number of kept pages stays
    bounded by the number of real pages, whatever a client invents."""
    args = request.args
    if not args:
        return True
    page = args.getlist("page")
    return len(args) == 1 and len(page) == 1 and page[0].isdigit() and len(page[0]) < 7


def _serve_cached():
    """Before the view: a visitor's cached page, if its version is the current one."""
    store = current_app.extensions.get("page_cache")
    if (
        store is None
        or request.endpoint not in CACHED_ENDPOINTS
        or request.method not in ("GET", "HEAD")
        or request.cookies
        or not _plain_query()
    ):
        return None
    key = f"{_locale()}|{request.full_path}"
    try:
        version, entry = store.lookup(key)
    except Unavailable:
        return None  # logged once per outage by the store
    except Exception:  # noqa: BLE001 - without its cache the page is rendered as usual
        log.warning("the page cache could not be read", exc_info=True)
        return None
    if entry is None:
        g.page_cache_pending = (key, version)  # the version read before rendering
        return None
    body, etag, mimetype = entry
    response = current_app.response_class(body, mimetype=mimetype)
    response.set_etag(etag, weak=True)  # headers._cache_policy keeps it and answers 304
    return response


def _keep(response):
    """After the view: keep the visitor's page if nothing in it belongs to anyone."""
    from forum.headers import _personal

    pending = g.pop("page_cache_pending", None)
    if (
        pending is None
        or request.method != "GET"
        or response.status_code != 200
        or response.mimetype != "text/html"
        or response.is_streamed
        or response.direct_passthrough
        or "Set-Cookie" in response.headers
        or session.modified
        or _personal()
    ):
        return response
    body = response.get_data()
    if b'name="csrf_token"' in body:
        return response  # a token belongs to one session (never expected: no session here)
    etag = generate_etag(body)
    response.set_etag(etag, weak=True)  # the same validator, computed once
    key, version = pending
    try:
        current_app.extensions["page_cache"].store(key, version, body, etag, response.content_type)
    except Unavailable:
        pass
    except Exception:  # noqa: BLE001 - the page is sent all the same
        log.warning("the page cache could not be written", exc_info=True)
    return response


# --- What moves the version --------------------------------------------------------------


def _public_table(name: str | None) -> bool:
    return name not in PRIVATE_TABLES


def _public_change(obj) -> bool:
    """A changed row that a visitor's page may show (for PRIVATE_COLUMNS' tables: a change
    of another column)."""
    table = getattr(obj, "__tablename__", None)
    private = PRIVATE_COLUMNS.get(table)
    if private is None:
        return _public_table(table)
    return any(
        attr.key not in private and attr.history.has_changes() for attr in inspect(obj).attrs
    )


def _noted_flush(session: Session, flush_context) -> None:
    if session.info.get(CHANGED):
        return
    for obj in (*session.new, *session.deleted):
        if _public_table(getattr(obj, "__tablename__", None)):
            session.info[CHANGED] = True
            return
    for obj in session.dirty:
        if _public_change(obj):
            session.info[CHANGED] = True
            return


def _noted_statement(state) -> None:
    if state.is_select or state.session.info.get(CHANGED):
        return
    statement = state.statement
    if isinstance(statement, TextClause):
        changed = statement.text.lstrip()[:6].upper() != "SELECT"
    else:
        table = getattr(statement, "table", None)
        changed = _public_table(getattr(table, "name", None))
    if changed:
        state.session.info[CHANGED] = True


def _after_commit(session: Session) -> None:
    if not session.info.pop(CHANGED, False) or not has_app_context():
        return
    store = current_app.extensions.get("page_cache")
    if store is None:
        return
    try:
        store.bump()
    except Unavailable:
        pass  # moved on when Redis answers again
    except Exception:  # noqa: BLE001 - the cached pages expire after PAGE_CACHE_SECONDS
        log.exception("the page cache's version could not be moved on")


def register_page_cache(app: Flask) -> None:
    """Serve and keep visitors' pages (PAGE_CACHE), and follow the writes that change them.

    Its response hook is registered after the others, so that it runs first and keeps the
    page as the view made it; the security headers and ETag rules then run on every page,
    served from the cache or not."""
    for name, listener in (
        ("after_flush", _noted_flush),
        ("do_orm_execute", _noted_statement),
        ("after_commit", _after_commit),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    if not app.config["PAGE_CACHE"]:
        return
    app.extensions["page_cache"] = _backend(app)
    # First of the request hooks: a page from the cache skips the rate limiter's check
    # (these pages have no limit on GET) and the CSRF hook, which have nothing to do.
    app.before_request_funcs.setdefault(None, []).insert(0, _serve_cached)
    app.after_request(_keep)
