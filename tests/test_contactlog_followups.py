"""The contact log's follow-ups (issue 9): older contacts page by page on the household
page, mails to pledgers that never carry a family's name nor (unless asked) the keeper's
address, and hand-overs that name every referent they come from."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from forum.contactlog import casework, services
from forum.contactlog.matching import folded, names_a_household
from forum.contactlog.models import Contact, Handover
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
    keeper = make_user(name="Kenza Gardienne", email="kenza@example.org")
    coordinator = make_user(name="Claire Coordinatrice")
    add_member(keeper, group, Role.KEEPER)
    add_member(coordinator, group, Role.COORDINATOR)
    db.session.commit()
    return {"group": group, "keeper": keeper, "coordinator": coordinator}


def _post(client, url, data, form_url=None):
    token = csrf_token(client, form_url or url)
    return client.post(url, data={"csrf_token": token, **data})


# --- Older contacts, page by page -------------------------------------------------------


def test_older_contacts_are_on_the_next_pages_of_the_household(app, db, client, team):
    household = make_household(team["group"], team["keeper"], pseudonym="Famille Mimosa")
    today = services.today()
    db.session.execute(
        insert(Contact),
        [
            {
                "household_id": household.id,
                "happened_on": today - timedelta(days=n),
                "channel": "phone",
                "outcome": "reached",
                "summary": f"Appel numéro {n:02d}",
                "agreed": "",
                "author_id": team["keeper"].id,
                "created_at": services.utcnow(),
            }
            for n in range(45)
        ],
    )
    db.session.commit()
    login_as(client, team["keeper"])
    url = f"/households/{household.public_id}"
    first = client.get(url).get_data(as_text=True)
    shown = re.findall(r"Appel numéro (\d\d)", first)
    assert shown == [f"{n:02d}" for n in range(20)]  # the newest first
    assert "(page 1 sur 3)" in first
    assert f'href="{url}?page=2" rel="next"' in first
    last = client.get(url + "?page=3").get_data(as_text=True)
    assert re.findall(r"Appel numéro (\d\d)", last) == [f"{n:02d}" for n in range(40, 45)]
    assert f'href="{url}?page=2" rel="prev"' in last
    # Past the end: the last page; nonsense: the first.
    assert (
        re.findall(r"Appel numéro (\d\d)", client.get(url + "?page=99").get_data(as_text=True))[0]
        == "40"
    )
    assert "Appel numéro 00" in client.get(url + "?page=abc").get_data(as_text=True)


# --- Writing to a pledger ---------------------------------------------------------------


@pytest.fixture
def helper(db, team):
    """A household with an open health need, another household of the group, and a
    translator who pledged to the group's project."""
    project = make_project(groups_taking_part=[team["group"]])
    translator = make_user(name="Ioana Traductrice", email="ioana@example.org")
    make_pledge(translator, project, help_kinds=("translation",))
    household = make_household(team["group"], team["keeper"], pseudonym="Famille Glycine")
    make_household(team["group"], team["keeper"], pseudonym="Famille Éléonore Dragomir")
    log_contact(household, team["keeper"], needs=["health"])
    db.session.commit()
    return household


def _write(client, household, body, **extra):
    page_url = f"/households/{household.public_id}?match=health"
    page = client.get(page_url).get_data(as_text=True)
    pledge_id = re.search(r'name="pledge_id" value="(\d+)"', page).group(1)
    return _post(
        client,
        f"/households/{household.public_id}/helpers",
        {"pledge_id": pledge_id, "need": "health", "body": body, **extra},
        form_url=page_url,
    )


def _mails(db):
    return db.session.scalars(select(OutboxMail).where(OutboxMail.template == "contactlog_helper"))


@pytest.mark.parametrize(
    "body",
    [
        "Pourriez-vous accompagner la famille Glycine mardi ?",  # this household, any case
        "Un rendez-vous pour FAMILLE ELEONORE DRAGOMIR à l'hôpital.",  # another, no accents
        "Pour famille   éléonore\ndragomir, mardi à 10 h ?",  # spaces and lines
    ],
)
def test_a_message_naming_a_family_is_refused_and_comes_back_as_typed(
    app, db, client, team, helper, body
):
    login_as(client, team["keeper"])
    response = _write(client, helper, body, reply_by_email="y")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "ne sortent jamais par e-mail" in page  # the reason, in French
    assert body.replace("'", "&#39;") in page  # what was typed, in its textarea
    assert re.search(r"<details open>\s*<summary>Écrire à Ioana Traductrice", page)
    assert 'id="reply_by_email-' in page and "checked" in page.split('id="reply_by_email-')[0][-80:]
    assert list(_mails(db)) == []


def test_names_are_matched_as_words_and_without_accents(app, db, team, helper):
    assert folded("  Famille  ÉLÉONORE ") == "famille eleonore"
    group_id = team["group"].id
    assert names_a_household(group_id, "voir famille glycine.")
    assert not names_a_household(group_id, "voir la glycine du jardin")
    assert not names_a_household(group_id, "Famille Glycines voisines")  # another word
    assert not names_a_household(make_group("autre").id, "famille glycine")


