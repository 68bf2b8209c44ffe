"""What makes rendered pages cheaper must not change them: links built from a URL's shape
are url_for's, to the character, and dates read in one call are the moments stored."""

from __future__ import annotations

import pytest
from flask import url_for
from markupsafe import Markup

from forum.templating import path_for

CHANGED = {"lock": "unlock"}  # a value its converter checks: another one it accepts


@pytest.mark.parametrize(
    ("endpoint", "values"),
    [
        ("discussions.permalink", {"post_id": 7}),
        ("discussions.permalink", {"post_id": 2147483647}),
        ("discussions.edit", {"post_id": 12345}),
        ("discussions.history", {"post_id": 1}),
        ("discussions.show_thread", {"thread_id": 42}),
        ("people.profile", {"username": "nadia-b"}),
        ("people.avatar", {"username": "nadia_b.2"}),
        ("groups.show_group", {"slug": "ldh-clamart"}),
        # Several values, in the path and the query, in the order given; an anchor.
        ("discussions.show_thread", {"thread_id": 42, "page": 3}),
        ("discussions.show_thread", {"page": 3, "thread_id": 42}),
        ("discussions.show_thread", {"thread_id": 42, "page": 3, "_anchor": "post-7"}),
        ("discussions.thread_action", {"thread_id": 4, "action": "lock"}),
        ("search.show_results", {"q": "loyer", "group": "ldh-clamart", "page": 2}),
        ("groups.show_group", {}),
        # Values url_for quotes or leaves out: path_for leaves them to it.
        ("people.profile", {"username": "zoé à/b"}),
        ("groups.show_group", {"slug": "a b?c#d"}),
        ("search.show_results", {"q": "loyer impayé", "page": 2}),
        ("accounts.login", {"next": "/threads/1?page=2"}),
        ("accounts.login", {"next": None}),
        ("discussions.show_thread", {"thread_id": 42, "page": -1}),
        ("discussions.show_thread", {"thread_id": 42, "_external": True}),
    ],
)
def test_path_for_writes_what_url_for_writes(app, endpoint, values):
    with app.test_request_context("/"):
        if endpoint == "groups.show_group" and not values:
            values = {"slug": "ldh-clamart"}
        assert path_for(endpoint, **values) == url_for(endpoint, **values)
        # The second time from the shape kept for the request: still the same.
        assert path_for(endpoint, **values) == url_for(endpoint, **values)
        other = {
            k: (v + 1 if type(v) is int else CHANGED.get(v, f"{v}x") if isinstance(v, str) else v)
            for k, v in values.items()
        }
        assert path_for(endpoint, **other) == url_for(endpoint, **other)


def test_templates_url_for_writes_what_url_for_writes(app):
    """Templates' url_for (forum.templating.template_url_for) under a proxy's prefix too."""
    from flask import render_template_string

    page = (
        "{{ url_for('discussions.show_thread', thread_id=7, page=2) }}|"
        "{{ url_for('search.show_results', q=q, page=2) }}|"
        "{{ url_for('static', filename='css/site.css') }}|{{ url_for('pages.index') }}"
    )
    for root in ("", "/forum"):
        with app.test_request_context("/", base_url=f"http://localhost{root}"):
            for q in ("loyer", "loyer & charges"):
                expected = "|".join(
                    (
                        url_for("discussions.show_thread", thread_id=7, page=2),
                        url_for("search.show_results", q=q, page=2),
                        url_for("static", filename="css/site.css"),
                        url_for("pages.index"),
                    )
                ).replace("&", "&amp;")
                assert render_template_string(page, q=q) == expected
                assert expected.startswith(f"{root}/threads/7?page=2")


def test_a_name_links_to_the_profile_and_a_deleted_account_is_plain_text(app):
    from types import SimpleNamespace

    from flask import render_template_string

    page = (
        '{% from "_macros/people.html" import person %}'
        "{{ person(a) }}|{{ person(a, size=32) }}|{{ person(a, avatar=false) }}|{{ person(d) }}"
    )
    alive = SimpleNamespace(display_name="Zoé <b>", username="zoe", is_deleted=False)
    gone = SimpleNamespace(display_name="compte supprimé", username="x", is_deleted=True)
    with app.test_request_context("/"):
        text = render_template_string(page, a=alive, d=gone)
    img = '<img class="avatar" src="/users/zoe/avatar.svg" alt="" width="{0}" height="{0}">'
    assert text.split("|") == [
        f'<a class="person" href="/users/zoe">{img.format(24)}Zoé &lt;b&gt;</a>',
        f'<a class="person" href="/users/zoe">{img.format(32)}Zoé &lt;b&gt;</a>',
        '<a class="person" href="/users/zoe">Zoé &lt;b&gt;</a>',
        '<span class="person">compte supprimé</span>',
    ]


