"""Friendly error pages in the user's language, and forms that survive an expired token."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import force_locale
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from forum.extensions import db

log = logging.getLogger(__name__)

PAGES = (400, 403, 404, 405, 413, 429, 500, 503)
# The database does not answer (refused, gone, no free connection in the pool): a 503.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)
RETRY_AFTER = 60  # seconds, on the 503 page
KEPT_FIELDS = ("title", "body")  # never passwords


def keeps_input(view: Callable) -> Callable:
    """Mark a form view that checks the CSRF token itself, through its FlaskForm.

    The global check would answer a stale token with a bare 400 before the view runs;
    such a view instead validates its form (token included) before changing anything, so
    the form comes back with what was typed and a message saying the session expired.
    Every other check (sign-in, permissions, rate limits) runs as usual.
    """
    from forum.extensions import csrf

    return csrf.exempt(view)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        return _render(400, exc)

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


def _render(code: int, exc) -> tuple:
    """An error page; when the database goes down while it renders (the header reads the
    signed-in member), the 503 page instead."""
    try:
        return _page(code, exc)
    except DATABASE_DOWN as error:
        return _unavailable(error)


def _page(code: int, exc) -> tuple:
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
    return render_template(f"errors/{code}.html", error=exc, kept=kept), code, headers