def test_without_the_box_the_mail_says_how_to_answer_through_the_site(
    app, db, client, team, helper
):
    login_as(client, team["keeper"])
    response = _write(client, helper, "Pourriez-vous traduire mardi à 10 h ?")
    assert response.status_code == 303
    (mail,) = _mails(db)
    assert "Reply-To" not in (mail.headers or {})
    assert "kenza@example.org" not in mail.body_text + (mail.body_html or "")
    assert f"/users/{team['keeper'].username}" in mail.body_text
    assert "/groups/ldh-clamart" in mail.body_text
    assert "Kenza Gardienne" in mail.body_text and "Glycine" not in mail.body_text


def test_with_the_box_the_pledger_can_answer_by_email(app, db, client, team, helper):
    login_as(client, team["keeper"])
    response = _write(client, helper, "Pourriez-vous traduire mardi ?", reply_by_email="y")
    assert response.status_code == 303
    (mail,) = _mails(db)
    assert mail.headers["Reply-To"] == "kenza@example.org"
    assert "Répondez à ce courriel" in mail.body_text
    assert "par le site" not in mail.body_text


def test_the_box_is_off_by_default_and_each_form_labels_its_own_fields(
    app, db, client, team, helper
):
    login_as(client, team["keeper"])
    page = client.get(f"/households/{helper.public_id}?match=health").get_data(as_text=True)
    box = re.search(r'<input[^>]*id="(reply_by_email-\d+)"[^>]*>', page)
    assert box and "checked" not in box.group(0)
    assert f'<label for="{box.group(1)}">' in page
    assert re.search(r'<textarea[^>]*id="body-\d+"', page)


# --- Hand-over from every referent removed ----------------------------------------------


def test_a_hand_over_names_every_referent_it_comes_from(app, db, client, team):
    group = team["group"]
    second = make_user(name="Bruno Bénévole")
    newcomer = make_user(name="Nadia Relais")
    add_member(second, group, Role.KEEPER)
    add_member(newcomer, group, Role.KEEPER)
    household = make_household(group, team["keeper"], pseudonym="Famille Tilleul")
    casework.reassign(team["coordinator"], household, referent_ids=[team["keeper"].id, second.id])
    db.session.commit()
    login_as(client, team["coordinator"])
    url = f"/households/{household.public_id}"
    response = _post(
        client,
        url + "/referents",
        {"referents": [str(newcomer.id)], "note": "Appeler le soir, après 18 h."},
        form_url=url,
    )
    assert response.status_code == 303
    rows = db.session.scalars(
        select(Handover).where(Handover.to_user_id == newcomer.id).order_by(Handover.id)
    ).all()
    # One hand-over per referent removed, from each of them, written together.
    assert sorted(r.from_user_id for r in rows) == sorted([team["keeper"].id, second.id])
    assert len({r.created_at for r in rows}) == 1
    reader = app.test_client()
    login_as(reader, newcomer)
    page = reader.get(url).get_data(as_text=True)
    assert page.count("Appeler le soir") == 1  # one note, naming both
    note = page[: page.index("<h1>")]
    assert "Bruno Bénévole" in note and "Kenza Gardienne" in note
    assert "Claire Coordinatrice" in note
    read = re.search(r'action="([^"]*/handovers/\d+/read)"', page).group(1)
    assert _post(reader, read, {}, form_url=url).status_code == 303
    assert "Appeler le soir" not in reader.get(url).get_data(as_text=True)
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Handover)
            .where(Handover.to_user_id == newcomer.id, Handover.read_at.is_(None))
        )
        == 0
    )
    record = json.loads(reader.get(url + "/export.json").get_data(as_text=True))
    newest = [h for h in record["handovers"] if h["to"] == "Nadia Relais"]
    assert sorted(h["from"] for h in newest) == ["Bruno Bénévole", "Kenza Gardienne"]


def test_a_referent_added_beside_the_others_gets_a_note_from_nobody(app, db, team):
    newcomer = make_user(name="Nadia Relais")
    add_member(newcomer, team["group"], Role.KEEPER)
    household = make_household(team["group"], team["keeper"])
    casework.reassign(team["coordinator"], household, referent_ids=[team["keeper"].id, newcomer.id])
    db.session.commit()
    (row,) = db.session.scalars(select(Handover)).all()
    assert row.to_user_id == newcomer.id and row.from_user_id is None


def test_the_household_page_applies_the_groups_own_threshold(app, db, client, team):
    household = make_household(team["group"], team["keeper"], pseudonym="Famille Iris")
    log_contact(household, team["keeper"], days_ago=10)
    db.session.commit()
    login_as(client, team["keeper"])
    url = f"/households/{household.public_id}"
    assert "En retard" not in client.get(url).get_data(as_text=True)  # 30 days by default
    services.set_overdue_days(team["coordinator"], team["group"], 7)
    db.session.commit()
    assert "En retard" in client.get(url).get_data(as_text=True)
