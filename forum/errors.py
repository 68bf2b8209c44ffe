"""Friendly error pages in the user's language, and forms that survive an expired token."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from forum.extensions import db
from forum.urls import safe_next

log = logging.getLogger(__name__)

PAGES = (400, 403, 404, 405, 413, 429, 500)
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
        if not current_user.is_authenticated and is_same_origin(request):
            if keep is not None:
                return keep(**(request.view_args or {}))
            # A form of one of our pages, posted after the session ended: sign in again,
            # then back to the page the form was on.
            from forum.extensions import login_manager

            back = safe_next(_path_of(request.headers.get("Referer", "")))
            return redirect(url_for(login_manager.login_view, next=back))
        return _render(400, exc, template="errors/csrf.html")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code in PAGES:
            return _render(exc.code, exc)
        return exc

    @app.errorhandler(500)
    def _server_error(exc):
        db.session.rollback()
        return _render(500, exc)


# Fields shown back, visibly, with these labels; the others go back as hidden inputs.
VISIBLE_FIELDS = {
    "email": _l("E-mail address"),
    "display_name": _l("Display name"),
    "title": _l("Title"),
    "reason": _l("Reason"),
    "body": _l("Message"),
}
LONG_FIELDS = ("body", "description", "agenda", "message", "summary")


def _path_of(url: str) -> str | None:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "") if parts.path else None


def _kept_fields() -> list[tuple[str, list[str]]]:
    """What a refused form carried, to show it back: every field but the token and
    passwords (those are asked again), in the order sent."""
    return [
        (name, request.form.getlist(name))
        for name in request.form
        if name != "csrf_token" and "password" not in name
    ]


def _render(code: int, exc, template: str | None = None) -> tuple:
    if request.path.endswith(".json") or request.path == "/healthz":
        return jsonify(error=code), code
    headers = {}
    kept = {}
    if code == 429:
        retry = getattr(exc, "retry_after", None)
        if retry:
            headers["Retry-After"] = str(retry)
        # The text of a refused post is shown back, so that nothing typed is lost.
        if request.method == "POST":
            kept = {k: request.form.get(k, "") for k in KEPT_FIELDS if request.form.get(k)}
    if code == 405 and isinstance(exc, HTTPException):
        return render_template(f"errors/{code}.html", error=exc), code, exc.get_headers()
    if template == "errors/csrf.html":
        fields = _kept_fields() if request.method == "POST" else []
        asks_password = any("password" in name for name in request.form)
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
            ),
            code,
            headers,
        )
    return render_template(f"errors/{code}.html", error=exc, kept=kept), code, headers
