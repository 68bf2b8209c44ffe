"""Reports and moderation notices; a feature's own kind; migration 0009 with data."""

from __future__ import annotations

import pytest

from forum.discussions import services as discussions
from forum.extensions import db as _db
from forum.groups.models import Role
from forum.notifications import services
from tests import notify_support
from tests.conftest import login_as, post_form
from tests.factories import add_member, make_group
from tests.notify_support import (
    deliver,
    flagged,
    kinds_of,
    notifications_of,
    paris,
    person,
    start,
    tomorrow_in_paris,
)
from tests.services import SMTPSink

# The shared fixtures, under their names: pytest finds them here.
client = notify_support.client
group = notify_support.group
mail_app = notify_support.mail_app
moderated = notify_support.moderated


def test_a_report_tells_the_coordinators_once_without_the_reporters_words(
    mail_app, smtp, moderated
):
    cast, thread, post = moderated
    cast["Cora"].notify_email = "daily"
    smtp.messages.clear()
    bruno = mail_app.test_client()
    login_as(bruno, cast["Bruno"])
    flag_url = f"/posts/{post.id}/flag"
    assert (
        post_form(bruno, flag_url, {"category": "abusive", "reason": "SECRET words"}).status_code
        == 302
    )
    flagged(post, cast["Bruno"])

    assert kinds_of(cast["Coord"]) == kinds_of(cast["Cora"]) == ["flagged"]
    assert [kinds_of(cast[n]) for n in ("Anne", "Bruno", "Carla")] == [[], [], []]
    deliver()
    [mail] = smtp.to("coord@example.org")
    assert mail["Subject"] == "[Toits solidaires] A message was reported in Section LDH de Clamart"
    text, html = SMTPSink.text(mail), mail.get_body(preferencelist=("html",)).get_content()
    assert "http://localhost/groups/ldh-clamart/flags" in text
    assert "SECRET" not in text + html + str(mail["Subject"])
    coord = mail_app.test_client()
    login_as(coord, cast["Coord"])
    page = coord.get("/notifications").get_data(as_text=True)
    assert "A message in “Winter” was reported to the moderators of Section LDH" in page
    assert "SECRET" not in page and "Bruno" not in page  # nor who reported it

    # A second report while the first is open: the coordinators know already.
    carla = mail_app.test_client()
    login_as(carla, cast["Carla"])
    post_form(carla, flag_url, {"category": "abusive", "reason": "SECRET too"})
    flagged(post, cast["Carla"])
    deliver()
    assert kinds_of(cast["Coord"]) == ["flagged"] and len(smtp.to("coord@example.org")) == 1

    # Once the reports are closed, a new one is news again.
    form = "/groups/ldh-clamart/flags"
    post_form(coord, f"/posts/{post.id}/dismiss-flags", {}, form_url=form)
    dan = mail_app.test_client()
    login_as(dan, cast["Dan"])
    post_form(dan, flag_url, {"category": "abusive", "reason": "SECRET again"})
    flagged(post, cast["Dan"])
    assert kinds_of(cast["Coord"]) == kinds_of(cast["Cora"]) == ["flagged", "flagged"]

    # Nor does the digest of a coordinator who chose one.
    assert services.send_digests(paris(tomorrow_in_paris(), 7, 0)).sent == 1
    deliver()
    [digest_mail] = smtp.to("cora@example.org")
    text = SMTPSink.text(digest_mail)
    assert "A message in “Winter” was reported" in text and "/groups/ldh-clamart/flags" in text
    assert "SECRET" not in text + digest_mail.get_body(preferencelist=("html",)).get_content()


