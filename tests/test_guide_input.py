"""Bad input to the guide's forms: no name, an impossible phone number, oversized text,
control characters. Each is refused with a clear message next to its field, what was
typed comes back, and nothing is stored."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from forum.guide import phones
from forum.guide.models import Proposal, Resource
from tests.conftest import login_as, post_form
from tests.factories import add_member, make_commune, make_group, make_user

GOOD = {
    "kind": "health",
    "name": "Permanence santé",
    "address": "3 place de la Mairie",
    "opening_hours": "Lundi 14 h – 17 h",
    "phone": "01 46 12 34 56",
    "languages": "français, bulgare",
    "conditions": "Sans rendez-vous.",
    "note": "Vu l'affiche à la mairie.",
}


@pytest.fixture
def member(app, db):
    commune = make_commune("92023", "Clamart")
    group = make_group("ldh-clamart", commune=commune)
    user = make_user(name="Karim")
    add_member(user, group)
    db.session.commit()
    client = app.test_client()
    login_as(client, user)
    return client


def refused(client, data: dict) -> str:
    response = post_form(client, "/communes/92023/guide/propose", data)
    assert response.status_code == 400
    return html.unescape(response.get_data(as_text=True))


def nothing_stored(db) -> bool:
    return not db.session.scalar(select(func.count(Proposal.id))) and not db.session.scalar(
        select(func.count(Resource.id))
    )


def test_no_name(member, db):
    page = refused(member, {**GOOD, "name": "   "})
    assert "Donnez le nom du service." in page
    assert 'aria-invalid="true"' in page
    # Everything else typed is still there.
    assert 'value="3 place de la Mairie"' in page and "Lundi 14 h – 17 h" in page
    assert "Vu l'affiche à la mairie." in page and 'value="01 46 12 34 56"' in page
    assert nothing_stored(db)


@pytest.mark.parametrize(
    "number", ["01 23 45", "00 46 12 34 56", "01 46 12 34 56 78", "+44 20 7946 0958", "SOS-AIDE"]
)
def test_an_impossible_phone_number(member, db, number):
    page = refused(member, {**GOOD, "phone": number})
    assert "Ce n'est pas un numéro de téléphone français" in page
    assert f'value="{number}"' in page and 'value="Permanence santé"' in page
    assert nothing_stored(db)


def test_oversized_text(member, db):
    long_name = "N" * 151
    long_conditions = "Conditions. " * 200  # 2,400 characters
    page = refused(member, {**GOOD, "name": long_name, "conditions": long_conditions})
    errors = [e.split("</p>")[0] for e in page.split('class="error"')[1:]]
    assert len(errors) == 2 and "150" in errors[0] and "2000" in errors[1], errors
    assert long_name in page and long_conditions.strip() in page
    assert nothing_stored(db)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Permanence\x1b[31m santé"),
        ("address", "3 place\x08de la Mairie"),
        ("opening_hours", "Lundi\x07 14 h"),
        ("conditions", "Sans\x0b rendez-vous"),
    ],
)
def test_control_characters(member, db, field, value):
    page = refused(member, {**GOOD, field: value})
    assert "caractères de contrôle" in page
    assert 'value="Permanence santé"' in page or field == "name"
    assert nothing_stored(db)


def test_line_breaks_are_text_in_the_long_fields(member, db):
    response = post_form(
        member, "/communes/92023/guide/propose", {**GOOD, "opening_hours": "Lundi\r\nMardi\tmatin"}
    )
    assert response.status_code == 303
    assert db.session.scalar(select(Proposal)).changes["opening_hours"] == "Lundi\r\nMardi\tmatin"


def test_an_unknown_kind_is_refused(member, db):
    page = refused(member, {**GOOD, "kind": "casino"})
    assert "N'est pas un choix valide." in page
    assert nothing_stored(db)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("01 46 12 34 56", "01 46 12 34 56"),
        ("01.46.12.34.56", "01 46 12 34 56"),
        ("0146123456", "01 46 12 34 56"),
        ("+33 1 46 12 34 56", "01 46 12 34 56"),
        ("+33 (0)1 46 12 34 56", "01 46 12 34 56"),
        ("0033 6 12 34 56 78", "06 12 34 56 78"),
        ("+262 692 12 34 56", "06 92 12 34 56"),
        ("115", "115"),
        ("3919", "3919"),
        ("116 000", "116000"),
        ("", ""),
    ],
)
def test_french_numbers_are_stored_one_way(typed, stored):
    assert phones.normalise(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "01 46 12",
        "00 12 34 56 78",
        "10 46 12 34 56",
        "+44 20 7946 0958",
        "+33 1 46",
        "0１46123456",  # a full-width digit
        "12",
    ],
)
def test_impossible_numbers_are_refused(typed):
    with pytest.raises(phones.ImpossibleNumber):
        phones.normalise(typed)


def test_an_oversized_refusal_reason_comes_back_typed(app, db):
    from forum.groups.models import Role
    from forum.guide import services

    commune = make_commune("92023", "Clamart")
    group = make_group("ldh-clamart", commune=commune)
    coordinator, member = make_user(), make_user()
    add_member(coordinator, group, Role.COORDINATOR)
    proposal = services.propose_new(member, commune, GOOD)
    db.session.commit()
    client = app.test_client()
    login_as(client, coordinator)
    reason = "Trop long. " * 60
    url = f"/guide/proposals/{proposal.id}"
    response = post_form(client, f"{url}/refuse", {"reason": reason}, form_url=url)
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert "plus de 500 caractères" in page and reason.strip() in page
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).status == "pending"
