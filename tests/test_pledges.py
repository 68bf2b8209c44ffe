"""A member's pledge: making, changing, withdrawing; bad input; closed projects; the one
pledge per member; conditional pledges; the coordinators' follow-through."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from forum.audit.models import AuditEntry
from forum.extensions import db as _db
from forum.groups.models import Role
from forum.mail import OutboxMail, send_due
from forum.notifications.models import Notification
from forum.projects import coordination, figures, services
from forum.projects.models import Pledge, PledgeRevision, PledgeStatus
from tests.conftest import login_as, post_form
from tests.factories import (
    add_member,
    make_commune,
    make_group,
    make_pledge,
    make_project,
    make_user,
)

URL = "/projects/un-toit/pledge"
GOOD = {
    "help_kinds": ["transport", "translation"],
    "hours_per_month": "6",
    "commune": "92023",
    "availability": ["evenings", "weekends"],
    "message": "Je parle roumain",
    "show_name": "y",
}


@pytest.fixture
def project(db):
    make_commune("92023", "Clamart")
    make_commune("92048", "Meudon")
    group = make_group("ldh-clamart")
    project = make_project("un-toit", groups_taking_part=[group])
    db.session.commit()
    return project


@pytest.fixture
def member(db):
    user = make_user("marie@example.org", name="Marie")
    db.session.commit()
    return user


def pledge_of(user):
    return _db.session.scalars(
        select(Pledge).where(Pledge.user_id == user.id, Pledge.status != "withdrawn")
    ).first()


def test_a_member_pledges_changes_and_withdraws(app, db, client, project, member):
    login_as(client, member)
    response = post_form(client, URL, GOOD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/projects/un-toit/"
    pledge = pledge_of(member)
    assert [k.key for k in pledge.help_kinds] == ["transport", "translation"]
    assert pledge.hours_per_month == 6 and pledge.commune.insee == "92023"
    assert pledge.availability == ["evenings", "weekends"] and pledge.show_name
    # The form comes back filled with the pledge.
    page = client.get(URL).get_data(as_text=True)
    assert 'value="6"' in page and "Je parle roumain" in page and "Modifier mon engagement" in page

    response = post_form(client, URL, {**GOOD, "help_kinds": ["school"], "hours_per_month": "2"})
    assert response.status_code == 302
    db.session.expire_all()
    changed = pledge_of(member)
    assert changed.id == pledge.id  # one pledge, changed in place
    assert [k.key for k in changed.help_kinds] == ["school"] and changed.hours_per_month == 2

    response = post_form(client, URL + "/withdraw", {}, form_url=URL)
    assert response.status_code == 302
    db.session.expire_all()
    assert pledge_of(member) is None
    kept = db.session.get(Pledge, pledge.id)
    assert kept.status == "withdrawn" and kept.withdrawn_at is not None
    changes = db.session.scalars(
        select(PledgeRevision.change)
        .where(PledgeRevision.pledge_id == pledge.id)
        .order_by(PledgeRevision.id)
    ).all()
    assert changes == ["created", "changed", "withdrawn"]
    # Pledging again after withdrawing is a new pledge.
    assert post_form(client, URL, GOOD).status_code == 302
    db.session.expire_all()
    assert pledge_of(member).id != pledge.id


BAD = [
    ({"help_kinds": []}, "Choisissez au moins une forme d'aide."),
    ({"help_kinds": ["teleportation"]}, "Choisissez les formes d'aide dans la liste de ce projet."),
    ({"hours_per_month": "201"}, "Indiquez un nombre d'heures par mois entre 0 et 200."),
    ({"hours_per_month": "-1"}, "Indiquez un nombre d'heures par mois entre 0 et 200."),
    ({"hours_per_month": "beaucoup"}, "Indiquez un nombre d'heures par mois entre 0 et 200."),
    ({"hours_per_month": ""}, "Indiquez un nombre d'heures par mois entre 0 et 200."),
    ({"threshold": "0"}, "compris entre 1 et 500"),
    ({"threshold": "10000"}, "compris entre 1 et 500"),
    ({"commune": "99999"}, "Choisissez votre commune dans la liste."),
    ({"availability": ["nights"]}, "Choisissez vos disponibilités dans la liste."),
]


@pytest.mark.parametrize(("change", "message"), BAD)
def test_bad_input_is_explained_and_the_form_comes_back_as_typed(
    app, db, client, project, member, change, message
):
    login_as(client, member)
    response = post_form(client, URL, {**GOOD, "message": "Texte tapé 42", **change})
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert message in page
    assert "Texte tapé 42" in page  # what was typed comes back
    if change.get("hours_per_month") == "beaucoup":
        assert 'value="beaucoup"' in page
    assert pledge_of(member) is None


def test_bad_input_is_explained_in_english_too(app, db, client, project):
    english = make_user(locale="en")
    login_as(client, english)
    response = post_form(client, URL, {**GOOD, "help_kinds": []})
    assert "Choose at least one form of help." in response.get_data(as_text=True)


def test_the_service_refuses_what_the_form_would(app, db, project, member):
    base = dict(help_kinds=["transport"], hours_per_month=4, commune="92023")
    for change, field in [
        ({"help_kinds": []}, "help_kinds"),
        ({"help_kinds": ["nope"]}, "help_kinds"),
        ({"hours_per_month": 500}, "hours_per_month"),
        ({"threshold": 0}, "threshold"),
        ({"threshold": 501}, "threshold"),
        ({"commune": "00000"}, "commune"),
    ]:
        with pytest.raises(services.PledgeError) as caught:
            services.save_pledge(member, project, services.PledgeData(**{**base, **change}))
        assert caught.value.field == field


@pytest.mark.parametrize("status", ["closed", "finished"])
def test_a_closed_or_finished_project_refuses_pledges_with_a_message(
    app, db, client, member, status
):
    make_commune("92023", "Clamart")
    make_project("un-toit", status=status)
    db.session.commit()
    login_as(client, member)
    response = client.get(URL)
    assert response.status_code == 403
    page = html.unescape(response.get_data(as_text=True))
    assert "Ce projet est clos : il ne reçoit plus d'engagements." in page
    response = post_form(client, URL, GOOD, form_url="/account/")
    assert response.status_code == 403
    assert pledge_of(member) is None


def test_a_standing_pledge_can_be_withdrawn_after_the_project_closes(app, db, client, member):
    make_commune("92023", "Clamart")
    project = make_project("un-toit")
    make_pledge(member, project)
    services.set_project_status(project, services.ProjectStatus.CLOSED)
    db.session.commit()
    login_as(client, member)
    assert "Retirer mon engagement" in client.get(URL).get_data(as_text=True)
    assert post_form(client, URL + "/withdraw", {}, form_url="/account/").status_code == 302
    db.session.expire_all()
    assert pledge_of(member) is None


def test_an_unverified_member_is_told_to_confirm_their_address(app, db, client, project):
    unverified = make_user(verified=False)
    login_as(client, unverified)
    response = client.get(URL)
    assert response.status_code == 403
    assert "Confirmez votre adresse e-mail" in response.get_data(as_text=True)


def test_one_standing_pledge_per_member_and_project_is_a_database_rule(app, db, project, member):
    first = make_pledge(member, project)
    db.session.commit()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(
            Pledge(project_id=project.id, user_id=member.id, commune_id=first.commune_id)
        )
        db.session.flush()
    # Withdrawn pledges do not count: many may stay as history.
    services.withdraw_pledge(member, project)
    db.session.add(Pledge(project_id=project.id, user_id=member.id, commune_id=first.commune_id))
    db.session.flush()


def test_the_confirmation_mail_goes_through_the_outbox_to_a_real_server(make_app, smtp):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_TIMEOUT=2)
    with app.app_context():
        make_commune("92023", "Clamart")
        make_project("un-toit", title="Un toit pour quinze familles")
        member = make_user("marie@example.org", name="Marie")
        _db.session.commit()
        client = app.test_client()
        login_as(client, member)
        assert post_form(client, URL, GOOD).status_code == 302
        assert smtp.to("marie@example.org") == []  # nothing leaves before the outbox runs
        assert send_due()["sent"] == 1
        (mail,) = smtp.to("marie@example.org")
        # Headers are one line of plain spaces (the no-break ones of « » included).
        assert mail["Subject"] == (
            "[Toits solidaires] Votre engagement pour « Un toit pour quinze familles »"
        )
        text = smtp.text(mail)
        assert "Transport, Traduction (roumain, bulgare…)" in text
        assert "http://localhost/projects/un-toit/pledge" in text


def test_a_conditional_pledge_counts_once_enough_others_pledge(app, db, project):
    waiting = [make_pledge(make_user(), project, threshold=2) for _ in range(2)]
    db.session.commit()
    # Two conditional pledges of "2 others": each has only one other so far.
    assert all(p.is_waiting for p in waiting)
    assert figures.project_figures(project).count == 0
    make_pledge(make_user(), project)  # the third one: both conditions are met
    db.session.commit()
    db.session.expire_all()
    assert all(db.session.get(Pledge, p.id).is_counted for p in waiting)
    assert figures.project_figures(project).count == 3


def test_everyone_waiting_is_told_exactly_once(app, db, project):
    waiting_people = [make_user() for _ in range(3)]
    for person, threshold in zip(waiting_people, (2, 3, 40), strict=True):
        make_pledge(person, project, threshold=threshold)
    db.session.commit()
    # Two pledges arrive: the first meets the threshold of 2, the second that of 3.
    make_pledge(make_user(), project)
    make_pledge(make_user(), project)
    db.session.commit()
    # Settling again (another pledge, a coordinator's mark, a retry) tells no one again.
    assert services.settle_thresholds(project) == []
    make_pledge(make_user(), project)
    db.session.commit()

    def told(user):
        return db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.kind == services.THRESHOLD_MET)
        )

    assert [told(p) for p in waiting_people] == [1, 1, 0]
    mails = db.session.scalars(select(OutboxMail).where(OutboxMail.template == "notify")).all()
    assert sorted(m.recipient for m in mails) == sorted(p.email for p in waiting_people[:2])


def test_two_conditional_pledges_arriving_together_meet_each_other(app, db, project):
    """Three unconditional pledges; then two pledges of "if 4 others" each: together they
    make five, so both count, and both members are told once."""
    for _ in range(3):
        make_pledge(make_user(), project)
    first, second = make_user(), make_user()
    make_pledge(first, project, threshold=4)
    assert pledge_of(first).is_waiting
    make_pledge(second, project, threshold=4)
    db.session.commit()
    db.session.expire_all()
    assert pledge_of(first).is_counted and pledge_of(second).is_counted
    counts = [
        db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.user_id == u.id)
        )
        for u in (first, second)
    ]
    # The one whose pledge completed the set saw it on the page: only the other is told.
    assert counts == [1, 0]


def test_coordinators_mark_pledges_and_the_audit_log_keeps_it(app, db, client, project):
    coordinator = make_user(name="Claire")
    add_member(coordinator, project.groups[0], Role.COORDINATOR)
    pledge = make_pledge(make_user(), project)
    db.session.commit()
    login_as(client, coordinator)
    url = f"/projects/un-toit/pledges/{pledge.id}/status"
    for status in ("active", "fulfilled", "lapsed"):
        response = post_form(client, url, {"status": status}, form_url="/projects/un-toit/pledges")
        assert response.status_code == 302
        db.session.expire_all()
        assert db.session.get(Pledge, pledge.id).status == status
    response = post_form(client, url, {"status": "withdrawn"}, form_url="/projects/un-toit/pledges")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Pledge, pledge.id).status == "lapsed"
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.target_type == "pledge").order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["pledge.active", "pledge.fulfilled", "pledge.lapsed"]
    assert all(e.actor_id == coordinator.id and e.group_id == project.groups[0].id for e in entries)
    # A lapsed pledge no longer counts.
    assert figures.project_figures(project).count == 0
    # The group's audit log lists the marks.
    log = client.get("/groups/ldh-clamart/audit")
    assert log.status_code == 200 and "a marqué un engagement abandonné" in log.get_data(
        as_text=True
    )


def test_a_withdrawn_pledge_cannot_be_marked(app, db, project):
    admin = make_user(admin=True)
    member = make_user()
    pledge = make_pledge(member, project)
    services.withdraw_pledge(member, project)
    with pytest.raises(services.PledgeError):
        services.mark_pledge(admin, pledge, PledgeStatus.ACTIVE)


def test_the_notice_shows_in_a_daily_digest_and_in_the_list(app, db, client, project):
    from datetime import UTC, datetime, timedelta

    from forum.notifications.services import send_digests

    daily = make_user(notify="daily")
    make_pledge(daily, project, threshold=1)
    make_pledge(make_user(), project)
    db.session.commit()
    # No mail at once for a daily member: the digest brings it.
    assert not db.session.scalars(
        select(OutboxMail).where(
            OutboxMail.recipient == daily.email, OutboxMail.template == "notify"
        )
    ).all()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).astimezone(coordination.PARIS)
    send_digests(tomorrow.replace(hour=9).astimezone(UTC))
    digest = db.session.scalars(
        select(OutboxMail).where(
            OutboxMail.recipient == daily.email, OutboxMail.template == "digest"
        )
    ).one()
    assert "compte désormais" in digest.body_text
    login_as(client, daily)
    page = html.unescape(client.get("/notifications").get_data(as_text=True))
    assert "votre engagement sous condition compte désormais" in page
    (notice,) = db.session.scalars(select(Notification).where(Notification.user_id == daily.id))
    opened = client.get(f"/notifications/{notice.id}")
    assert opened.headers["Location"].endswith("/projects/un-toit/")