def test_the_author_of_a_hidden_post_is_told_the_public_reason_only(mail_app, smtp, moderated):
    cast, thread, post = moderated
    bruno = mail_app.test_client()
    login_as(bruno, cast["Bruno"])
    post_form(bruno, f"/posts/{post.id}/flag", {"category": "abusive", "reason": "SECRET words"})
    flagged(post, cast["Bruno"])
    smtp.messages.clear()

    coord = mail_app.test_client()
    login_as(coord, cast["Coord"])
    page = f"/threads/{thread.id}?page=1"
    response = post_form(coord, f"/posts/{post.id}/hide", {"category": "off_topic"}, form_url=page)
    assert response.status_code == 302
    _db.session.expire_all()
    assert kinds_of(cast["Anne"])[-1] == "post_hidden"
    deliver()
    [mail] = smtp.to("anne@example.org")
    assert mail["Subject"] == "[Toits solidaires] Your message in “Winter” was hidden"
    text = SMTPSink.text(mail)
    assert "hidden by the moderators: off topic" in text and "SECRET" not in text
    anne = mail_app.test_client()
    login_as(anne, cast["Anne"])
    listing = anne.get("/notifications").get_data(as_text=True)
    assert "was hidden by the moderators: off topic" in listing and "SECRET" not in listing

    # A moderator hiding their own post is not told of it.
    own = discussions.reply(cast["Coord"], thread, body="My own mistake")
    deliver()
    post_form(coord, f"/posts/{own.id}/hide", {"category": "other", "note": "Mine"}, form_url=page)
    assert "post_hidden" not in kinds_of(cast["Coord"])


def test_the_author_is_told_when_a_moderator_locks_or_moves_their_thread(mail_app, smtp, moderated):
    cast, thread, post = moderated
    meudon = make_group("solidarite-meudon", name="Solidarité Meudon")
    add_member(cast["Coord"], meudon, Role.COORDINATOR)
    _db.session.commit()
    smtp.messages.clear()
    coord = mail_app.test_client()
    login_as(coord, cast["Coord"])
    page = f"/threads/{thread.id}?page=1"

    assert post_form(coord, f"/threads/{thread.id}/lock", {}, form_url=page).status_code == 302
    assert kinds_of(cast["Anne"]) == ["thread_locked"]
    deliver()
    [locked] = smtp.to("anne@example.org")
    assert locked["Subject"] == "[Toits solidaires] Your thread “Winter” was locked"
    post_form(coord, f"/threads/{thread.id}/unlock", {}, form_url=page)
    assert kinds_of(cast["Anne"]) == ["thread_locked"]  # unlocking is no news

    move = f"/threads/{thread.id}/move"
    assert post_form(coord, move, {"group": "solidarite-meudon"}).status_code == 302
    assert kinds_of(cast["Anne"]) == ["thread_locked", "thread_moved"]
    deliver()
    moved = smtp.to("anne@example.org")[1]
    assert "Your thread “Winter” was moved to Solidarité Meudon" in SMTPSink.text(moved)

    # A moderator's own thread: nobody to tell.
    own = start(cast["Coord"], meudon, title="Mine")
    _db.session.commit()
    post_form(coord, f"/threads/{own.id}/lock", {}, form_url=f"/threads/{own.id}?page=1")
    assert kinds_of(cast["Coord"]) == []


def test_a_feature_adds_its_own_kind_without_a_schema_change(mail_app, smtp, client, monkeypatch):
    from types import SimpleNamespace

    from forum.notifications import kinds

    meeting = SimpleNamespace(id=7, title="General assembly", slug="ldh-clamart")
    load = lambda ids: {7: meeting} if 7 in ids else {}  # noqa: E731
    monkeypatch.setitem(kinds._LOADERS, "test_meeting", load)
    kind = kinds.Kind(
        name="test_meeting_new",
        subject_type="test_meeting",
        line=lambda n, m: f"A meeting is planned: {m.title}",
        mail_subject=lambda n, m: f"New meeting: {m.title}",
        target=lambda m: ("groups.show_group", {"slug": m.slug}),
        visible=lambda user, m: True,
        link_label="See the group",
    )
    monkeypatch.setitem(kinds._KINDS, kind.name, kind)
    dora = person("Dora", notify="default")
    services.notify([dora], "test_meeting_new", meeting)
    deliver()

    [note] = notifications_of(dora)
    assert (note.subject_type, note.subject_id, note.thread_id) == ("test_meeting", 7, None)
    [mail] = smtp.to("dora@example.org")
    assert mail["Subject"] == "[Toits solidaires] New meeting: General assembly"
    assert "http://localhost/groups/ldh-clamart/" in SMTPSink.text(mail)
    login_as(client, dora)
    assert "A meeting is planned: General assembly" in client.get("/notifications").get_data(
        as_text=True
    )
    assert client.get(f"/notifications/{note.id}").headers["Location"] == "/groups/ldh-clamart/"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_app(request, tmp_path):
    """An app on an empty database of each engine, for migrations."""
    from forum import create_app
    from tests.conftest import PostgresSchema, base_config

    config = base_config(tmp_path, None)
    if request.param == "sqlite":
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'old.sqlite3'}"
        yield create_app(config)
        return
    from tests.services import POSTGRES_URI, need, postgres_available

    need(postgres_available(), "PostgreSQL is not reachable on 127.0.0.1:5432")
    schema = PostgresSchema(POSTGRES_URI)
    config["SQLALCHEMY_DATABASE_URI"] = POSTGRES_URI
    config["SQLALCHEMY_ENGINE_OPTIONS"] = schema.engine_options()
    app = create_app(config)
    try:
        yield app
    finally:
        with app.app_context():
            _db.engine.dispose()
        schema.drop()


