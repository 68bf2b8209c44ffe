"""Site administration of people and places: the user list, suspensions with a reason, the
site-wide report queue, editing and archiving groups and communes (archived: read-only)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.audit.models import AuditEntry
from forum.discussions import moderation
from forum.discussions import services as discussions
from forum.groups.models import Group
from forum.permissions import can
from tests.conftest import login_as, post_form
from tests.factories import (
    add_member,
    make_commune,
    make_group,
    make_meeting,
    make_project,
    make_user,
)

ADMIN_PAGES = [
    "/admin/users",
    "/admin/users?q=ines",
    "/admin/reports",
    "/admin/groups",
    "/admin/communes",
    "/admin/groups/entraide/edit",
    "/admin/communes/92023/edit",
]


@pytest.fixture
def scene(db):
    admin = make_user("admin@example.org", admin=True, name="Admin")
    member = make_user("ines@example.org", name="Inès Bernard", username="ines-b")
    group = make_group("entraide", name="Entraide Clamart")
    add_member(member, group, "coordinator")
    db.session.commit()
    return {"admin": admin, "member": member, "group": group}


@pytest.mark.parametrize(("who", "status"), [("visitor", 302), ("member", 404), ("admin", 200)])
def test_permission_matrix(app, scene, who, status):
    client = app.test_client()
    if who != "visitor":
        login_as(client, scene[who])
    for url in ADMIN_PAGES:
        response = client.get(url)
        assert response.status_code == status, (who, url)
        if who == "visitor":
            assert "/auth/login?next=" in response.headers["Location"]


def test_a_member_cannot_post_to_admin_urls(app, scene):
    client = app.test_client()
    login_as(client, scene["member"])
    for url in [
        "/admin/users/2/suspension",
        "/admin/groups/entraide/archive",
        "/admin/communes/92023/archive",
        "/admin/groups/entraide/edit",
        "/admin/communes/92023/edit",
    ]:
        response = post_form(
            client, url, {"action": "archive", "reason": "x"}, form_url="/account/"
        )
        assert response.status_code == 404, url


def test_the_user_list_searches_email_name_and_handle(client, scene, db):
    make_user("autre@example.org", name="Paul Durand", username="paul")
    author = scene["member"]
    thread = discussions.create_thread(author, scene["group"], title="Fil", body="Un")
    discussions.reply(author, thread, body="Deux")
    login_as(client, scene["admin"])
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Inès Bernard" in page and "Paul Durand" in page
    assert "Entraide Clamart" in page and "Coordinat" in page
    for q in ("INES@", "bernard", "ines-b"):
        page = client.get(f"/admin/users?q={q}").get_data(as_text=True)
        assert "Inès Bernard" in page and "Paul Durand" not in page, q
    row = page[page.index("Inès Bernard") :]
    assert "<td>2</td>" in row  # two posts
    assert "Aucun compte ne correspond." in client.get("/admin/users?q=%25").get_data(as_text=True)
    assert client.get("/admin/users?page=abc").status_code == 200


def test_the_user_list_is_paginated(client, scene, db):
    for n in range(55):
        make_user(name=f"Zz Membre {n:02d}")
    login_as(client, scene["admin"])
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/users?page=2"' in page
    assert "Zz Membre 54" in client.get("/admin/users?page=2").get_data(as_text=True)


def test_suspending_with_a_reason_and_lifting_it(app, client, scene, db):
    member, group = scene["member"], scene["group"]
    login_as(client, scene["admin"])
    url = f"/admin/users/{member.id}/suspension"
    response = post_form(client, url, {"action": "suspend", "reason": ""}, form_url="/admin/users")
    assert response.status_code == 400 and "Dites pourquoi" in response.get_data(as_text=True)
    response = post_form(
        client, url, {"action": "suspend", "reason": "Messages injurieux"}, form_url="/admin/users"
    )
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.is_suspended and member.suspension_reason == "Messages injurieux"
    # The member cannot post and reads why.
    suspended = app.test_client()
    login_as(suspended, member)
    response = post_form(
        suspended,
        f"/groups/{group.slug}/threads/new",
        {"title": "Un titre assez long", "body": "Un texte"},
    )
    assert response.status_code == 403
    assert "Messages injurieux" in suspended.get("/account/").get_data(as_text=True)
    assert "Suspendu" in client.get("/admin/users").get_data(as_text=True)
    response = post_form(client, url, {"action": "restore"}, form_url="/admin/users")
    assert response.status_code == 302
    db.session.refresh(member)
    assert not member.is_suspended and member.suspension_reason is None
    assert db.session.scalars(select(AuditEntry.action)).all()[-2:] == [
        "account.suspend",
        "account.unsuspend",
    ]


def test_an_admin_cannot_suspend_themselves_nor_a_missing_account(client, scene):
    login_as(client, scene["admin"])
    response = post_form(
        client,
        f"/admin/users/{scene['admin'].id}/suspension",
        {"action": "suspend", "reason": "test"},
        form_url="/admin/users",
    )
    assert response.status_code == 400
    response = post_form(
        client, "/admin/users/9999/suspension", {"action": "restore"}, form_url="/admin/users"
    )
    assert response.status_code == 404


def test_the_report_queue_lists_every_groups_open_reports(client, scene, db):
    author, reporter = make_user(), make_user()
    other = make_group("meudon", name="Entraide Meudon")
    one = discussions.create_thread(author, scene["group"], title="Fil un", body="Texte un")
    two = discussions.create_thread(author, other, title="Fil deux", body="Texte deux")
    posts = [
        discussions.reply(author, one, body="Réponse signalée un"),
        discussions.reply(author, two, body="Réponse signalée deux"),
    ]
    for post in posts:
        moderation.flag_post(reporter, post, category="spam", reason="pub")
    moderation.dismiss_flags(scene["admin"], posts[1])
    db.session.commit()
    login_as(client, scene["admin"])
    page = client.get("/admin/reports").get_data(as_text=True)
    assert "Réponse signalée un" in page and "Entraide Clamart" in page
    assert "Réponse signalée deux" not in page  # resolved


def test_editing_a_group_and_a_commune(client, scene, db):
    make_commune("92048", "Meudon")
    login_as(client, scene["admin"])
    response = post_form(
        client,
        "/admin/groups/entraide/edit",
        {"name": "", "commune": "92048", "description": "Nouvelle description"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Nouvelle description" in page
    response = post_form(
        client,
        "/admin/groups/entraide/edit",
        {"name": "Entraide Meudon", "commune": "92048", "description": "Nouvelle description"},
    )
    assert response.status_code == 302
    group = db.session.scalar(select(Group).where(Group.slug == "entraide"))
    db.session.refresh(group)
    assert group.name == "Entraide Meudon" and group.commune.insee == "92048"
    response = post_form(
        client, "/admin/communes/92023/edit", {"name": "Clamart", "department": "9"}
    )
    assert response.status_code == 400 and 'value="9"' in response.get_data(as_text=True)
    response = post_form(
        client,
        "/admin/communes/92023/edit",
        {"name": "Clamart (Hauts-de-Seine)", "department": "92"},
    )
    assert response.status_code == 302
    assert client.get("/admin/groups/nothing/edit").status_code == 404
    assert client.get("/admin/communes/00000/edit").status_code == 404


def test_an_archived_group_is_read_only_and_still_public(app, client, scene, db):
    group, member = scene["group"], scene["member"]
    thread = discussions.create_thread(member, group, title="Un fil", body="Bonjour")
    meeting = make_meeting(group)
    project = make_project(groups_taking_part=[group])
    db.session.commit()
    login_as(client, scene["admin"])
    response = post_form(
        client, "/admin/groups/entraide/archive", {"action": "archive"}, form_url="/admin/groups"
    )
    assert response.status_code == 302
    db.session.refresh(group)
    assert group.is_archived
    for action, obj in [
        ("thread.create", group),
        ("thread.reply", thread),
        ("group.join", group),
        ("meeting.create", group),
        ("meeting.rsvp", meeting),
        ("project.pledge", project),
    ]:
        assert not can(action, obj, user=member), action
    assert can("thread.view", thread, user=None)
    visitor = app.test_client()
    page = visitor.get("/groups/entraide/").get_data(as_text=True)
    assert "archivé" in page and "lecture seule" in page
    assert visitor.get(f"/threads/{thread.id}").status_code == 200
    writer = app.test_client()
    login_as(writer, member)
    response = post_form(
        writer,
        f"/threads/{thread.id}/posts",
        {"body": "Une réponse"},
        form_url=f"/threads/{thread.id}",
    )
    assert response.status_code == 403
    response = post_form(
        client, "/admin/groups/entraide/archive", {"action": "restore"}, form_url="/admin/groups"
    )
    db.session.refresh(group)
    assert not group.is_archived and can("thread.reply", thread, user=member)
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "group.archive" in actions and "group.unarchive" in actions


def test_archiving_a_commune_marks_it(client, scene, db):
    login_as(client, scene["admin"])
    response = post_form(
        client, "/admin/communes/92023/archive", {"action": "archive"}, form_url="/admin/communes"
    )
    assert response.status_code == 302
    assert "archivé" in client.get("/admin/communes").get_data(as_text=True)
    response = post_form(
        client, "/admin/communes/92023/archive", {"action": "bogus"}, form_url="/admin/communes"
    )
    assert response.status_code == 400


def test_a_suspended_member_reads_why_where_they_would_reply(app, scene, db):
    from forum.accounts import services as accounts

    member = scene["member"]
    thread = discussions.create_thread(scene["admin"], scene["group"], title="Fil", body="Un")
    accounts.set_suspended(member, True, actor=scene["admin"], reason="Propos injurieux")
    db.session.commit()
    client = app.test_client()
    login_as(client, member)
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "Votre compte est suspendu" in page and "Propos injurieux" in page