def test_dates_read_from_sqlite_are_aware_utc_whatever_text_holds_them(tmp_path):
    """forum.db.UTCDateTime reads SQLite's text in one call: the moments must be the ones
    stored, in UTC, whether the text has microseconds, seconds only, or its own offset."""
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text

    from forum.db import UTCDateTime

    table = Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime)
    )
    engine = create_engine(f"sqlite:///{tmp_path / 'dates.sqlite3'}")
    table.metadata.create_all(engine)
    paris = timezone(timedelta(hours=1))
    written = datetime(2026, 12, 1, 10, 48, 31, 123456, tzinfo=paris)
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, at=written))  # through the type: UTC text
        for n, raw in enumerate(
            ("2026-12-01 09:48:31", "2026-12-01 10:48:31+01:00", "2026-12-01T09:48"), start=2
        ):
            conn.execute(text("INSERT INTO t (id, at) VALUES (:id, :at)"), {"id": n, "at": raw})
        conn.execute(text("INSERT INTO t (id, at) VALUES (9, NULL)"))
        read = dict(conn.execute(select(table.c.id, table.c.at)).all())
    assert read[1] == written and read[1].tzinfo is UTC
    assert read[2] == read[3] == datetime(2026, 12, 1, 9, 48, 31, tzinfo=UTC)
    assert read[4] == datetime(2026, 12, 1, 9, 48, tzinfo=UTC)
    assert all(v.utcoffset() == timedelta(0) for v in (read[2], read[3], read[4]))
    assert read[9] is None


def _wtforms_html_params(**kwargs):
    """WTForms' own html_params, as its module defines it (forum.forms replaces it)."""
    import importlib.util

    import wtforms.widgets.core as core

    spec = importlib.util.spec_from_file_location("wtforms_widgets_original", core.__file__)
    original = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(original)
    return original.html_params(**kwargs)


@pytest.mark.parametrize(
    "attrs",
    [
        {"name": "body", "id": "body", "required": True, "rows": 8, "maxlength": 50000},
        {"class_": "link-button", "for_": "x", "data_user_id": 4, "aria_describedby": "a b"},
        {"value": 'a "quoted" <b>&amp; é</b>', "checked": False, "readonly": True},
        {"value": Markup('<i class="x">'), "title": "l'été", "name": "q"},
        {"value": 0, "placeholder": "", "step": None},
    ],
)
def test_form_attributes_are_written_as_wtforms_writes_them(attrs):
    from forum import forms

    assert forms.html_params(**attrs) == _wtforms_html_params(**attrs)
    # …and WTForms' widgets and labels use it.
    from wtforms import widgets
    from wtforms.widgets import core

    assert widgets.html_params is core.html_params is forms.html_params
    assert core.TextInput.html_params is forms.html_params


@pytest.mark.parametrize("locale", ["fr", "en", "de"])
def test_dates_written_directly_are_babels(locale):
    """forum.templating._Fields writes the fields the site's patterns use itself: the text
    must be Babel's, in each language, for each pattern and moment (midnight, noon, 1 a.m.)."""
    from datetime import datetime

    from babel import Locale
    from babel.dates import parse_pattern

    from forum.templating import _Fields

    loc = Locale.parse(locale)
    patterns = [
        loc.date_formats["long"].pattern,
        loc.date_formats["medium"].pattern,
        loc.time_formats["short"].pattern,
        "dd/MM/yy HH:mm:ss EEEE",
    ]
    for moment in (
        datetime(2026, 1, 1, 0, 5),
        datetime(2026, 12, 31, 12, 0),
        datetime(2027, 3, 9, 1, 30),
    ):
        for text in patterns:
            pattern = parse_pattern(text)
            assert pattern.format % _Fields(moment, loc) == pattern.apply(moment, loc), text
