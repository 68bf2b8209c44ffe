"""Template globals and filters: permissions, dates in Europe/Paris, the locale."""

from __future__ import annotations

from flask import Flask
from flask_babel import format_date, format_datetime, get_locale


def register_templating(app: Flask) -> None:
    from forum.permissions import can

    app.jinja_env.globals.update(can=can, current_locale=lambda: str(get_locale()))
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": (
        format_datetime(value, fmt) if value else ""
    )
    app.jinja_env.filters["date"] = lambda value, fmt="medium": (
        format_date(value, fmt) if value else ""
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _site():
        return {
            "site_name": app.config["SITE_NAME"],
            "languages": app.config["LANGUAGES"],
        }
