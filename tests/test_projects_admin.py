"""Creating and editing projects: site admins under /admin/projects, the coordinators of a
taking-part group on /projects/<slug>/edit (text and forms of help only); bad input kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.audit.models import AuditEntry
from forum.groups.models import Role
from forum.projects import figures
from forum.projects.models import HelpKind, PledgeHelp, Project
from tests.conftest import login_as, post_form
from tests.factories import (
    add_member,
    make_commune,
    make_group,
    make_pledge,
    make_project,
    make_thread,
    make_user,
)

ROLES = ("visitor", "member", "coordinator", "coordinator_elsewhere", "admin")
SIGN_IN = 302


@pytest.fixture
def world(db):
    clamart = make_group("ldh-clamart", name="Section LDH", commune=make_commune())
    archived = make_group("ancien-collectif", name="Ancien collectif")
    outside = make_group("saclay-citoyens", commune=make_commune("91534", "Saclay"))
    people = {
        "visitor": None,
        "member": make_user(name="Marie"),
        "coordinator": make_user(name="Claire"),
        "coordinator_elsewhere": make_user(name="Sacha"),
        "admin": make_user(admin=True),
        "archived_coordinator": make_user(name="Ariane"),
    }
    add_member(people["member"], clamart)
    add_member(people["coordinator"], clamart, Role.COORDINATOR)
    add_member(people["coordinator_elsewhere"], outside, Role.COORDINATOR)
    add_member(people["archived_coordinator"], archived, Role.COORDINATOR)
    project = make_project("un-toit", groups_taking_part=[clamart, archived])
    from forum.db import utcnow

    archived.archived_at = utcnow()
    pledge = make_pledge(make_user(), project, help_kinds=["transport", "school"])
    db.session.commit()
    return {"people": people, "project": project, "pledge": pledge, "clamart": clamart}


ADMIN_ONLY = {**dict.fromkeys(ROLES, 404), "visitor": SIGN_IN, "admin": 200}
EDITORS = {
    "visitor": SIGN_IN,
    "member": 404,
    "coordinator": 200,
    "coordinator_elsewhere": 404,
    "admin": 200,
}
MATRIX = {
    "/admin/projects": ADMIN_ONLY,
    "/admin/projects/new": ADMIN_ONLY,
    "/admin/projects/un-toit/edit": ADMIN_ONLY,
    "/admin/projects/nowhere/edit": {**ADMIN_ONLY, "admin": 404},
    "/projects/un-toit/edit": EDITORS,
    "/projects/nowhere/edit": dict.fromkeys(ROLES, 404),
}


@pytest.mark.parametrize("who", ROLES)
def test_every_editing_page_answers_each_role_as_it_should(app, world, who):
    client = app.test_client()
    if who != "visitor":
        login_as(client, world["people"][who])
    for url, expected in MATRIX.items():
        response = client.get(url)
        assert response.status_code == expected[who], (url, who, response.status_code)


def test_a_coordinator_of_an_archived_group_edits_nothing(app, world):
    client = app.test_client()
    login_as(client, world["people"]["archived_coordinator"])
    assert client.get("/projects/un-toit/edit").status_code == 404


def new_project_form(**changes) -> dict:
    data = {
        "title": "Écoles ouvertes",
        "slug": "",
        "goal": "scolariser 20 enfants",
        "description": "Nous **accompagnons**.<script>alert(1)</script>",
        "status": "open",
        "starts_on": "2027-01-10",
        "ends_on": "2027-06-30",
        "target_participants": "30",
        "news_thread": "",
        "help_kinds-0-kind_id": "",
        "help_kinds-0-label": "Aide aux devoirs",
        "help_kinds-1-kind_id": "",
        "help_kinds-1-label": "Transport à l'école",
        "help_kinds-2-kind_id": "",
        "help_kinds-2-label": "",
    }
    data.update(changes)
    return data


def test_an_admin_creates_a_project_through_the_form(app, db, world):
    client = app.test_client()
    login_as(client, world["people"]["admin"])
    news = make_thread(world["people"]["coordinator"], world["clamart"], title="Nouvelles")
    db.session.commit()
    form = new_project_form(groups=str(world["clamart"].id), news_thread=str(news.id))
    response = post_form(client, "/admin/projects/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    project = db.session.scalar(select(Project).where(Project.slug == "ecoles-ouvertes"))
    assert project.goal == "scolariser 20 enfants" and project.target_participants == 30
    assert "<strong>accompagnons</strong>" in project.description_html
    assert "<script" not in project.description_html
    assert [(k.key, k.label) for k in project.help_kinds] == [
        ("aide-aux-devoirs", "Aide aux devoirs"),
        ("transport-a-l-ecole", "Transport à l'école"),
    ]
    assert [g.slug for g in project.groups] == ["ldh-clamart"]
    assert project.news_thread_id == news.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "project.create"))
    assert entry.target_id == project.id and entry.group_id == world["clamart"].id
    assert "a créé un projet" in client.get("/admin/audit").get_data(as_text=True)
    page = client.get("/projects/ecoles-ouvertes/").get_data(as_text=True)
    assert "scolariser 20 enfants" in page and "Aide aux devoirs" in page
    assert "Écoles ouvertes" in client.get("/admin/projects").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_on": "2026-12-31"}, "Le projet doit finir le jour de son début ou après."),
        ({"slug": "un-toit"}, "Un autre projet a déjà cette adresse."),
        ({"help_kinds-0-label": "", "help_kinds-1-label": ""}, "au moins une forme d’aide"),
        ({"help_kinds-1-label": "aide aux devoirs"}, "Deux formes d’aide ont le même nom"),
        ({"target_participants": "beaucoup"}, "entre 0 et 100000"),
        ({"news_thread": "999999"}, "Aucune discussion ne porte ce numéro."),
        ({"title": ""}, "Ce champ est requis."),
    ],
)
def test_bad_input_comes_back_with_a_message_and_what_was_typed(app, world, changes, message):
    client = app.test_client()
    login_as(client, world["people"]["admin"])
    response = post_form(client, "/admin/projects/new", new_project_form(**changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page, page[:3000]
    assert "scolariser 20 enfants" in page  # what was typed stays
    assert "Nous **accompagnons**." in page


def test_renaming_and_retiring_keep_the_pledges_that_chose_them(app, db, world):
    project, pledge = world["project"], world["pledge"]
    kinds = {k.key: k for k in project.help_kinds}
    client = app.test_client()
    login_as(client, world["people"]["coordinator"])
    form = {"goal": "reloger 16 familles", "description": "Un *toit*."}
    for n, kind in enumerate(project.help_kinds):
        form[f"help_kinds-{n}-kind_id"] = str(kind.id)
        form[f"help_kinds-{n}-label"] = kind.label
    transport = list(kinds).index("transport")
    school = list(kinds).index("school")
    form[f"help_kinds-{transport}-label"] = "Covoiturage"
    form[f"help_kinds-{school}-retired"] = "y"
    form["help_kinds-9-kind_id"] = ""
    form["help_kinds-9-label"] = "Cuisine"
    form["title"] = "Titre changé par un coordinateur"  # not theirs: ignored
    response = post_form(client, "/projects/un-toit/edit", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert project.goal == "reloger 16 familles" and project.title == "Un toit pour quinze familles"
    assert "<em>toit</em>" in project.description_html
    by_key = {k.key: k for k in project.help_kinds}
    assert by_key["transport"].label == "Covoiturage"
    assert by_key["school"].is_retired and by_key["cuisine"].label == "Cuisine"
    # The pledge keeps both; the totals still show the retired one that counts.
    held = set(
        db.session.scalars(select(PledgeHelp.help_kind_id).where(PledgeHelp.pledge_id == pledge.id))
    )
    assert held == {by_key["transport"].id, by_key["school"].id}
    shown = {k.key: k.count for k in figures.project_figures(project).by_kind}
    assert shown["school"] == 1 and shown["transport"] == 1 and "cuisine" in shown
    # A new pledger is not offered it; the pledger who chose it still is.
    newcomer = app.test_client()
    login_as(newcomer, world["people"]["member"])
    page = newcomer.get("/projects/un-toit/pledge").get_data(as_text=True)
    assert 'value="school"' not in page and "Covoiturage" in page and "Cuisine" in page
    pledger = app.test_client()
    login_as(pledger, pledge.user)
    assert 'value="school"' in pledger.get("/projects/un-toit/pledge").get_data(as_text=True)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "project.edit"))
    assert entry.detail == "goal,text,kinds"
    assert entry.actor_id == world["people"]["coordinator"].id


def test_a_retired_form_of_help_cannot_be_chosen_anew(app, db, world):
    from forum.projects import services

    project = world["project"]
    school = next(k for k in project.help_kinds if k.key == "school")
    from forum.db import utcnow

    school.retired_at = utcnow()
    db.session.commit()
    with pytest.raises(services.PledgeError):
        make_pledge(make_user(), project, help_kinds=["school"])
    db.session.rollback()


def test_an_admin_edits_status_dates_groups_and_the_edit_is_audited(app, db, world):
    project = world["project"]
    client = app.test_client()
    login_as(client, world["people"]["admin"])
    page = client.get("/admin/projects/un-toit/edit").get_data(as_text=True)
    assert 'value="reloger 15 familles"' in page and "Transport" in page
    form = {
        "title": "Un toit, enfin",
        "slug": "un-toit",
        "goal": project.goal,
        "description": project.description,
        "status": "closed",
        "starts_on": "2027-01-01",
        "ends_on": "",
        "target_participants": "25",
        "groups": [str(world["clamart"].id)],
        "news_thread": "",
    }
    for n, kind in enumerate(project.help_kinds):
        form[f"help_kinds-{n}-kind_id"] = str(kind.id)
        form[f"help_kinds-{n}-label"] = kind.label
    response = post_form(client, "/admin/projects/un-toit/edit", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert (project.title, project.status, project.target_participants) == (
        "Un toit, enfin",
        "closed",
        25,
    )
    assert [g.slug for g in project.groups] == ["ldh-clamart"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "project.edit"))
    assert entry.detail == "title,status,dates,target,groups"
    assert db.session.scalar(select(HelpKind.id).where(HelpKind.retired_at.is_not(None))) is None


def test_the_editing_rule_for_each_kind_of_coordinator(app, db, world):
    from forum.db import utcnow
    from forum.permissions import can

    project = world["project"]
    people = world["people"]
    assert can("project.edit_text", project, user=people["coordinator"])
    assert can("project.edit_text", project, user=people["admin"])
    # They see the pledges (the archived group takes part) but edit nothing: read-only.
    assert can("project.see_pledges", project, user=people["archived_coordinator"])
    assert not can("project.edit_text", project, user=people["archived_coordinator"])
    people["coordinator"].suspended_at = utcnow()
    assert not can("project.edit_text", project, user=people["coordinator"])
    assert not can("project.edit_text", project, user=people["member"])
    db.session.rollback()
