"""Home page, health check and the language switch."""

from __future__ import annotations

import logging

from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from forum.accounts import services as accounts
from forum.extensions import csrf, db
from forum.forms import ActionForm
from forum.groups import services as groups
from forum.pages import bp
from forum.urls import is_same_origin, safe_next

log = logging.getLogger(__name__)


@bp.route("/")
def index():
    """Home: the latest active threads (with a member's unread marks), the local groups by
    commune, the projects' progress, the next public meetings."""
    from forum.discussions.activity import active_threads
    from forum.meetings.services import next_meetings
    from forum.permissions import signed_in_user
    from forum.projects.figures import project_cards

    return render_template(
        "pages/index.html",
        active=active_threads(signed_in_user()),
        communes=groups.communes_with_groups(),
        territory_groups=groups.territory_groups(),
        project_cards=project_cards(),
        next_meetings=next_meetings(),
    )


@bp.route("/healthz")
def healthz():
    """200 when the database answers, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.exception("health check: the database does not answer")
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


@bp.route("/locale", methods=["POST"])
# Visitors' pages carry no token (a token needs a session cookie, and visitors' pages set
# none): their language form is checked by its origin instead, in the view.
@csrf.exempt
def set_locale():
    """Switch the interface language for this browser (signed-in users: the account too)."""
    from flask_login import current_user

    form = ActionForm()
    choice = request.form.get("locale", "")
    # Visitors' pages carry no token (a token needs a session cookie, and visitors' pages set
    # none): their form is checked by its origin instead.
    if current_user.is_authenticated:
        allowed = form.validate_on_submit()
    else:
        allowed = is_same_origin(request)
    if not allowed:
        raise CSRFError(_("The language could not be changed from this page."))
    if choice in current_app.config["LANGUAGES"]:
        session["locale"] = choice
        if current_user.is_authenticated:
            accounts.set_locale(current_user, choice)
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("pages.index"))
