"""The solidarity guide: members propose, the commune's coordinators accept or refuse, the
proposer is told, every change is kept; entries not checked for months are marked; the
guide prints and exports for the town hall; the commune page sums it up."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from forum.audit.models import AuditEntry
from forum.db import utcnow
from forum.groups.models import Role
from forum.guide import services
from forum.guide.models import Change, Proposal, Resource
from forum.guide.services import GuideError
from forum.mail import OutboxMail, send_due
from forum.notifications.models import Notification
from tests.conftest import login_as, post_form
from tests.factories import add_member, make_commune, make_group, make_user

ENTRY = {
    "kind": "food",
    "name": "Épicerie solidaire",
    "address": "12 rue de l'Église",
    "opening_hours": "Mardi 9 h – 12 h\nVendredi 14 h – 17 h",
    "phone": "01.46.12.34.56",
    "languages": "français, roumain",
    "conditions": "Sur orientation d'un travailleur social.",
}


@pytest.fixture
def world(db):
    clamart = make_commune("92023", "Clamart")
    meudon = make_commune("92048", "Meudon")
    ldh = make_group("ldh-clamart", name="Section LDH de Clamart", commune=clamart)
    other = make_group("solidarite-meudon", commune=meudon)
    claire = make_user("claire@example.org", name="Claire")
    karim = make_user("karim@example.org", name="Karim")
    odile = make_user("odile@example.org", name="Odile")
    add_member(claire, ldh, Role.COORDINATOR)
    add_member(karim, ldh, Role.MEMBER)
    add_member(odile, other, Role.COORDINATOR)
    db.session.commit()
    return {"clamart": clamart, "ldh": ldh, "claire": claire, "karim": karim, "odile": odile}


def test_a_member_proposes_and_a_coordinator_accepts_through_the_forms(app, db, world):
    karim, claire = world["karim"], world["claire"]
    member = app.test_client()
    login_as(member, karim)
    data = {**ENTRY, "note": "Vu sur place."}
    response = post_form(member, "/communes/92023/guide/propose", data)
    assert response.status_code == 303
    page = member.get(response.headers["Location"]).get_data(as_text=True)
    assert "coordinateurs des groupes de la commune vont lire votre proposition" in page
    assert "Épicerie solidaire" not in page.split("<main")[1].split("Vos propositions")[0]
    (proposal,) = db.session.scalars(select(Proposal)).all()
    assert proposal.status == "pending" and proposal.changes["phone"] == "01 46 12 34 56"
    # The coordinator hears of it (in the list; by mail in the digest).
    assert db.session.scalar(
        select(Notification.kind).where(Notification.user_id == claire.id)
    ) == ("guide_proposed")

    coordinator = app.test_client()
    login_as(coordinator, claire)
    queue = coordinator.get("/communes/92023/guide/proposals").get_data(as_text=True)
    assert "Nouvelle fiche : Épicerie solidaire" in queue and "Vu sur place." in queue
    response = post_form(
        coordinator,
        f"/guide/proposals/{proposal.id}/accept",
        {},
        form_url="/communes/92023/guide/proposals",
    )
    assert response.status_code == 303
    guide = member.get("/communes/92023/guide").get_data(as_text=True)
    assert "Épicerie solidaire" in guide and 'href="tel:0146123456"' in guide
    assert "Mardi 9 h – 12 h\nVendredi 14 h – 17 h" in guide
    assert "par Karim" in guide  # checked by whoever brought the information
    # Karim is told, at once (his mail choice is "immediate" in the factories).
    db.session.expire_all()
    told = db.session.scalar(select(Notification).where(Notification.user_id == karim.id))
    assert told.kind == "guide_accepted"
    mail = db.session.scalar(select(OutboxMail).where(OutboxMail.recipient == karim.email))
    assert mail.subject.endswith("Votre proposition pour le guide de Clamart est acceptée")
    # The decision is in the group's audit log, and the change in the history.
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "guide.accept"))
    assert entry.actor_id == claire.id and entry.group_id == world["ldh"].id
    log = coordinator.get("/groups/ldh-clamart/audit").get_data(as_text=True)
    assert "a accepté une proposition pour le guide solidarité" in log
    history = member.get("/communes/92023/guide/history").get_data(as_text=True)
    assert "Épicerie solidaire</strong> ajouté" in history and "par Claire" in history
    assert "proposé par Karim" in history


def test_a_refusal_tells_the_proposer_why_by_mail(make_app, smtp):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_TIMEOUT=2)
    with app.app_context():
        from forum.extensions import db

        clamart = make_commune("92023", "Clamart")
        group = make_group("ldh-clamart", commune=clamart)
        claire, karim = make_user(name="Claire"), make_user("karim@example.org", name="Karim")
        add_member(claire, group, Role.COORDINATOR)
        proposal = services.propose_new(karim, clamart, ENTRY)
        db.session.commit()
        client = app.test_client()
        login_as(client, claire)
        response = post_form(
            client,
            f"/guide/proposals/{proposal.id}/refuse",
            {"reason": "Nous avons appelé : l'épicerie a fermé."},
            form_url=f"/guide/proposals/{proposal.id}",
        )
        assert response.status_code == 303
        send_due()
        (mail,) = smtp.to("karim@example.org")
        subject = " ".join(mail["Subject"].split())  # unfolded
        assert subject == (
            "[Toits solidaires] Votre proposition pour le guide de Clamart est refusée"
        )
        text = smtp.text(mail)
        assert "l'épicerie a fermé" in text and f"/guide/proposals/{proposal.id}" in text
        assert db.session.scalar(select(Resource.id)) is None  # nothing entered the guide
        audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "guide.refuse"))
        assert audit.detail == "create" and "fermé" not in (audit.detail or "")
        # Karim reads the decision and the reason on the proposal's page.
        mine = app.test_client()
        login_as(mine, karim)
        page = mine.get(f"/guide/proposals/{proposal.id}").get_data(as_text=True)
        assert "Refusée" in page and "l&#39;épicerie a fermé" in page
        assert "Accepter" not in page  # the proposer never decides


def test_an_edit_keeps_only_what_changed_and_the_history_says_old_and_new(app, db, world):
    claire, karim = world["claire"], world["karim"]
    resource = services.accept(claire, services.propose_new(karim, world["clamart"], ENTRY))
    proposal = services.propose_edit(
        karim, resource, {**ENTRY, "phone": "+33 1 46 99 88 77", "languages": "français"}
    )
    assert proposal.changes == {"phone": "01 46 99 88 77", "languages": "français"}
    assert proposal.base == {"phone": "01 46 12 34 56", "languages": "français, roumain"}
    services.accept(claire, proposal)
    db.session.commit()
    assert resource.phone == "01 46 99 88 77"
    change = db.session.scalar(select(Change).where(Change.action == "edited"))
    assert change.diff == {
        "phone": ["01 46 12 34 56", "01 46 99 88 77"],
        "languages": ["français, roumain", "français"],
    }
    client = app.test_client()
    page = client.get("/communes/92023/guide/history").get_data(as_text=True)
    assert "<del>01 46 12 34 56</del> → <ins>01 46 99 88 77</ins>" in page
    with pytest.raises(GuideError):
        services.propose_edit(karim, resource, resource.values())  # nothing differs


def test_an_edit_made_stale_by_another_is_not_applied(app, db, world):
    claire, karim = world["claire"], world["karim"]
    resource = services.accept(claire, services.propose_new(karim, world["clamart"], ENTRY))
    late = services.propose_edit(karim, resource, {**ENTRY, "phone": "01 46 00 00 01"})
    services.propose_edit(claire, resource, {**ENTRY, "phone": "01 46 00 00 02"})  # at once
    with pytest.raises(GuideError) as refused, app.test_request_context():
        services.accept(claire, late)
    with app.test_request_context():
        assert "a changé depuis cette proposition" in str(refused.value.message)
    assert resource.phone == "01 46 00 00 02" and late.status == "pending"


def test_a_removal_hides_the_entry_and_keeps_its_history(app, db, world):
    claire, karim = world["claire"], world["karim"]
    resource = services.accept(claire, services.propose_new(karim, world["clamart"], ENTRY))
    db.session.commit()
    member = app.test_client()
    login_as(member, karim)
    response = post_form(
        member, f"/guide/entries/{resource.id}/remove", {"note": "Fermé depuis mars."}
    )
    assert response.status_code == 303
    proposal = db.session.scalar(select(Proposal).where(Proposal.action == "remove"))
    services.accept(claire, proposal)
    db.session.commit()
    page = member.get("/communes/92023/guide").get_data(as_text=True)
    assert "Épicerie solidaire" not in page
    assert member.get(f"/guide/entries/{resource.id}/edit").status_code == 404
    history = member.get("/communes/92023/guide/history").get_data(as_text=True)
    assert "Épicerie solidaire</strong> retiré" in history


def test_a_decision_is_taken_once(app, db, world):
    claire, karim, odile = world["claire"], world["karim"], world["odile"]
    proposal = services.propose_new(karim, world["clamart"], ENTRY)
    admin = make_user(admin=True)
    services.refuse(claire, proposal, "Doublon.")
    with pytest.raises(GuideError) as refused:
        services.accept(admin, proposal)
    with app.test_request_context():
        assert str(refused.value.message) == "Cette proposition a déjà été tranchée."
    assert db.session.scalar(select(Resource.id)) is None
    assert odile.id not in services.reviewer_ids(world["clamart"])


def test_a_double_submit_makes_one_proposal(db, world):
    karim = world["karim"]
    first = services.propose_new(karim, world["clamart"], ENTRY)
    again = services.propose_new(karim, world["clamart"], ENTRY)
    assert first.id == again.id


def test_a_coordinators_own_change_is_in_the_guide_at_once(app, db, world):
    claire = world["claire"]
    client = app.test_client()
    login_as(client, claire)
    response = post_form(client, "/communes/92023/guide/propose", ENTRY)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Votre modification est dans le guide." in page and "Épicerie solidaire" in page
    assert db.session.scalar(select(Proposal.status)) == "accepted"


def test_entries_not_checked_for_six_months_are_marked_until_checked(app, db, world):
    claire, karim = world["claire"], world["karim"]
    old = services.accept(claire, services.propose_new(karim, world["clamart"], ENTRY))
    old.checked_at = utcnow() - timedelta(days=190)
    fresh = services.accept(
        claire, services.propose_new(karim, world["clamart"], {**ENTRY, "name": "Douches"})
    )
    db.session.commit()
    client = app.test_client()
    page = client.get("/communes/92023/guide").get_data(as_text=True)
    assert page.count("Non vérifié depuis 6 mois") == 1
    assert f'id="entry-{old.id}"' in page and "stale" in page.split(f'id="entry-{old.id}"')[0][-80:]
    assert "stale" not in page.split(f'id="entry-{fresh.id}"')[0][-80:]
    summary = client.get("/communes/92023/").get_data(as_text=True)
    assert "2 services répertoriés" in summary and "1 à vérifier" in summary

    login_as(client, claire)
    response = post_form(
        client, f"/guide/entries/{old.id}/check", {}, form_url="/communes/92023/guide"
    )
    assert response.status_code == 303
    page = client.get("/communes/92023/guide").get_data(as_text=True)
    assert "Non vérifié depuis" not in page and "par Claire" in page
    assert db.session.scalar(select(Change.action).order_by(Change.id.desc())) == "checked"


def test_the_export_opens_in_a_spreadsheet_and_guards_against_formulas(app, db, world, tmp_path):
    claire, karim = world["claire"], world["karim"]
    services.accept(claire, services.propose_new(karim, world["clamart"], ENTRY))
    services.accept(
        claire,
        services.propose_new(
            karim, world["clamart"], {"kind": "health", "name": '=HYPERLINK("x")'}
        ),
    )
    db.session.commit()
    client = app.test_client()
    response = client.get("/communes/92023/guide.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Type de service", "Nom", "Adresse"]
    assert rows[1][:2] == ["Aide alimentaire", "Épicerie solidaire"]
    assert rows[1][4] == "01 46 12 34 56"
    assert rows[2][1] == '\'=HYPERLINK("x")'  # shown as typed, never run

    from odfdo import Document

    response = client.get("/communes/92023/guide.ods")
    assert response.mimetype == "application/vnd.oasis.opendocument.spreadsheet"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.namelist()[0] == "mimetype"
    assert archive.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
    path = tmp_path / "guide.ods"
    with open(path, "wb") as fh:
        fh.write(response.data)
    table = Document(path).body.get_table(0)
    assert table.name == "Clamart"
    values = table.get_values()
    assert values[0][1] == "Nom" and values[1][1] == "Épicerie solidaire"
    assert values[1][3] == "Mardi 9 h – 12 h\nVendredi 14 h – 17 h"
    assert values[2][1] == '=HYPERLINK("x")'  # a text cell: no formula in an ODS string
    assert "table:formula" not in archive.read("content.xml").decode()


def test_the_print_page_has_no_navigation_and_its_own_stylesheet(app, db, world):
    services.accept(world["claire"], services.propose_new(world["karim"], world["clamart"], ENTRY))
    db.session.commit()
    page = app.test_client().get("/communes/92023/guide/print").get_data(as_text=True)
    assert "guide-print.css" in page and "site.css" not in page
    assert "<nav" not in page and "<header" not in page and "<form" not in page
    assert "Épicerie solidaire" in page and "01 46 12 34 56" in page


def test_the_account_export_and_erasure(app, db, world):
    claire, karim = world["claire"], world["karim"]
    accepted = services.propose_new(karim, world["clamart"], ENTRY, "Vu au marché.")
    services.accept(claire, accepted)
    waiting = services.propose_new(karim, world["clamart"], {**ENTRY, "name": "Douches"}, "Secret")
    db.session.commit()
    waiting_id, accepted_id = waiting.id, accepted.id
    client = app.test_client()
    login_as(client, karim)
    data = client.get("/account/export.json").get_json()
    assert [p["status"] for p in data["guide_proposals"]] == ["accepted", "pending"]
    assert data["guide_proposals"][0]["note"] == "Vu au marché."
    assert data["guide_changes"][0]["proposed_by_you"] is True

    from forum.accounts.services import delete_account
    from tests.factories import PASSWORD

    assert delete_account(karim, PASSWORD)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Proposal, waiting_id) is None
    assert db.session.get(Proposal, accepted_id).note == ""
    # The service stays in the guide, checked by "compte supprimé".
    page = app.test_client().get("/communes/92023/guide").get_data(as_text=True)
    assert "Épicerie solidaire" in page and "compte supprimé" in page


def test_the_demo_loads_guides_from_the_sources_only_once(app, db, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert runner.invoke(args=["demo"]).exit_code == 0  # idempotent
    entries = db.session.scalars(select(Resource)).all()
    by_commune = {}
    for e in entries:
        by_commune.setdefault(e.commune.insee, []).append(e.name)
    assert sorted(by_commune) == ["92019", "92023", "92048"]  # Vélizy, Saclay: nothing known
    assert len(by_commune["92023"]) == 4
    # The sources give no address, phone or hours: none is invented.
    assert {(e.address, e.phone, e.opening_hours) for e in entries} == {("", "", "")}
    shelter = next(e for e in entries if e.kind == "shelter")
    assert "310 places" in shelter.conditions and "31/12/2024" in shelter.conditions
    (pending,) = db.session.scalars(select(Proposal).where(Proposal.status == "pending")).all()
    assert pending.changes["name"] == "Collectif Citoyens Fraternels 92"
    page = app.test_client().get("/communes/92023/guide").get_data(as_text=True)
    assert "Non vérifié depuis 6 mois" in page  # the entries checked in March 2026


def test_reviewers_read_a_new_proposal_in_their_daily_digest(app, db):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from forum.notifications.digest import send_digests

    clamart = make_commune("92023", "Clamart")
    group = make_group("ldh-clamart", commune=clamart)
    claire = make_user("claire@example.org", name="Claire", notify="default")
    add_member(claire, group, Role.COORDINATOR)
    services.propose_new(make_user(name="Karim"), clamart, ENTRY)
    db.session.commit()
    assert db.session.scalar(select(OutboxMail.id)) is None  # not mailed at once
    tomorrow = utcnow().astimezone(ZoneInfo("Europe/Paris")).date() + timedelta(days=1)
    run = send_digests(datetime(tomorrow.year, tomorrow.month, tomorrow.day, 8, tzinfo=UTC))
    assert run.sent == 1
    (mail,) = db.session.scalars(select(OutboxMail)).all()
    assert mail.recipient == "claire@example.org" and mail.template == "digest"
    body = mail.body_text
    assert "Proposé pour le guide solidarité de Clamart" in body
    assert "Épicerie solidaire" in body and "/guide/proposals/" in body