def test_upgrading_gives_old_notifications_a_subject_and_old_members_the_new_default(empty_app):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    app = empty_app
    old = "0006_search_scope"
    rows = [
        "INSERT INTO users (id, email, display_name, username, password_hash, is_admin, "
        "session_token, notify_email, created_at) VALUES "
        "(1, 'a@b.fr', 'A', 'a', 'x', false, 't1', 'immediate', '2026-01-01 00:00:00'), "
        "(2, 'b@b.fr', 'B', 'b', 'x', false, 't2', 'daily', '2026-01-01 00:00:00')",
        "INSERT INTO groups (id, name, slug, description, created_at) "
        "VALUES (1, 'G', 'g', '', '2026-01-01 00:00:00')",
        "INSERT INTO threads (id, group_id, author_id, title, is_pinned, post_count, "
        "last_number, last_posted_at, created_at) "
        "VALUES (1, 1, 2, 'T', false, 1, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        "INSERT INTO posts (id, thread_id, author_id, number, body, body_html, edit_count, "
        "created_at) VALUES (1, 1, 2, 1, 'b', '<p>b</p>', 0, '2026-01-01 00:00:00')",
        "INSERT INTO notifications (id, user_id, kind, thread_id, post_id, created_at) VALUES "
        "(1, 1, 'reply', 1, 1, '2026-01-02 00:00:00'), "
        "(2, 2, 'reply', 1, 1, '2026-01-02 00:00:00')",
    ]
    with app.app_context():
        upgrade(revision=old)
        with _db.engine.begin() as conn:
            for row in rows:
                conn.execute(text(row))
        upgrade()
        with _db.engine.connect() as conn:
            users = conn.execute(text("SELECT id, notify_email FROM users ORDER BY id")).all()
            notes = conn.execute(
                text(
                    "SELECT id, subject_type, subject_id, mailed_at IS NOT NULL "
                    "FROM notifications ORDER BY id"
                )
            ).all()
            conn.execute(
                text(
                    "INSERT INTO notifications (id, user_id, kind, subject_type, subject_id, "
                    "post_id, mailed_at_once, created_at) "
                    "VALUES (3, 1, 'flagged', 'flag', 9, 1, false, '2026-01-03')"
                )
            )
            conn.commit()
        assert [tuple(u) for u in users] == [(1, "default"), (2, "daily")]
        # The old default's unmailed notification would never have been mailed: settled.
        # The daily member's still waits for their digest.
        assert [tuple(n) for n in notes] == [(1, "post", 1, 1), (2, "post", 1, 0)]

        downgrade(revision=old)
        with _db.engine.connect() as conn:
            users = conn.execute(text("SELECT id, notify_email FROM users ORDER BY id")).all()
            kept = conn.execute(text("SELECT id FROM notifications ORDER BY id")).all()
        assert [tuple(u) for u in users] == [(1, "immediate"), (2, "daily")]
        assert [tuple(n) for n in kept] == [(1,), (2,)]  # the threadless report is gone
