"""The coordinators' side: the list and its filters, the CSV for a French spreadsheet,
writing to everyone in a filter; the three-monthly check; an account's pledges."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from forum.audit.models import AuditEntry
from forum.extensions import db as _db
from forum.groups.models import Role
from forum.mail import OutboxMail, send_due
from forum.notifications.models import NEVER
from forum.projects import checks, coordination, figures, services
from forum.projects.models import Pledge, PledgeRevision
from tests.conftest import login_as, post_form
from tests.factories import (
    add_member,
    make_commune,
    make_group,
    make_pledge,
    make_project,
    make_user,
)


@pytest.fixture
def setup(db):
    make_commune("92023", "Clamart")
    make_commune("92048", "Meudon")
    group = make_group("ldh-clamart")
    project = make_project("un-toit", groups_taking_part=[group])
    coordinator = make_user("claire@example.org", name="Claire")
    add_member(coordinator, group, Role.COORDINATOR)
    people = {
        "ana": make_pledge(
            make_user("ana@example.org", name="Ana"),
            project,
            help_kinds=["transport"],
            commune="92023",
            availability=["evenings"],
            hours=5,
            message='=HYPERLINK("http://evil.example")',
        ),
        "bo": make_pledge(
            make_user("bo@example.org", name="+Bo"),
            project,
            help_kinds=["translation", "school"],
            commune="92048",
            availability=["weekends"],
            hours=8,
            message="Je parle bulgare ; et roumain",
        ),
        "cy": make_pledge(
            make_user("cy@example.org", name="Cy"),
            project,
            help_kinds=["transport", "school"],
            commune="92048",
            availability=["evenings", "weekdays"],
            hours=2,
        ),
    }
    db.session.commit()
    return {"project": project, "coordinator": coordinator, "pledges": people, "group": group}


def test_coordinators_see_the_pledges_and_filter_them(app, setup):
    client = app.test_client()
    login_as(client, setup["coordinator"])
    page = client.get("/projects/un-toit/pledges").get_data(as_text=True)
    for email in ("ana@example.org", "bo@example.org", "cy@example.org"):
        assert email in page
    assert "Je parle bulgare" in page

    def shown(query):
        text = client.get(f"/projects/un-toit/pledges?{query}").get_data(as_text=True)
        return sorted(re.findall(r"(\w+)@example\.org", text))

    assert shown("help=transport") == ["ana", "cy"]
    assert shown("commune=92048") == ["bo", "cy"]
    assert shown("availability=evenings") == ["ana", "cy"]
    assert shown("help=school&commune=92048&availability=weekends") == ["bo"]
    assert shown("help=unknown") == ["ana", "bo", "cy"]  # an unknown filter filters nothing


def test_the_list_is_paginated(app, db, setup):
    for _ in range(coordination.PLEDGES_PER_PAGE):
        make_pledge(make_user(), setup["project"])
    db.session.commit()
    client = app.test_client()
    login_as(client, setup["coordinator"])
    first = client.get("/projects/un-toit/pledges").get_data(as_text=True)
    assert "ana@example.org" in first and 'rel="next"' in first
    second = client.get("/projects/un-toit/pledges?page=2").get_data(as_text=True)
    assert "ana@example.org" not in second and 'rel="prev"' in second
    assert second.count('class="status-form"') == 3


def read_csv(response):
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:10]  # UTF-8 with a BOM
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_the_csv_opens_cleanly_in_a_french_spreadsheet(app, db, setup):
    client = app.test_client()
    login_as(client, setup["coordinator"])
    response = client.get("/projects/un-toit/pledges.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:3] == ["Nom", "E-mail", "Commune"]
    by_email = {row[1]: row for row in rows[1:]}
    assert set(by_email) == {"ana@example.org", "bo@example.org", "cy@example.org"}
    ana, bo = by_email["ana@example.org"], by_email["bo@example.org"]
    # Formula injection: cells starting with = + - @ get a quote.
    assert ana[8] == '\'=HYPERLINK("http://evil.example")'
    assert bo[0] == "'+Bo"
    assert bo[8] == "Je parle bulgare ; et roumain"  # the delimiter inside a cell is quoted
    assert bo[3] == "Traduction (roumain, bulgare…), Accompagnement scolaire"
    assert bo[5] == "Le week-end" and bo[7] == "Engagé"
    today = datetime.now(UTC).astimezone(coordination.PARIS).strftime("%d/%m/%Y")
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", ana[9]) and ana[9] == today
    # The same filters as the list.
    rows = read_csv(client.get("/projects/un-toit/pledges.csv?commune=92048&help=transport"))
    assert [row[1] for row in rows[1:]] == ["cy@example.org"]


def test_csv_dates_are_the_paris_day(app, db, setup):
    pledge = setup["pledges"]["ana"]
    # 23:30 UTC on 31 March is already 1 April in Paris (summer time).
    pledge.created_at = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    db.session.commit()
    client = app.test_client()
    login_as(client, setup["coordinator"])
    rows = read_csv(
        client.get("/projects/un-toit/pledges.csv?availability=evenings&help=transport")
    )
    assert [r[9] for r in rows[1:] if r[1] == "ana@example.org"] == ["01/04/2026"]


def test_csv_cells_are_guarded_against_formulas():
    assert [coordination.csv_cell(v) for v in ("=1+1", "+33", "-2", "@SUM(A1)", "ok", 4, None)] == [
        "'=1+1",
        "'+33",
        "'-2",
        "'@SUM(A1)",
        "ok",
        "4",
        "",
    ]


def test_writing_to_a_filter_goes_through_the_outbox_with_an_unsubscribe_link(make_app, smtp):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_TIMEOUT=2)
    with app.app_context():
        make_commune("92023", "Clamart")
        make_commune("92048", "Meudon")
        group = make_group("ldh-clamart")
        project = make_project("un-toit", groups_taking_part=[group])
        coordinator = make_user("claire@example.org", name="Claire")
        add_member(coordinator, group, Role.COORDINATOR)
        make_pledge(make_user("ana@example.org"), project, commune="92048")
        make_pledge(make_user("bo@example.org"), project, commune="92048")
        make_pledge(make_user("quiet@example.org", notify=NEVER), project, commune="92048")
        make_pledge(make_user("cy@example.org"), project, commune="92023")
        _db.session.commit()
        send_due()
        smtp.messages.clear()
        client = app.test_client()
        login_as(client, coordinator)
        response = post_form(
            client,
            "/projects/un-toit/pledges/message",
            {"commune": "92048", "subject": "Réunion jeudi", "body": "Rendez-vous à 19 h."},
            form_url="/projects/un-toit/pledges",
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/projects/un-toit/pledges?commune=92048"
        assert send_due()["sent"] == 2
        assert sorted(m["To"] for m in smtp.messages) == ["ana@example.org", "bo@example.org"]
        mail = smtp.to("ana@example.org")[0]
        assert mail["Subject"] == "[Toits solidaires] Un toit pour quinze familles : Réunion jeudi"
        assert mail["List-Unsubscribe"].strip().startswith("<http://localhost/unsubscribe/")
        text = smtp.text(mail)
        assert "Rendez-vous à 19 h." in text and "http://localhost/unsubscribe/" in text
        (entry,) = _db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "pledge.message")
        ).all()
        assert entry.detail == "2" and entry.actor_id == coordinator.id
        assert "@" not in (entry.detail or "")


def test_an_empty_message_comes_back_with_what_was_typed(app, setup):
    client = app.test_client()
    login_as(client, setup["coordinator"])
    response = post_form(
        client,
        "/projects/un-toit/pledges/message",
        {"subject": "Réunion jeudi", "body": ""},
        form_url="/projects/un-toit/pledges",
    )
    assert response.status_code == 400
    assert 'value="Réunion jeudi"' in response.get_data(as_text=True)


# --- The three-monthly check ---------------------------------------------------------------


def check_mails():
    return _db.session.scalars(
        select(OutboxMail).where(OutboxMail.template == "pledge_check").order_by(OutboxMail.id)
    ).all()


def test_the_reminder_job_asks_once_every_three_months(app, db, runner, setup):
    later = datetime.now(UTC) + timedelta(days=92)
    result = runner.invoke(args=["reminders"])
    assert "pledge checks: 0 sent" in result.output
    result = runner.invoke(args=["reminders", "--now", later.isoformat()])
    assert result.exit_code == 0, result.output
    assert "pledge checks: 3 sent" in result.output
    result = runner.invoke(args=["reminders", "--now", later.isoformat()])
    assert "pledge checks: 0 sent" in result.output  # running it twice sends nothing twice
    db.session.expire_all()
    assert sorted(m.recipient for m in check_mails()) == [
        "ana@example.org",
        "bo@example.org",
        "cy@example.org",
    ]
    # Three months later still, it asks again.
    result = runner.invoke(args=["reminders", "--now", (later + timedelta(days=92)).isoformat()])
    assert "pledge checks: 3 sent" in result.output


def test_withdrawn_fulfilled_and_lapsed_pledges_are_not_asked(app, db, setup):
    admin = make_user(admin=True)
    pledges = setup["pledges"]
    services.withdraw_pledge(pledges["ana"].user, setup["project"])
    services.mark_pledge(admin, pledges["bo"], services.PledgeStatus.FULFILLED)
    services.mark_pledge(admin, pledges["cy"], services.PledgeStatus.LAPSED)
    assert checks.send_pledge_checks(datetime.now(UTC) + timedelta(days=400)) == "0 sent"


def confirm_link(mail: OutboxMail) -> str:
    (link,) = re.findall(r"http://localhost(/projects/un-toit/pledge/confirm/\S+)", mail.body_text)
    return link


def test_one_click_confirms_the_pledge(app, db, setup):
    checks.send_pledge_checks(datetime.now(UTC) + timedelta(days=92))
    db.session.commit()
    mail = next(m for m in check_mails() if m.recipient == "ana@example.org")
    link = confirm_link(mail)
    client = app.test_client()  # not signed in: the link is the proof
    page = client.get(link)
    assert page.status_code == 200
    assert "Oui, mon engagement tient toujours" in page.get_data(as_text=True)
    pledge_id = setup["pledges"]["ana"].id
    db.session.expire_all()
    assert db.session.get(Pledge, pledge_id).confirmed_at is None  # a GET changes nothing
    response = client.post(link)
    assert response.status_code == 200
    assert "votre engagement tient toujours" in response.get_data(as_text=True)
    db.session.expire_all()
    pledge = db.session.get(Pledge, pledge_id)
    assert pledge.confirmed_at is not None
    assert pledge.next_check_at > datetime.now(UTC) + timedelta(days=90)
    assert (
        db.session.scalar(
            select(PledgeRevision.change)
            .where(PledgeRevision.pledge_id == pledge_id)
            .order_by(PledgeRevision.id.desc())
        )
        == "confirmed"
    )


def test_a_forged_expired_or_foreign_link_confirms_nothing(app, db, setup, monkeypatch):
    pledge = setup["pledges"]["ana"]
    token = checks.check_token(pledge)
    client = app.test_client()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    other = make_project("autre")
    db.session.commit()
    for url in (
        f"/projects/un-toit/pledge/confirm/{forged}",
        f"/projects/autre/pledge/confirm/{token}",  # a pledge of another project
    ):
        assert client.post(url).status_code == 400, url
    assert other.slug == "autre"
    # Past the link's lifetime.
    import itsdangerous.timed

    real_now = itsdangerous.timed.TimestampSigner.get_timestamp
    lifetime = int(checks.CHECK_LINK_LIFETIME.total_seconds())
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner,
        "get_timestamp",
        lambda self: real_now(self) + lifetime + 60,
    )
    response = client.post(f"/projects/un-toit/pledge/confirm/{token}")
    assert response.status_code == 400
    assert "n&#39;est plus valable" in response.get_data(as_text=True) or "n'est plus valable" in (
        response.get_data(as_text=True)
    )
    monkeypatch.undo()
    # A withdrawn pledge's link is dead too.
    services.withdraw_pledge(pledge.user, setup["project"])
    db.session.commit()
    assert client.post(f"/projects/un-toit/pledge/confirm/{token}").status_code == 400
    db.session.expire_all()
    assert db.session.get(Pledge, pledge.id).confirmed_at is None


# --- An account's pledges ------------------------------------------------------------------------


def test_deleting_an_account_erases_its_pledges_and_history(app, db, setup):
    from forum.accounts import services as accounts
    from tests.factories import PASSWORD

    ana = setup["pledges"]["ana"]
    admin = make_user(admin=True)
    services.mark_pledge(admin, setup["pledges"]["bo"], services.PledgeStatus.ACTIVE)
    user_id, pledge_id = ana.user_id, ana.id
    assert accounts.delete_account(ana.user, PASSWORD)
    assert accounts.delete_account(admin, PASSWORD)
    db.session.commit()
    assert db.session.scalars(select(Pledge).where(Pledge.user_id == user_id)).all() == []
    assert (
        db.session.scalars(
            select(PledgeRevision).where(PledgeRevision.pledge_id == pledge_id)
        ).all()
        == []
    )
    assert (
        db.session.scalars(
            select(PledgeRevision).where(PledgeRevision.changed_by_id == admin.id)
        ).all()
        == []
    )
    assert figures.project_figures(setup["project"]).count == 2
