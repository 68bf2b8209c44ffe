"""The contact log's pages and rules: households with consent, contacts and failed
attempts, overdue lists, needs, phases, hand-over, matching with pledgers, export, erasure,
retention; bad input gets clear messages and saves nothing."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from forum.contactlog import casework, listing, services
from forum.contactlog.models import Contact, Handover, Household, Need
from forum.groups.models import Role
from forum.mail import OutboxMail
from tests.conftest import csrf_token, login_as
from tests.factories import (
    add_member,
    log_contact,
    make_group,
    make_household,
    make_pledge,
    make_project,
    make_user,
)


@pytest.fixture
def team(db):
    group = make_group("ldh-clamart")
    keeper = make_user(name="Kenza Gardienne")
    coordinator = make_user(name="Claire Coordinatrice")
    add_member(keeper, group, Role.KEEPER)
    add_member(coordinator, group, Role.COORDINATOR)
    db.session.commit()
    return {"group": group, "keeper": keeper, "coordinator": coordinator}


def _post(client, url, data, form_url=None):
    token = csrf_token(client, form_url or url)
    return client.post(url, data={"csrf_token": token, **data})


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


NEW = "/groups/ldh-clamart/households/new"


def _household_data(**extra):
    return {
        "pseudonym": "Famille Lilas",
        "adults": "2",
        "children": "3",
        "children_in_school": "1",
        "languages": "romani, roumain",
        "living": "camp",
        "consent": "y",
        "consent_on": services.today().isoformat(),
        "consent_how": "interpreter",
        **extra,
    }


def test_a_keeper_records_a_household_with_consent(app, db, client, team):
    login_as(client, team["keeper"])
    response = _post(client, NEW, _household_data())
    assert response.status_code == 303
    household = db.session.scalar(select(Household))
    assert response.headers["Location"] == f"/households/{household.public_id}"
    assert len(household.public_id) == 16 and str(household.id) != household.public_id
    assert household.consent_by_id == team["keeper"].id
    assert [u.id for u in household.referents] == [team["keeper"].id]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Famille Lilas" in page and "interprète" in page


@pytest.mark.parametrize(
    "change, message",
    [
        ({"consent": ""}, "Sans le consentement de la famille, rien n’est enregistré"),
        ({"consent_on": ""}, "Indiquez une date"),
        ({"consent_how": ""}, "Dites comment le consentement a été donné"),
        ({"pseudonym": ""}, ""),
        ({"children_in_school": "5"}, "ne peuvent pas être plus nombreux"),
    ],
)
def test_without_consent_or_with_bad_facts_nothing_is_saved(app, db, client, team, change, message):
    login_as(client, team["keeper"])
    data = _household_data(**change)
    data = {k: v for k, v in data.items() if v != "" or k == "pseudonym"}
    response = _post(client, NEW, data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="romani, roumain"' in page  # what was typed is kept
    assert _count(db, Household) == 0


def _contact(client, household, **data):
    url = f"/households/{household.public_id}/contacts"
    return _post(client, url, data, form_url=f"/households/{household.public_id}")


def test_contacts_attempts_and_contact_lost(app, db, client, team):
    household = make_household(team["group"], team["keeper"])
    db.session.commit()
    login_as(client, team["keeper"])
    today = services.today()
    response = _contact(
        client,
        household,
        happened_on=(today - timedelta(days=3)).isoformat(),
        channel="visit",
        outcome="reached",
        summary="Rencontre au terrain.",
        needs=["health", "school"],
        agreed="Accompagner à la PMI.",
        next_contact_on=(today + timedelta(days=7)).isoformat(),
    )
    assert response.status_code == 303
    for _n in range(3):
        assert (
            _contact(
                client,
                household,
                happened_on=today.isoformat(),
                channel="phone",
                outcome="no_answer",
            ).status_code
            == 303
        )
    db.session.expire_all()
    household = db.session.get(Household, household.id)
    assert household.failed_attempts == 3 and household.contact_lost
    assert household.last_contact_on == today - timedelta(days=3)
    assert household.contact_count == 1
    assert sorted(n.kind for n in db.session.scalars(select(Need))) == ["health", "school"]
    page = client.get(f"/households/{household.public_id}").get_data(as_text=True)
    assert "Contact perdu" in page and "Rencontre au terrain." in page
    # A contact that reaches the family ends the run of failed attempts.
    _contact(client, household, happened_on=today.isoformat(), channel="visit", outcome="reached")
    db.session.expire_all()
    assert not db.session.get(Household, household.id).contact_lost


@pytest.mark.parametrize(
    "days, next_days, message",
    [
        (-1, None, "Un contact ne peut pas être dans le futur"),
        (2, 0, "Le prochain contact ne peut pas précéder celui-ci"),
    ],
)
def test_bad_contact_dates_are_refused_and_the_text_kept(
    app, db, client, team, days, next_days, message
):
    household = make_household(team["group"], team["keeper"])
    db.session.commit()
    login_as(client, team["keeper"])
    today = services.today()
    data = {
        "happened_on": (today - timedelta(days=days)).isoformat(),
        "channel": "visit",
        "outcome": "reached",
        "summary": "Texte tapé sur le terrain",
    }
    if next_days is not None:
        data["next_contact_on"] = (today - timedelta(days=days + 1)).isoformat()
    response = _contact(client, household, **data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "Texte tapé sur le terrain" in page
    assert _count(db, Contact) == 0


def test_a_public_id_of_another_group_or_unknown_is_404(app, db, client, team):
    other = make_group("meudon")
    other_keeper = make_user()
    add_member(other_keeper, other, Role.KEEPER)
    theirs = make_household(other, other_keeper)
    db.session.commit()
    login_as(client, team["keeper"])
    assert client.get(f"/households/{theirs.public_id}").status_code == 404
    response = client.post(
        f"/households/{theirs.public_id}/contacts",
        data={"csrf_token": csrf_token(client, "/account/"), "happened_on": "2026-01-01"},
    )
    assert response.status_code == 404
    assert client.get("/households/" + "x" * 200).status_code == 404


def test_the_list_puts_overdue_households_first_and_flags_those_without_referent(
    app, db, client, team
):
    group, keeper = team["group"], team["keeper"]
    recent = make_household(group, keeper, pseudonym="Famille Récente")
    log_contact(recent, keeper, days_ago=2)
    late = make_household(group, keeper, pseudonym="Famille Oubliée")
    log_contact(late, keeper, days_ago=40)
    planned = make_household(group, keeper, pseudonym="Famille Attendue")
    log_contact(planned, keeper, days_ago=5, next_in=2)  # due 3 days ago
    orphan = make_household(group, keeper, pseudonym="Famille Seule")
    log_contact(orphan, keeper, days_ago=1)
    casework.reassign(team["coordinator"], orphan, referent_ids=[])
    db.session.commit()
    login_as(client, keeper)
    page = client.get("/groups/ldh-clamart/households/").get_data(as_text=True)
    order = [page.index(n) for n in ("Oubliée", "Attendue", "Récente", "Seule")]
    assert order[0] < order[1] and order[1] < order[2] and order[1] < order[3]
    assert "2 en retard" in page and "1 sans référent" in page
    mine = client.get("/groups/ldh-clamart/households/?mine=1").get_data(as_text=True)
    assert "Famille Seule" not in mine and "Famille Oubliée" in mine
    # The group's threshold decides: at 60 days only the planned one is overdue.
    services.set_overdue_days(team["coordinator"], group, 60)
    db.session.commit()
    assert "1 en retard" in client.get("/groups/ldh-clamart/households/").get_data(as_text=True)


def test_needs_open_then_resolved_and_by_kind(app, db, client, team):
    household = make_household(team["group"], team["keeper"])
    log_contact(household, team["keeper"], needs=["papers", "health"])
    db.session.commit()
    assert dict(listing.open_needs_by_kind(team["group"])) == {"health": 1, "papers": 1}
    need = db.session.scalar(select(Need).where(Need.kind == "papers"))
    login_as(client, team["keeper"])
    url = f"/households/{household.public_id}/needs/{need.id}/resolve"
    assert _post(client, url, {}, form_url=f"/households/{household.public_id}").status_code == 303
    db.session.expire_all()
    assert dict(listing.open_needs_by_kind(team["group"])) == {"health": 1}


def test_phases_make_a_timeline(app, db, client, team):
    household = make_household(team["group"], team["keeper"])
    db.session.commit()
    login_as(client, team["keeper"])
    url = f"/households/{household.public_id}/phases"
    show = f"/households/{household.public_id}"
    for phase, day in (("diagnosis", "2026-03-01"), ("shelter", "2026-06-15")):
        assert _post(client, url, {"phase": phase, "started_on": day}, show).status_code == 303
    page = client.get(show).get_data(as_text=True)
    assert page.index("Diagnostic social") < page.index("Hébergement")
    future = (services.today() + timedelta(days=3)).isoformat()
    response = _post(client, url, {"phase": "housing", "started_on": future}, show)
    assert response.status_code == 400


def test_hand_over_note_is_read_first_by_the_new_referent(app, db, client, team):
    group, keeper = team["group"], team["keeper"]
    newcomer = make_user(name="Nadia Relais")
    add_member(newcomer, group, Role.KEEPER)
    household = make_household(group, keeper)
    db.session.commit()
    login_as(client, team["coordinator"])
    response = _post(
        client,
        f"/households/{household.public_id}/referents",
        {"referents": [str(newcomer.id)], "note": "Appeler le soir, après 18 h."},
        form_url=f"/households/{household.public_id}",
    )
    assert response.status_code == 303, re.findall(
        r'class="error"[^>]*>([^<]*)', response.get_data(as_text=True)
    )
    db.session.expire_all()
    assert [u.id for u in db.session.get(Household, household.id).referents] == [newcomer.id]
    other = app.test_client()
    login_as(other, newcomer)
    page = other.get(f"/households/{household.public_id}").get_data(as_text=True)
    assert page.index("Appeler le soir") < page.index("<h1>")
    handover = db.session.scalar(select(Handover))
    url = f"/households/{household.public_id}/handovers/{handover.id}/read"
    assert _post(other, url, {}, form_url=f"/households/{household.public_id}").status_code == 303
    page = other.get(f"/households/{household.public_id}").get_data(as_text=True)
    assert "Appeler le soir" not in page


def test_a_withdrawn_keeper_is_no_longer_referent(app, db, team):
    from forum.groups import services as groups

    household = make_household(team["group"], team["keeper"])
    groups.set_role(team["keeper"], team["group"], Role.MEMBER, actor=team["coordinator"])
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Household, household.id).referents == []


def test_matching_finds_a_pledger_who_offered_translation_and_writes_through_the_site(
    app, db, client, team
):
    group = team["group"]
    project = make_project(groups_taking_part=[group])
    translator = make_user(name="Ioana Traductrice", email="ioana@example.org")
    make_pledge(translator, project, help_kinds=("translation",), availability=("weekends",))
    make_pledge(make_user(name="Paul Transport"), project, help_kinds=("transport",))
    household = make_household(group, team["keeper"], pseudonym="Famille Glycine")
    log_contact(household, team["keeper"], needs=["health"])
    db.session.commit()
    login_as(client, team["keeper"])
    page = client.get(f"/households/{household.public_id}?match=health").get_data(as_text=True)
    assert "Ioana Traductrice" in page and "le week-end" in page
    assert "Paul Transport" not in page
    assert "ioana@example.org" not in page
    pledge_id = re.search(r'name="pledge_id" value="(\d+)"', page).group(1)
    before = _count(db, OutboxMail)
    response = _post(
        client,
        f"/households/{household.public_id}/helpers",
        {"pledge_id": pledge_id, "need": "health", "body": "Pourriez-vous traduire mardi à 10 h ?"},
        form_url=f"/households/{household.public_id}?match=health",
    )
    assert response.status_code == 303
    mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()[before:]
    assert [m.recipient for m in mails] == ["ioana@example.org"]
    assert "Reply-To" not in (mails[0].headers or {})  # opt-in: see test_contactlog_followups
    assert "Glycine" not in mails[0].body_text + mails[0].subject
    assert "traduire mardi" in mails[0].body_text


def test_export_gives_the_whole_record(app, db, client, team):
    household = make_household(team["group"], team["keeper"], pseudonym="Famille Iris")
    log_contact(household, team["keeper"], summary="Premier échange", needs=["food"])
    db.session.commit()
    login_as(client, team["keeper"])
    response = client.get(f"/households/{household.public_id}/export.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    record = json.loads(response.get_data(as_text=True))
    assert record["pseudonym"] == "Famille Iris"
    assert record["contacts"][0]["summary"] == "Premier échange"
    assert record["needs"][0]["kind"] == "food"
    assert record["consent"]["how"] == "oral"


def test_erasure_needs_a_confirmation_then_removes_everything(app, db, client, team):
    household = make_household(team["group"], team["keeper"])
    log_contact(household, team["keeper"], needs=["food"])
    db.session.commit()
    login_as(client, team["keeper"])
    url = f"/households/{household.public_id}/erase"
    show = f"/households/{household.public_id}"
    assert _post(client, url, {}, show).status_code == 303
    assert _count(db, Household) == 1
    response = _post(client, url, {"confirm": "1"}, show)
    assert response.status_code == 303
    assert response.headers["Location"] == "/groups/ldh-clamart/households/"
    db.session.expire_all()
    assert _count(db, Household) == 0 and _count(db, Contact) == 0 and _count(db, Need) == 0
    assert client.get(show).status_code == 404


def test_purge_erases_households_closed_longer_than_the_retention(app, db, runner, team):
    old = make_household(team["group"], team["keeper"], pseudonym="Famille Ancienne")
    recent = make_household(team["group"], team["keeper"], pseudonym="Famille Proche")
    services.close_household(team["keeper"], old, "housed")
    services.close_household(team["keeper"], recent, "housed")
    db.session.execute(
        update(Household)
        .where(Household.id == old.id)
        .values(closed_at=services.utcnow() - timedelta(days=750))
    )
    db.session.commit()
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "closed households: 1 removed" in result.output
    db.session.expire_all()
    assert [h.id for h in db.session.scalars(select(Household))] == [recent.id]
    assert "closed households: 0 removed" in runner.invoke(args=["purge"]).output


def test_indicators_for_coordinators_and_totals_on_the_project_page(app, db, client, team):
    group, keeper = team["group"], team["keeper"]
    project = make_project(groups_taking_part=[group])
    for n in range(6):
        household = make_household(
            group, keeper, pseudonym=f"Famille {n}", living="hotel" if n < 5 else "housing"
        )
        log_contact(household, keeper)
    db.session.commit()
    figures = listing.indicators([group.id])
    assert (figures.followed, figures.sheltered, figures.housed) == (6, 5, 1)
    assert figures.contacts_month == 6 and figures.contacts_year == 6
    login_as(client, team["coordinator"])
    assert "Indicateurs" in client.get("/groups/ldh-clamart/households/").get_data(as_text=True)
    keeper_client = app.test_client()
    login_as(keeper_client, keeper)
    assert "Indicateurs" not in keeper_client.get("/groups/ldh-clamart/households/").get_data(
        as_text=True
    )
    page = app.test_client().get(f"/projects/{project.slug}/").get_data(as_text=True)
    assert "Le suivi des familles" in page
    assert "moins de 5" in page  # housed: 1, children in school: 0
    assert "Famille 0" not in page


def test_the_consent_sheet_prints_in_three_languages(app, client, team):
    login_as(client, team["keeper"])
    base = "/groups/ldh-clamart/households/consent-sheet"
    assert "Ce que nous notons" in client.get(base).get_data(as_text=True)
    assert "Ce notăm" in client.get(base + "?lang=ro").get_data(as_text=True)
    assert "Какво записваме" in client.get(base + "?lang=bg").get_data(as_text=True)
    assert "24" in client.get(base + "?lang=bg").get_data(as_text=True)


def test_the_demo_has_a_keeper_and_fictional_households_one_overdue(app, db, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert runner.invoke(args=["demo"]).exit_code == 0
    households = db.session.scalars(select(Household)).all()
    assert len(households) == 3
    assert all("(fictive)" in h.pseudonym for h in households)
    group = households[0].group
    page = listing.households_page(group, None, 1)
    assert page.overdue == 1
    assert _count(db, Contact) == 5


def test_bad_input_is_explained_in_the_users_language(app, db, client):
    group = make_group("ldh-clamart")
    keeper = make_user(locale="en")
    add_member(keeper, group, Role.KEEPER)
    household = make_household(group, keeper)
    db.session.commit()
    login_as(client, keeper)
    tomorrow = (services.today() + timedelta(days=1)).isoformat()
    response = _contact(client, household, happened_on=tomorrow, channel="visit")
    assert response.status_code == 400
    assert "A contact cannot be in the future." in response.get_data(as_text=True)
    response = _post(client, NEW, {"pseudonym": "Famille Test", "adults": "1", "children": "0"})
    assert "consent nothing is recorded: tick the box." in response.get_data(as_text=True)
