"""Communes, groups, membership, and who may do what (the permission matrix)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db as _db
from forum.groups.models import Commune, Group, Membership, Role
from forum.permissions import can
from tests.conftest import login_as, post_form
from tests.factories import add_member, make_commune, make_group, make_user


def test_commune_page_lists_its_groups(client, db):
    clamart = make_commune("92023", "Clamart")
    make_group("ldh-clamart", name="Section LDH de Clamart", commune=clamart)
    db.session.commit()
    page = client.get("/communes/92023/").get_data(as_text=True)
    assert "Clamart" in page and "Section LDH de Clamart" in page
    assert client.get("/communes/99999/").status_code == 404


def test_group_page_shows_coordinators_and_a_join_button(client, db):
    group = make_group("ldh-clamart", name="Section LDH de Clamart")
    add_member(make_user(name="Claire"), group, Role.COORDINATOR)
    db.session.commit()

    page = client.get("/groups/ldh-clamart/").get_data(as_text=True)
    assert "Claire" in page
    assert "Connectez-vous pour rejoindre ce groupe" in page

    login_as(client, make_user())
    assert "Rejoindre le groupe" in client.get("/groups/ldh-clamart/").get_data(as_text=True)


def test_join_then_leave(client, db):
    group = make_group("ldh-clamart")
    user = make_user()
    db.session.commit()
    login_as(client, user)

    response = post_form(client, "/groups/ldh-clamart/join", {}, form_url="/groups/ldh-clamart/")
    assert response.status_code == 302
    page = client.get("/groups/ldh-clamart/").get_data(as_text=True)
    assert "Vous êtes membre de ce groupe" in page
    # Joining twice is harmless.
    post_form(client, "/groups/ldh-clamart/join", {}, form_url="/groups/ldh-clamart/")
    members = db.session.scalars(select(Membership).where(Membership.group_id == group.id)).all()
    assert [m.role for m in members] == ["member"]

    post_form(client, "/groups/ldh-clamart/leave", {}, form_url="/groups/ldh-clamart/")
    assert db.session.scalars(select(Membership)).all() == []


def test_join_needs_sign_in(client, db):
    make_group("ldh-clamart")
    db.session.commit()
    # A form of the site posted after the session ended: sign in, then back to its page.
    response = client.post(
        "/groups/ldh-clamart/join", headers={"Referer": "http://localhost/groups/ldh-clamart/"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/groups/ldh-clamart/"
    # From another site, or from nowhere: refused.
    foreign = client.post("/groups/ldh-clamart/join", headers={"Origin": "https://evil.example"})
    assert foreign.status_code == client.post("/groups/ldh-clamart/join").status_code == 400
    assert db.session.scalars(select(Membership)).all() == []


def test_a_stale_token_on_join_changes_nothing_and_says_so(client, db):
    make_group("ldh-clamart")
    user = make_user()
    db.session.commit()
    login_as(client, user)
    response = client.post("/groups/ldh-clamart/join", data={"csrf_token": "stale"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Votre session a expiré" in page and 'action="/groups/ldh-clamart/join"' in page
    assert db.session.scalars(select(Membership)).all() == []


# --- Roles are per group: a coordinator of Clamart has no power in Meudon. ---


@pytest.fixture
def two_groups(db):
    clamart = make_group("ldh-clamart", commune=make_commune("92023", "Clamart"))
    meudon = make_group("solidarite-meudon", commune=make_commune("92048", "Meudon"))
    people = {
        "visitor": None,
        "unverified": make_user(verified=False),
        "suspended": make_user(suspended=True),
        "outsider": make_user(),
        "member": make_user(),
        "keeper": make_user(),
        "coordinator": make_user(),
        "admin": make_user(admin=True),
    }
    add_member(people["member"], clamart, Role.MEMBER)
    add_member(people["keeper"], clamart, Role.KEEPER)
    add_member(people["coordinator"], clamart, Role.COORDINATOR)
    add_member(people["coordinator"], meudon, Role.MEMBER)
    db.session.commit()
    return clamart, meudon, people


class Visitor:
    is_authenticated = False


ALLOWED = {
    # action: who may, in Clamart
    "group.view": {
        "visitor",
        "unverified",
        "suspended",
        "outsider",
        "member",
        "keeper",
        "coordinator",
        "admin",
    },
    "group.join": {"outsider", "member", "keeper", "coordinator", "admin"},
    "group.leave": {"member", "keeper", "coordinator"},
    "group.coordinate": {"coordinator", "admin"},
    "site.administer": {"admin"},
}


@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_permission_matrix(two_groups, action):
    clamart, meudon, people = two_groups
    for who, user in people.items():
        actor = user or Visitor()
        assert can(action, clamart, user=actor) is (who in ALLOWED[action]), (action, who)
    # The Clamart coordinator is a plain member in Meudon.
    assert can("group.coordinate", meudon, user=people["coordinator"]) is False
    assert can("group.coordinate", meudon, user=people["admin"]) is True


ADMIN_URLS = ["/admin/"]


@pytest.mark.parametrize(
    ("who", "status"),
    [("visitor", 302), ("member", 404), ("coordinator", 404), ("admin", 200)],
)
def test_the_admin_area_answers_404_to_non_admins(app, two_groups, who, status):
    _, _, people = two_groups
    client = app.test_client()
    if people[who] is not None:
        login_as(client, people[who])
    for url in ADMIN_URLS:
        assert client.get(url).status_code == status
    # Posting to an admin action without a token is refused before anything else, the same
    # way for everyone (so it tells nothing about who is an admin); with one, by role.
    response = client.post("/admin/communes", data={"insee": "92002"})
    assert response.status_code == 400
    if people[who] is not None:
        response = post_form(client, "/admin/communes", {"insee": "92002"}, form_url="/")
        assert response.status_code == {"admin": 400}.get(who, status)  # admin: form comes back
    with app.app_context():
        assert _db.session.scalar(select(Commune).where(Commune.insee == "92002")) is None


def test_an_admin_creates_a_commune_a_group_and_grants_a_role(client, db):
    admin = make_user(admin=True)
    odile = make_user("odile@example.org", name="Odile")
    db.session.commit()
    login_as(client, admin)

    response = post_form(
        client,
        "/admin/communes",
        {"insee": "91534", "name": "Saclay", "department": "91"},
        form_url="/admin/",
    )
    assert response.status_code == 302
    duplicate = post_form(
        client,
        "/admin/communes",
        {"insee": "91534", "name": "Saclay bis", "department": "91"},
        form_url="/admin/",
    )
    assert duplicate.status_code == 400
    assert "existe déjà" in duplicate.get_data(as_text=True)
    assert 'value="Saclay bis"' in duplicate.get_data(as_text=True)

    response = post_form(
        client,
        "/admin/groups",
        {
            "name": "Citoyens de Saclay",
            "slug": "",
            "commune": "91534",
            "description": "Le groupe de Saclay.",
        },
        form_url="/admin/",
    )
    assert response.headers["Location"] == "/groups/citoyens-de-saclay/"
    group = db.session.scalar(select(Group).where(Group.slug == "citoyens-de-saclay"))
    assert group.commune.name == "Saclay"

    response = post_form(
        client,
        "/admin/roles",
        {"email": "odile@example.org", "group": "citoyens-de-saclay", "role": "coordinator"},
        form_url="/admin/",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert can("group.coordinate", group, user=db.session.get(type(odile), odile.id))


def test_bad_admin_input_is_refused_with_the_input_kept(client, db):
    admin = make_user(admin=True)
    db.session.commit()
    login_as(client, admin)
    response = post_form(
        client,
        "/admin/communes",
        {"insee": "12", "name": "Nulle part", "department": "9x"},
        form_url="/admin/",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "92023" in page  # the hint in the INSEE error message
    assert 'value="Nulle part"' in page


def test_an_expired_token_on_a_long_form_keeps_the_text(client, db):
    admin = make_user(admin=True)
    make_commune("92023", "Clamart")
    db.session.commit()
    login_as(client, admin)
    long_text = "Nous avons rencontré les familles le dimanche 27 février. " * 30
    response = client.post(
        "/admin/groups",
        data={
            "csrf_token": "expired",
            "name": "Collectif du Petit-Clamart",
            "commune": "92023",
            "description": long_text.strip(),
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Votre session a expiré" in page
    assert long_text.strip()[:200] in page.replace("&#39;", "'")
    assert db.session.scalars(select(Group)).all() == []


def test_a_suspended_account_cannot_join(client, db):
    make_group("ldh-clamart")
    user = make_user(suspended=True)
    db.session.commit()
    login_as(client, user)
    response = post_form(client, "/groups/ldh-clamart/join", {}, form_url="/groups/ldh-clamart/")
    assert response.status_code == 403
    assert "Vous ne pouvez pas faire cela" in response.get_data(as_text=True)
