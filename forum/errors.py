"""Friendly error pages in the user's language, and forms that survive an expired token."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from forum.extensions import db

log = logging.getLogger(__name__)

PAGES = (400, 403, 404, 405, 413, 429, 500)
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
        db.session.rollback()
        return _render(500, exc)


def _render(code: int, exc) -> tuple:
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
    return render_template(f"errors/{code}.html", error=exc, kept=kept), code, headers
