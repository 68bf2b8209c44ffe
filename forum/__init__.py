"""The application factory."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None, *, instance_path: str | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, handlers. Nothing else runs.

    `instance_path` replaces the instance folder (default: `instance/` beside the code).
    """
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from forum.config import load_config

    load_config(app, config)
    _register_logging(app)
    _register_extensions(app)
    _register_converters(app)
    _register_blueprints(app)
    _register_handlers(app)
    _register_templating(app)
    _register_listeners()
    _register_cli(app)
    return app


def _register_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _register_extensions(app: Flask) -> None:
    from forum.extensions import (
        babel,
        csrf,
        db,
        limiter,
        login_manager,
        mail,
        migrate,
        session_identifier,
    )
    from forum.i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    mail.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"
    login_manager._session_identifier_generator = session_identifier
    login_manager.login_message_category = "info"

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to see this page.")

    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    # Importing the models registers them on the metadata (for migrations and create_all).
    import forum.models  # noqa: F401


def _register_converters(app: Flask) -> None:
    """URL converters before the routes that use them; the NUL guard before any view."""
    from forum.urls import register_url_rules

    register_url_rules(app)


def _register_blueprints(app: Flask) -> None:
    from forum.accounts import bp as accounts_bp
    from forum.admin import bp as admin_bp
    from forum.audit import bp as audit_bp
    from forum.contactlog import bp as contactlog_bp
    from forum.discussions import bp as discussions_bp
    from forum.documents import bp as documents_bp
    from forum.groups import bp as groups_bp
    from forum.guide import bp as guide_bp
    from forum.meetings import bp as meetings_bp
    from forum.notifications import bp as notifications_bp
    from forum.pages import bp as pages_bp
    from forum.people import bp as people_bp
    from forum.projects import bp as projects_bp
    from forum.reactions import bp as reactions_bp
    from forum.search import bp as search_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(discussions_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(audit_bp)
    app.register_blueprint(projects_bp)
    app.register_blueprint(people_bp)
    app.register_blueprint(contactlog_bp)
    app.register_blueprint(guide_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(reactions_bp)


def _register_handlers(app: Flask) -> None:
    from forum.accounts.services import load_user_from_session
    from forum.documents.listeners import connect_session_hooks, register_inline_reader
    from forum.errors import register_error_handlers
    from forum.extensions import login_manager
    from forum.headers import register_security_headers
    from forum.mail import register_inline_sender

    login_manager.user_loader(load_user_from_session)
    register_error_handlers(app)
    register_security_headers(app)
    register_inline_sender(app)
    register_inline_reader(app)
    connect_session_hooks()
    # Last: its response hook runs first, on the page as the view made it.
    from forum.pagecache import register_page_cache

    register_page_cache(app)


def _register_templating(app: Flask) -> None:
    from forum.templating import register_templating

    register_templating(app)


def _register_listeners() -> None:
    """Connect each feature's listeners to the events of the others (forum/events.py):
    the search index and notifications follow the discussions; each feature gives its
    part of an account's export, erasure and retention rules."""
    from forum.accounts import privacy as accounts_privacy
    from forum.contactlog import listeners as contactlog_listeners
    from forum.contactlog import privacy as contactlog_privacy
    from forum.discussions import privacy as discussions_privacy
    from forum.documents import privacy as documents_privacy
    from forum.documents import search as documents_search
    from forum.guide import listeners as guide_listeners
    from forum.guide import privacy as guide_privacy
    from forum.meetings import listeners as meeting_listeners
    from forum.meetings import privacy as meetings_privacy
    from forum.notifications import listeners as notification_listeners
    from forum.notifications import privacy as notifications_privacy
    from forum.projects import listeners as project_listeners
    from forum.projects import privacy as projects_privacy
    from forum.reactions import privacy as reactions_privacy
    from forum.search import listeners as search_listeners
    from forum.search.sections import register_section

    search_listeners.connect()
    register_section(documents_search.search_section)
    notification_listeners.connect()
    project_listeners.connect()
    meeting_listeners.connect()
    contactlog_listeners.connect()
    guide_listeners.connect()
    for module in (
        accounts_privacy,
        discussions_privacy,
        notifications_privacy,
        projects_privacy,
        meetings_privacy,
        contactlog_privacy,
        guide_privacy,
        documents_privacy,
        reactions_privacy,
    ):
        module.connect()


def _register_cli(app: Flask) -> None:
    from forum.cli import register_cli

    register_cli(app)
