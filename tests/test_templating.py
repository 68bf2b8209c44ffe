"""The shared page patterns: relative dates (`when`), thread states (`badges`), links."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from flask import render_template_string
from flask_babel import force_locale

from forum.db import utcnow
from forum.discussions import moderation, services
from tests.factories import add_member, make_group, make_user

TIME = re.compile(r'^<time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>$')


def when(app, value, locale: str = "fr") -> tuple[str, str, str]:
    """(datetime attribute, title, text) of `when(value)` rendered in `locale`."""
    with app.test_request_context(), force_locale(locale):
        html = render_template_string("{{ when(value) }}", value=value)
    match = TIME.match(html)
    assert match, html
    return tuple(unescape(part) for part in match.groups())


AGO = [
    (timedelta(seconds=20), "à l'instant", "just now"),
    (timedelta(minutes=1, seconds=5), "il y a 1 minute", "1 minute ago"),
    (timedelta(minutes=42, seconds=5), "il y a 42 minutes", "42 minutes ago"),
    (timedelta(hours=1, minutes=1), "il y a 1 heure", "1 hour ago"),
    (timedelta(hours=3, minutes=10), "il y a 3 heures", "3 hours ago"),
    (timedelta(days=1, minutes=5), "il y a 1 jour", "1 day ago"),
    (timedelta(days=6, hours=2), "il y a 6 jours", "6 days ago"),
]


@pytest.mark.parametrize(("age", "fr", "en"), AGO, ids=[fr for _, fr, _ in AGO])
def test_recent_dates_read_as_how_long_ago(app, age, fr, en):
    moment = utcnow() - age
    assert when(app, moment, "fr")[2] == fr
    assert when(app, moment, "en")[2] == en


def test_older_dates_show_the_day_in_paris_and_the_exact_time_in_the_title(app):
    new_year = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # already 2026 in Paris (UTC+1)
    assert when(app, new_year, "fr") == (
        "2025-12-31T23:30:00Z",
        "1 janvier 2026, 00:30",
        "1 janvier 2026",
    )
    assert when(app, new_year, "en") == (
        "2025-12-31T23:30:00Z",
        "January 1, 2026, 12:30\u202fAM",
        "January 1, 2026",
    )
    summer = datetime(2026, 7, 14, 21, 45, tzinfo=UTC)  # 23:45 in Paris (UTC+2)
    assert when(app, summer, "fr")[1:] == ("14 juillet 2026, 23:45", "14 juillet 2026")


def test_recent_dates_keep_the_exact_moment_for_machines_and_people(app):
    moment = utcnow() - timedelta(hours=2, minutes=5)
    iso, title, _ = when(app, moment, "fr")
    assert iso == moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    paris = moment.astimezone(ZoneInfo("Europe/Paris"))
    assert title.endswith(f", {paris:%H:%M}")


def test_a_naive_date_is_utc_and_none_shows_nothing(app):
    naive = datetime(2026, 2, 27, 13, 30)
    assert when(app, naive)[:2] == ("2026-02-27T13:30:00Z", "27 février 2026, 14:30")
    with app.test_request_context():
        assert render_template_string("[{{ when(none) }}]") == "[]"


def test_the_language_can_change_within_one_request(app):
    """The wording is cached per request and per language: a mail rendered in English in
    the middle of a French page gets English."""
    moment = utcnow() - timedelta(hours=3, minutes=10)
    with app.test_request_context():
        template = "{{ when(value) }}"
        with force_locale("fr"):
            french = render_template_string(template, value=moment)
        with force_locale("en"):
            english = render_template_string(template, value=moment)
        with force_locale("fr"):
            again = render_template_string(template, value=moment)
    assert ">il y a 3 heures<" in french and ">3 hours ago<" in english and again == french


def test_pages_show_relative_dates_and_states_in_words(client, db):
    author, coordinator = make_user(), make_user()
    group = make_group()
    add_member(coordinator, group, "coordinator")
    thread = services.create_thread(author, group, title="Un fil épinglé", body="Bonjour")
    other = services.create_thread(author, group, title="Un autre fil", body="Bonjour")
    moderation.set_pinned(coordinator, thread, True)
    moderation.set_locked(coordinator, thread, True)
    db.session.commit()

    listing = unescape(client.get(f"/groups/{group.slug}/").get_data(as_text=True))
    assert listing.count('<span class="badges">Épinglé · Verrouillé</span>') == 1
    assert listing.count('<span class="badges">') == 1  # the other thread has no state
    assert re.search(r'<time datetime="[^"]+Z" title="[^"]+">à l\'instant</time>', listing)

    page = unescape(client.get(f"/threads/{thread.id}").get_data(as_text=True))
    assert '<span class="badges">Épinglé · Verrouillé</span>' in page
    assert ">à l'instant</time>" in page
    other_page = unescape(client.get(f"/threads/{other.id}").get_data(as_text=True))
    assert ">à l'instant</time>" in other_page


def test_links_follow_the_prefix_the_site_is_mounted_under(app, client, db):
    """The links a page repeats are built once per app, and kept per mount point: the same
    thread page under /forum (a proxy's prefix) and at the root links where it should."""
    from forum.templating import SCRIPT_ROOTS_KEPT

    author = make_user(username="claire")
    group = make_group("entraide")
    thread = services.create_thread(author, group, title="Un fil", body="Bonjour")
    db.session.commit()
    url = f"/threads/{thread.id}"

    mounted = client.get(url, base_url="http://localhost/forum").get_data(as_text=True)
    plain = client.get(url).get_data(as_text=True)
    again = client.get(url, base_url="http://localhost/forum").get_data(as_text=True)
    for page, root in ((mounted, "/forum"), (plain, ""), (again, "/forum")):
        assert f'href="{root}/static/css/site.css"' in page  # url_for without values
        assert f'href="{root}/users/claire"' in page  # path_for: the author's profile
        assert f'href="{root}/"' in page  # the home link
    assert "/forum/" not in plain

    # Only a few mount points are kept: the links stay right past them.
    for n in range(SCRIPT_ROOTS_KEPT + 4):
        page = client.get(url, base_url=f"http://localhost/m{n}").get_data(as_text=True)
        assert f'href="/m{n}/users/claire"' in page
    assert len(app.extensions["forum.urls"]) <= SCRIPT_ROOTS_KEPT
    assert len(app.extensions["forum.texts"]) <= SCRIPT_ROOTS_KEPT * 4


def test_names_and_dates_kept_between_pages_follow_every_change(client, db, monkeypatch):
    """A name's markup and a minute's date texts are kept for the app (`app_texts`), not
    worked out again on every page: a renamed member and another language show at once,
    and the kept texts start again past APP_TEXTS_KEPT (the memory they take is bounded)."""
    from forum import templating
    from forum.discussions.models import Post

    author = make_user(username="claire", name="Claire B.")
    group = make_group("entraide")
    thread = services.create_thread(author, group, title="Un fil", body="Bonjour")
    db.session.execute(
        Post.__table__.update().values(created_at=datetime(2025, 3, 9, 10, 5, tzinfo=UTC))
    )
    db.session.commit()
    url = f"/threads/{thread.id}"

    first = unescape(client.get(url).get_data(as_text=True))
    assert "Claire B.</a>" in first and ">9 mars 2025</time>" in first
    author.display_name = "Claire Bernard"
    db.session.commit()
    renamed = unescape(client.get(url).get_data(as_text=True))
    assert "Claire Bernard</a>" in renamed and "Claire B.</a>" not in renamed
    english = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ">March 9, 2025</time>" in english

    # Eight pages, each by another author: kept, their names would pile up.
    monkeypatch.setattr(templating, "APP_TEXTS_KEPT", 3)
    kept = client.application.extensions["forum.texts"]
    for n in range(8):
        other = services.create_thread(
            make_user(username=f"auteur{n}"), group, title="Fil", body="Oui"
        )
        db.session.commit()
        assert f"/users/auteur{n}" in client.get(f"/threads/{other.id}").get_data(as_text=True)
        # At most the bound, plus what one page added past it.
        assert max(len(texts) for texts in kept.values()) <= 3 + 1
