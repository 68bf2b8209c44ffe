"""Friendly error pages in the user's language, and forms that survive an expired token."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from urllib.parse import urlsplit

from flask import Flask, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from forum.extensions import db
from forum.urls import is_cross_site, safe_next

log = logging.getLogger(__name__)

PAGES = (400, 403, 404, 405, 413, 429, 500, 503)
# The database does not answer (refused, gone, no free connection in the pool): a 503.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)
RETRY_AFTER = 60  # seconds, on the 503 page
KEPT_FIELDS = ("title", "body")  # never passwords


def on_session_ended(keep: Callable) -> Callable:
    """Mark a form view whose text must survive a session that ended while it was written.

    Every POST needs a valid CSRF token (Flask-WTF's global check). A member whose session
    ended while writing a long reply posts without a valid one: for the views marked here,
    and only when the form came from one of this site's own pages (its Origin or Referer
    header, which another site cannot forge), `keep(**view_args)` saves the text as a draft
    and sends them to sign in; it changes nothing else. Any other refused post shows the
    form's text back (see `_render`).
    """

    def mark(view: Callable) -> Callable:
        view.on_session_ended = keep  # type: ignore[attr-defined]
        return view

    return mark


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        from flask_login import current_user

        from forum.urls import is_same_origin

        view = app.view_functions.get(request.endpoint or "")
        keep = getattr(view, "on_session_ended", None)
        signed_out = not current_user.is_authenticated
        if signed_out and request.endpoint not in SIGNED_OUT_FORMS and is_same_origin(request):
            if keep is not None:
                return keep(**(request.view_args or {}))
            if _typed_text() and not (request.endpoint or "").startswith(PRIVATE_FORMS):
                # A form of one of our pages, posted after the session ended, with text in
                # it: the text comes back beside a link to sign in again (nothing is lost).
                return _render(400, exc, template="errors/csrf.html")
            # Nothing typed (or the contact log's, never shown to a signed-out browser):
            # sign in again, then back to the page the form was on.
            from forum.extensions import login_manager

            return redirect(url_for(login_manager.login_view, next=_back()))
        return _render(400, exc, template="errors/csrf.html")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code in PAGES:
            return _render(exc.code, exc)
        return exc

    @app.errorhandler(500)
    def _server_error(exc):
        original = getattr(exc, "original_exception", None)
        if isinstance(original, DATABASE_DOWN):  # raised after the view: a response hook
            return _unavailable(original)
        _rollback()
        return _render(500, exc)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def _database_down(exc):
        return _unavailable(exc)


def _rollback() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone with the database
        log.debug("rollback failed", exc_info=True)


def _unavailable(exc) -> tuple:
    """The 503 page, rendered without a query: the signed-in member is shown the visitor's
    page (in the language of their account when it was loaded already, else the session's
    or the browser's), since anything about them would need the database."""
    log.error("the database does not answer: %s", exc)
    user = g.get("_login_user")
    locale = getattr(user, "__dict__", {}).get("locale")  # never loads it from the database
    g._login_user = current_app.login_manager.anonymous_user()
    _rollback()
    known = locale in current_app.config["LANGUAGES"]
    with force_locale(locale) if known else nullcontext():
        body, code, headers = _page(503, exc)
    return body, code, {**headers, "Retry-After": str(RETRY_AFTER)}


# Forms meant for visitors: a stale token there shows the form's text back, like any other,
# instead of sending them to sign in.
SIGNED_OUT_FORMS = {"accounts.login", "accounts.register", "accounts.forgot", "accounts.reset"}
# Forms whose text is the families' data: never shown back to a signed-out browser.
PRIVATE_FORMS = ("contactlog.",)

# Fields shown back, visibly, with these labels; the others go back as hidden inputs.
VISIBLE_FIELDS = {
    "email": _l("E-mail address"),
    "display_name": _l("Display name"),
    "title": _l("Title"),
    "reason": _l("Reason"),
    "body": _l("Message"),
}
LONG_FIELDS = ("body", "description", "agenda", "message", "summary")
# Fields whose value someone typed: a signed-out form carrying one comes back (a follow
# button or a choice alone sends its writer to sign in instead).
TYPED_FIELDS = frozenset(
    {
        *VISIBLE_FIELDS,
        *LONG_FIELDS,
        "name",
        "note",
        "text",
        "details",
        "location",
        "goal",
        "subject",
    }
)


def _path_of(url: str) -> str | None:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "") if parts.path else None


def _back() -> str | None:
    """The page the refused form was on (its Referer), when it is one of ours."""
    return safe_next(_path_of(request.headers.get("Referer", "")))


def _typed_text() -> bool:
    return any(
        name in TYPED_FIELDS and any(value.strip() for value in request.form.getlist(name))
        for name in request.form
    )


def _kept_fields() -> list[tuple[str, list[str]]]:
    """What a refused form carried, to show it back: every field but the token and
    passwords (those are asked again), in the order sent."""
    return [
        (name, request.form.getlist(name))
        for name in request.form
        if name != "csrf_token" and "password" not in name
    ]


def _render(code: int, exc, template: str | None = None) -> tuple:
    """An error page; when the database goes down while it renders (the header reads the
    signed-in member), the 503 page instead."""
    try:
        return _page(code, exc, template)
    except DATABASE_DOWN as error:
        return _unavailable(error)


def _page(code: int, exc, template: str | None = None) -> tuple:
    if request.path.endswith(".json") or request.path == "/healthz":
        return jsonify(error=code), code, {}
    headers = {}
    kept = {}
    if code == 429:
        retry = getattr(exc, "retry_after", None)
        limit = getattr(getattr(exc, "limit", None), "limit", None)  # Flask-Limiter's
        if not retry and limit is not None:
            retry = limit.get_expiry()  # the limit's window: free again by then
        if retry:
            headers["Retry-After"] = str(retry)
        # The text of a refused post is shown back, so that nothing typed is lost.
        if request.method == "POST":
            kept = {k: request.form.get(k, "") for k in KEPT_FIELDS if request.form.get(k)}
        # A refused search is shown back too, ready to be sent again.
        if request.endpoint == "search.show_results":
            kept = {"q": request.args.get("q", ""), "group": request.args.get("group", "")}
    if code == 405 and isinstance(exc, HTTPException):
        return render_template(f"errors/{code}.html", error=exc), code, exc.get_headers()
    if template == "errors/csrf.html":
        from flask_login import current_user

        foreign = is_cross_site(request)
        fields = _kept_fields() if request.method == "POST" and not foreign else []
        asks_password = not foreign and any("password" in name for name in request.form)
        query = request.query_string.decode()
        action = request.path + (f"?{query}" if query else "")
        return (
            render_template(
                template,
                error=exc,
                fields=fields,
                asks_password=asks_password,
                action=action,
                labels=VISIBLE_FIELDS,
                long_fields=LONG_FIELDS,
                foreign=foreign,
                # Signed out on a form for members: a link to sign in again.
                signed_out=not current_user.is_authenticated
                and request.endpoint not in SIGNED_OUT_FORMS,
                sign_in=url_for("accounts.login", next=_back()),
            ),
            code,
            headers,
        )
    return render_template(f"errors/{code}.html", error=exc, kept=kept), code, headers
