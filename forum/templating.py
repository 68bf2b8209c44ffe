"""Template globals and filters: permissions, notifications, dates in Europe/Paris, the locale."""

from __future__ import annotations

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, get_locale


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page links to show: the first, the last, `around` on each side of the current
    one, and None where a gap of more than one page is left out. It does not grow with the
    number of pages (a group of 2,500 threads has 84)."""
    shown = sorted({1, pages, *range(max(page - around, 1), min(page + around, pages) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - numbers[-1] == 2:
            numbers.append(number - 1)  # a gap of one page: show the page, not "…"
        elif numbers and number - numbers[-1] > 2:
            numbers.append(None)
        numbers.append(number)
    return numbers


def register_templating(app: Flask) -> None:
    from flask_login import current_user

    from forum.notifications.services import is_following_group, is_following_thread, unread_count
    from forum.permissions import can

    app.jinja_env.globals.update(
        can=can, current_locale=lambda: str(get_locale()), page_numbers=page_numbers
    )
    # Notification state for the header and follow buttons: each runs one small query for a
    # signed-in member and none for a visitor.
    app.jinja_env.globals.update(
        is_following_thread=is_following_thread,
        is_following_group=is_following_group,
        unread_notification_count=lambda: unread_count(current_user),
    )
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": (
        format_datetime(value, fmt) if value else ""
    )
    app.jinja_env.filters["date"] = lambda value, fmt="medium": (
        format_date(value, fmt) if value else ""
    )
    app.jinja_env.filters["number"] = format_decimal  # 1 000 in French, 1,000 in English
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _site():
        return {
            "site_name": app.config["SITE_NAME"],
            "languages": app.config["LANGUAGES"],
        }
