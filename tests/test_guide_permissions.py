"""Who may do what with the guide, role by role, through the real pages; and the
proposals' query criteria agree with the rule, row by row."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.db import utcnow
from forum.groups.models import Role
from forum.guide import services
from forum.guide.models import Proposal
from forum.guide.rules import visible_proposals
from forum.permissions import can
from tests.conftest import login_as, post_form
from tests.factories import add_member, make_commune, make_group, make_user

ROLES = (
    "visitor",
    "unverified",
    "suspended",
    "outsider",
    "member",
    "proposer",
    "coordinator",
    "coordinator_elsewhere",
    "coordinator_archived",
    "admin",
)
ENTRY = {"kind": "food", "name": "Épicerie solidaire", "phone": "01 46 12 34 56"}


@pytest.fixture
def world(db):
    clamart, meudon = make_commune("92023", "Clamart"), make_commune("92048", "Meudon")
    group = make_group("ldh-clamart", commune=clamart)
    archived = make_group("ancien-clamart", commune=clamart)
    archived.archived_at = utcnow()
    elsewhere = make_group("solidarite-meudon", commune=meudon)
    people = {
        "visitor": None,
        "unverified": make_user(verified=False),
        "suspended": make_user(suspended=True),
        "outsider": make_user(),
        "member": make_user(),
        "proposer": make_user(),
        "coordinator": make_user(),
        "coordinator_elsewhere": make_user(),
        "coordinator_archived": make_user(),
        "admin": make_user(admin=True),
    }
    for who in ("suspended", "member", "proposer"):
        add_member(people[who], group)
    add_member(people["coordinator"], group, Role.COORDINATOR)
    add_member(people["coordinator_elsewhere"], elsewhere, Role.COORDINATOR)
    add_member(people["coordinator_archived"], archived, Role.COORDINATOR)
    entry = services.accept(
        people["coordinator"], services.propose_new(people["proposer"], clamart, ENTRY)
    )
    pending = services.propose_edit(people["proposer"], entry, {**ENTRY, "name": "Épicerie"})
    elsewhere_proposal = services.propose_new(people["member"], meudon, ENTRY)
    db.session.commit()
    return {
        "people": people,
        "entry": entry.id,
        "pending": pending.id,
        "meudon_proposal": elsewhere_proposal.id,
    }


EVERYONE = dict.fromkeys(ROLES, 200)
MEMBERS = {**EVERYONE, "visitor": 302, "unverified": 403, "suspended": 403}
REVIEWERS = {**dict.fromkeys(ROLES, 404), "visitor": 302, "coordinator": 200, "admin": 200}
MATRIX = {
    "/communes/92023/guide": EVERYONE,
    "/communes/92023/guide/print": EVERYONE,
    "/communes/92023/guide.csv": EVERYONE,
    "/communes/92023/guide.ods": EVERYONE,
    "/communes/92023/guide/history": EVERYONE,
    "/communes/92023/guide/propose": MEMBERS,
    "/guide/entries/{entry}/edit": MEMBERS,
    "/guide/entries/{entry}/remove": MEMBERS,
    "/communes/92023/guide/proposals": REVIEWERS,
    "/guide/proposals/{pending}": {**REVIEWERS, "proposer": 200},
    "/guide/proposals/{meudon_proposal}": {
        **dict.fromkeys(ROLES, 404),
        "visitor": 302,
        "member": 200,
        "coordinator_elsewhere": 200,
        "admin": 200,
    },
    "/communes/99999/guide": dict.fromkeys(ROLES, 404),
    "/guide/entries/999/edit": dict.fromkeys(ROLES, 404),
}


@pytest.mark.parametrize("who", ROLES)
def test_every_guide_page_answers_each_role_as_it_should(app, world, who):
    client = app.test_client()
    if world["people"][who] is not None:
        login_as(client, world["people"][who])
    wrong = []
    for template, expected in MATRIX.items():
        url = template.format(**world)
        status = client.get(url).status_code
        if status != expected[who]:
            wrong.append(f"{url}: {status}, expected {expected[who]}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("who", ROLES)
def test_only_the_communes_reviewers_decide(app, db, world, who):
    client = app.test_client()
    if world["people"][who] is not None:
        login_as(client, world["people"][who])
    url = f"/guide/proposals/{world['pending']}/accept"
    token_page = "/communes/92023/guide/propose" if who != "visitor" else "/auth/login"
    if who in ("unverified", "suspended"):
        token_page = "/communes/92023/guide"
    response = post_form(client, url, {}, form_url=token_page)
    expected = {"visitor": 302, "coordinator": 303, "admin": 303, "proposer": 403}.get(who, 404)
    assert response.status_code == expected
    db.session.expire_all()
    status = db.session.get(Proposal, world["pending"]).status
    assert status == ("accepted" if expected == 303 else "pending")


@pytest.mark.parametrize("who", ROLES)
def test_query_criteria_agree_with_the_rule(app, db, world, who):
    user = world["people"][who]
    with app.test_request_context():
        listed = set(db.session.scalars(select(Proposal.id).where(*visible_proposals(user))))
        allowed = {
            p.id
            for p in db.session.scalars(select(Proposal))
            if can("guide.view_proposal", p, user=user)
        }
    assert listed == allowed, who
