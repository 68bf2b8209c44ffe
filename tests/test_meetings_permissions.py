"""Who may see and do what with meetings: a role × URL → status matrix through the real
pages, and the query criterion `visible_meetings` against the rule, row by row."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.groups.models import Role
from forum.meetings import minutes
from forum.meetings.models import Meeting
from forum.permissions import can, visible_meetings
from tests.conftest import csrf_token, login_as
from tests.factories import add_member, make_commune, make_group, make_meeting, make_user

ROLES = ("visitor", "member", "outsider", "coordinator", "coordinator_elsewhere", "admin", "owner")


@pytest.fixture
def world(db):
    clamart = make_group("ldh-clamart", commune=make_commune("92023", "Clamart"))
    meudon = make_group("solidarite-meudon", commune=make_commune("92048", "Meudon"))
    people = {
        "visitor": None,
        "member": make_user(),
        "outsider": make_user(),
        "coordinator": make_user(),
        "coordinator_elsewhere": make_user(),
        "admin": make_user(admin=True),
        "owner": make_user(),
    }
    add_member(people["member"], clamart)
    add_member(people["owner"], clamart)
    add_member(people["coordinator"], clamart, Role.COORDINATOR)
    add_member(people["coordinator_elsewhere"], meudon, Role.COORDINATOR)
    public = make_meeting(clamart, title="Publique")
    private = make_meeting(clamart, title="Réservée", visibility="members")
    past = make_meeting(clamart, title="Passée", days=-2)
    past_private = make_meeting(clamart, title="Passée réservée", days=-2, visibility="members")
    [decision] = minutes.save_minutes(
        people["coordinator"],
        past,
        body="CR",
        present=set(),
        decisions=[minutes.DecisionData("Écrire", past.local_day, owner_id=people["owner"].id)],
    )
    db.session.commit()
    return {
        "people": people,
        "public": public.id,
        "private": private.id,
        "past": past.id,
        "past_private": past_private.id,
        "decision": decision.id,
    }


EVERYONE = dict.fromkeys(ROLES, 200)
MEMBERS = {**EVERYONE, "visitor": 404, "outsider": 404, "coordinator_elsewhere": 404}
COORDINATORS = {**dict.fromkeys(ROLES, 403), "visitor": 302, "coordinator": 200, "admin": 200}
SIGNED_IN = {**EVERYONE, "visitor": 302}
# A members-only meeting does not exist for the others, visitors included.
HIDDEN = {"visitor": 404, "outsider": 404, "coordinator_elsewhere": 404}

GETS = {
    "/groups/ldh-clamart/meetings/": EVERYONE,
    "/groups/ldh-clamart/meetings/?when=past": EVERYONE,
    "/groups/ldh-clamart/meetings.ics": EVERYONE,
    "/groups/nowhere/meetings/": dict.fromkeys(ROLES, 404),
    "/groups/ldh-clamart/meetings/new": COORDINATORS,
    "/meetings/{public}": EVERYONE,
    "/meetings/{public}.ics": EVERYONE,
    "/meetings/{private}": MEMBERS,
    "/meetings/{private}.ics": MEMBERS,
    "/meetings/999999": dict.fromkeys(ROLES, 404),
    "/meetings/999999.ics": dict.fromkeys(ROLES, 404),
    "/meetings/{public}/edit": COORDINATORS,
    "/meetings/{private}/edit": {**COORDINATORS, **HIDDEN},
    "/meetings/{past}/minutes": COORDINATORS,
    "/meetings/{past_private}/minutes": {**COORDINATORS, **HIDDEN},
    "/account/meetings": SIGNED_IN,
}

# POSTs: (url, data) -> status per role
POSTS = {
    ("/meetings/{public}/rsvp", "yes"): {**dict.fromkeys(ROLES, 302)},
    ("/meetings/{private}/rsvp", "yes"): {**dict.fromkeys(ROLES, 302), **HIDDEN},
    ("/meetings/{past}/rsvp", "yes"): {**dict.fromkeys(ROLES, 403), "visitor": 302},
    ("/meetings/{public}/cancel", None): {**COORDINATORS, "coordinator": 302, "admin": 302},
    ("/meetings/{private}/cancel", None): {
        **COORDINATORS,
        "coordinator": 302,
        "admin": 302,
        **HIDDEN,
    },
    ("/decisions/{decision}/done", None): {
        **COORDINATORS,
        "coordinator": 302,
        "admin": 302,
        "owner": 302,
    },
    ("/groups/ldh-clamart/meetings/new", None): {**COORDINATORS, "coordinator": 400, "admin": 400},
    ("/meetings/{past}/minutes", None): {**COORDINATORS, "coordinator": 400, "admin": 400},
}


def _client(app, world, who):
    client = app.test_client()
    if world["people"][who] is not None:
        login_as(client, world["people"][who])
    return client


@pytest.mark.parametrize("who", ROLES)
def test_every_meeting_page_answers_each_role_as_it_should(app, world, who):
    client = _client(app, world, who)
    ids = {k: v for k, v in world.items() if k != "people"}
    wrong = []
    for template, expected in GETS.items():
        url = template.format(**ids)
        response = client.get(url)
        if response.status_code != expected[who]:
            wrong.append(f"GET {url}: {response.status_code}, expected {expected[who]}")
        elif response.status_code == 302:
            assert response.headers["Location"].startswith("/auth/login?next="), url
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("who", ROLES)
def test_every_meeting_action_answers_each_role_as_it_should(app, world, who):
    ids = {k: v for k, v in world.items() if k != "people"}
    wrong = []
    for (template, status), expected in POSTS.items():
        client = _client(app, world, who)
        token = csrf_token(client, "/auth/login" if who == "visitor" else "/account/")
        data = {"csrf_token": token}
        if status:
            data["status"] = status
        url = template.format(**ids)
        response = client.post(url, data=data)
        if response.status_code != expected[who]:
            wrong.append(f"POST {url}: {response.status_code}, expected {expected[who]}")
        elif who == "visitor" and response.status_code == 302:
            assert response.headers["Location"].startswith("/auth/login?next="), url
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("who", ROLES)
def test_the_query_criterion_agrees_with_the_rule(app, db, world, who):
    user = world["people"][who]
    rows = db.session.scalars(select(Meeting)).all()
    listed = set(db.session.scalars(select(Meeting.id).where(*visible_meetings(user))))
    assert listed == {m.id for m in rows if can("meeting.view", m, user=user)}
    assert (world["private"] in listed) is (who in ("member", "owner", "coordinator", "admin"))
