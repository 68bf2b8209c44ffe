"""The audit log: moderation, role grants and suspensions are recorded, in the same
transaction, without content; coordinators read their group's entries, admins all; the
database refuses to change or delete an entry."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError

from forum.audit.models import AuditEntry
from forum.discussions import moderation, services
from forum.groups.models import Role
from tests.conftest import login_as, post_form
from tests.factories import add_member, make_group, make_user


@pytest.fixture
def scene(db):
    clamart, meudon = make_group("ldh-clamart"), make_group("solidarite-meudon")
    people = {
        "author": make_user(),
        "member": make_user(),
        "coordinator": make_user(),
        "elsewhere": make_user(),
        "admin": make_user(admin=True),
    }
    add_member(people["member"], clamart)
    add_member(people["coordinator"], clamart, Role.COORDINATOR)
    add_member(people["elsewhere"], meudon, Role.COORDINATOR)
    thread = services.create_thread(people["author"], clamart, title="Un fil", body="Début")
    post = services.reply(people["author"], thread, body="Texte confidentiel du message")
    db.session.commit()
    return people, thread, post, clamart, meudon


def actions(db) -> list[tuple]:
    """What people did (the scene's own roles were given by the factories, actor None)."""
    db.session.expire_all()
    return [
        (e.action, e.target_type, e.target_id, e.detail)
        for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.actor_id.is_not(None)).order_by(AuditEntry.id)
        )
    ]


def test_moderation_is_recorded_without_content(app, db, scene):
    people, thread, post, clamart, _ = scene
    mod = app.test_client()
    login_as(mod, people["coordinator"])
    page = f"/threads/{thread.id}?page=1"
    post_form(mod, f"/posts/{post.id}/hide", {"category": "abusive", "note": "Mots"}, form_url=page)
    post_form(mod, f"/posts/{post.id}/restore", {}, form_url=page)
    post_form(mod, f"/threads/{thread.id}/lock", {}, form_url=page)
    post_form(mod, f"/threads/{thread.id}/pin", {}, form_url=page)
    assert actions(db) == [
        ("post.hide", "post", post.id, "abusive"),
        ("post.restore", "post", post.id, None),
        ("thread.lock", "thread", thread.id, None),
        ("thread.pin", "thread", thread.id, None),
    ]
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.actor_id.is_not(None))).all()
    assert {e.actor_id for e in entries} == {people["coordinator"].id}
    assert {e.group_id for e in entries} == {clamart.id}
    # The log is readable by the group's coordinators and shows no message text.
    log = mod.get("/groups/ldh-clamart/audit").get_data(as_text=True)
    assert "a masqué un message" in log and "a verrouillé un fil" in log
    assert "Texte confidentiel" not in log and "Mots" not in log


def test_who_reads_which_log(app, db, scene):
    people, thread, post, clamart, meudon = scene
    moderation.hide_post(people["coordinator"], post, category="spam")
    db.session.commit()
    for who, clamart_log, meudon_log, site_log in (
        ("member", 403, 403, 404),
        ("elsewhere", 403, 200, 404),
        ("coordinator", 200, 403, 404),
        ("admin", 200, 200, 200),
    ):
        client = app.test_client()
        login_as(client, people[who])
        assert client.get("/groups/ldh-clamart/audit").status_code == clamart_log, who
        assert client.get("/groups/solidarite-meudon/audit").status_code == meudon_log, who
        assert client.get("/admin/audit").status_code == site_log, who
    # Meudon's coordinators do not see what happened in Clamart.
    elsewhere = app.test_client()
    login_as(elsewhere, people["elsewhere"])
    assert "a masqué" not in elsewhere.get("/groups/solidarite-meudon/audit").get_data(as_text=True)


def test_role_grants_and_suspensions_are_recorded(client, db, scene):
    people, *_ = scene
    login_as(client, people["admin"])
    post_form(
        client,
        "/admin/roles",
        {"email": people["member"].email, "group": "ldh-clamart", "role": "keeper"},
        form_url="/admin/",
    )
    post_form(
        client,
        "/admin/roles",
        {"email": people["member"].email, "group": "ldh-clamart", "role": "member"},
        form_url="/admin/",
    )
    post_form(
        client,
        "/admin/users/suspension",
        {"email": people["author"].email, "action": "suspend"},
        form_url="/admin/",
    )
    member, author = people["member"].id, people["author"].id
    assert actions(db) == [
        ("role.grant", "user", member, "keeper"),
        ("role.revoke", "user", member, "keeper"),
        ("account.suspend", "user", author, None),
    ]
    assert db.session.scalars(
        select(AuditEntry.actor_id).where(AuditEntry.action.like("account.%"))
    ).all() == [people["admin"].id]


def test_the_database_refuses_to_rewrite_the_log(app, db, scene):
    people, thread, post, *_ = scene
    moderation.set_locked(people["coordinator"], thread, True)
    db.session.commit()
    with pytest.raises(DatabaseError):
        db.session.execute(update(AuditEntry).values(action="post.restore"))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(text("DELETE FROM audit_entries"))
    db.session.rollback()
    assert actions(db) == [("thread.lock", "thread", thread.id, None)]


def test_an_edit_history_is_paginated_and_says_who_edited(app, db, scene):
    people, thread, post, *_ = scene
    for n in range(25):
        services.edit_post(people["author"], post, body=f"Version {n}")
    services.edit_post(people["coordinator"], post, body="Version de la modération")
    db.session.commit()
    client = app.test_client()
    first = client.get(f"/posts/{post.id}/history").get_data(as_text=True)
    assert first.count('class="post-body"') == 21  # the current one and 20 earlier
    assert "Remplacée par la modération" in first and "Version 24" in first
    last = client.get(f"/posts/{post.id}/history?page=2").get_data(as_text=True)
    assert "Texte confidentiel du message" in last and "Remplacée par son auteur" in last
    assert "Version 24" not in last
