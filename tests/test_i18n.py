"""French first, English second; dates in Europe/Paris."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from tests.conftest import login_as
from tests.factories import make_user

TRANSLATIONS = Path(__file__).resolve().parent.parent / "forum" / "translations"


def test_french_is_the_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in page and "Se connecter" in page


def test_the_browser_language_is_followed(client):
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign in" in page
    page = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    assert '<html lang="fr">' in page


def test_a_visitor_switches_language(client):
    # Visitors' pages carry no CSRF token (no cookie): the form's origin is checked instead.
    ours = {"Origin": "http://localhost"}
    response = client.post("/locale", data={"locale": "en", "next": "/auth/login"}, headers=ours)
    assert response.headers["Location"] == "/auth/login"
    assert "Sign in" in client.get("/auth/login").get_data(as_text=True)
    # Only same-site paths are followed.
    response = client.post("/locale", data={"locale": "fr", "next": "//evil.example"}, headers=ours)
    assert response.headers["Location"] == "/"
    assert "Se connecter" in client.get("/auth/login").get_data(as_text=True)


@pytest.mark.parametrize(
    "headers",
    [
        {},  # neither Origin nor Referer: refused
        {"Origin": "https://evil.example"},
        {"Origin": "http://localhost.evil.example"},
        {"Origin": "null", "Referer": "https://evil.example/page"},
        {"Referer": "https://evil.example/?http://localhost/"},
    ],
)
def test_another_site_cannot_switch_a_visitors_language(client, headers):
    client.post("/locale", data={"locale": "en", "next": "/"}, headers=headers)
    assert "Se connecter" in client.get("/auth/login").get_data(as_text=True)


def test_behind_a_proxy_the_public_address_is_ours_too(make_app):
    """Behind a proxy PROXY_FIX does not trust, the request arrives as http://localhost
    while the browser is on the public address: BASE_URL names it."""
    client = make_app(BASE_URL="https://toits.example.org").test_client()
    client.post("/locale", data={"locale": "en"}, headers={"Origin": "https://toits.example.org"})
    assert "Sign in" in client.get("/auth/login").get_data(as_text=True)


def test_a_visitor_without_origin_header_is_checked_by_referer(client):
    client.post("/locale", data={"locale": "en"}, headers={"Referer": "http://localhost/groups/x/"})
    assert "Sign in" in client.get("/auth/login").get_data(as_text=True)


def test_the_account_language_wins_over_the_browser(client, db):
    user = make_user(locale="en")
    db.session.commit()
    login_as(client, user)
    page = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Sign out" in page


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_catalogues_are_complete(locale):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale=locale)
    with open(TRANSLATIONS / "messages.pot", "rb") as fh:
        template = read_po(fh)
    template_ids = {m.id for m in template if m.id}
    catalog_ids = {m.id for m in catalog if m.id}
    assert template_ids == catalog_ids, "run `make update-catalogues`"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert fuzzy == []
    if locale == "fr":
        missing = [
            m.id
            for m in catalog
            if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
        ]
        assert missing == []


def test_every_template_string_is_extracted(tmp_path):
    """A string added to the code without `make update-catalogues` fails here."""
    import subprocess
    import sys

    root = TRANSLATIONS.parent.parent
    out = tmp_path / "check.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [
            pybabel,
            "extract",
            "--ignore-dirs=.* __pycache__",  # the default also skips _macros/
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "lazy_ngettext:1,2",
            "-o",
            str(out),
            "forum",
            "templates",
        ],
        cwd=root,
        check=True,
        capture_output=True,
    )
    with open(out, "rb") as fh:
        current = {m.id for m in read_po(fh) if m.id}
    with open(TRANSLATIONS / "messages.pot", "rb") as fh:
        committed = {m.id for m in read_po(fh) if m.id}
    assert len(current) > 100  # the extraction really ran over the code
    assert current - committed == set(), "run `make update-catalogues` and translate"


def test_dates_are_shown_in_europe_paris(app):
    from flask import render_template_string

    winter = datetime(2026, 2, 27, 13, 30, tzinfo=UTC)  # 14:30 in Paris (UTC+1)
    summer = datetime(2026, 7, 14, 8, 0, tzinfo=UTC)  # 10:00 in Paris (UTC+2)
    with app.test_request_context(), force_locale("fr"):
        text = render_template_string(
            "{{ w | datetime('short') }} / {{ s | datetime('short') }}", w=winter, s=summer
        )
    assert text == "27/02/2026 14:30 / 14/07/2026 10:00"


def test_the_forms_own_messages_come_in_each_members_language(app, db):
    """WTForms' messages ("This field is required.") come from its catalogue, read once
    per language for the process: a French and an English member, in turn, each read it
    in theirs."""
    from tests.conftest import post_form
    from tests.factories import add_member, make_group

    group = make_group("entraide")
    clients = {}
    for locale in ("fr", "en"):
        user = make_user(locale=locale)
        add_member(user, group)
        db.session.commit()
        clients[locale] = app.test_client()
        login_as(clients[locale], user)
    expected = {"fr": "Ce champ est requis.", "en": "This field is required."}
    for locale in ("fr", "en", "fr", "en"):
        response = post_form(
            clients[locale], "/groups/entraide/threads/new", {"title": "Un titre", "body": ""}
        )
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert expected[locale] in page
        other = expected["en" if locale == "fr" else "fr"]
        assert other not in page
