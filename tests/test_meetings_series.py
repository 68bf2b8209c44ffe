"""A series changed or cancelled from one occurrence on, seats taken away from a meeting
(the last seats go back to the head of the waiting list, told by mail), and a meeting
that has taken place, which cannot be cancelled."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from forum.audit.models import AuditEntry
from forum.groups.models import Role
from forum.mail import OutboxMail
from forum.meetings import services
from forum.meetings.models import PARIS, Meeting, MeetingAnswer
from forum.notifications.models import Notification
from tests.conftest import login_as, post_form
from tests.factories import add_member, make_group, make_meeting, make_user
from tests.test_meetings import form, meetings


@pytest.fixture
def world(db):
    group = make_group("ldh-clamart", name="Section LDH de Clamart")
    coordinator = make_user(name="Claire")
    member = make_user(name="Karim")
    add_member(coordinator, group, Role.COORDINATOR)
    add_member(member, group)
    db.session.commit()
    return {"group": group, "coordinator": coordinator, "member": member}


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def weekly_series(world, first: datetime, count: int = 4) -> list[Meeting]:
    data = services.MeetingData(
        title="Permanence",
        starts_at=services.from_paris(first),
        ends_at=services.from_paris(first + timedelta(hours=2)),
        location="Maison des associations",
    )
    services.create_meeting(
        world["coordinator"], world["group"], data, repeat="weekly", count=count
    )
    return [m for m in meetings(services.db) if m.series_id is not None]


def test_changing_the_following_dates_moves_them_in_paris_time(client, db, world):
    # Four Tuesdays at 19:00 around the change of hour (28 March 2027).
    rows = weekly_series(world, paris(2027, 3, 16, 19))
    services.answer(world["member"], rows[3], "yes")
    db.session.commit()
    login_as(client, world["coordinator"])
    page = client.get(f"/meetings/{rows[1].id}/edit").get_data(as_text=True)
    assert "Cette date et les suivantes" in page
    response = post_form(
        client,
        f"/meetings/{rows[1].id}/edit",
        form(
            title="Permanence déplacée",
            starts_at="2027-03-23T18:30",
            ends_at="2027-03-23T20:00",
            location="Mairie annexe",
            scope="following",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    after = meetings(db)
    assert [m.title for m in after] == ["Permanence"] + ["Permanence déplacée"] * 3
    assert [m.starts_at.astimezone(PARIS).strftime("%d/%m %H:%M") for m in after] == [
        "16/03 19:00",
        "23/03 18:30",
        "30/03 18:30",
        "06/04 18:30",
    ]
    assert {(m.ends_at - m.starts_at) for m in after[1:]} == {timedelta(minutes=90)}
    assert [m.is_override for m in after] == [False, True, True, True]
    assert [m.sequence for m in after] == [0, 1, 1, 1]
    # The one who answered the last date hears of it; one audit entry for the change.
    [note] = db.session.scalars(select(Notification)).all()
    assert note.user_id == world["member"].id
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "meeting.edit"))
    assert entry.detail == "following ×3"
    # The calendar says so: each moved date is an override of the series' rule.
    ics = client.get(f"/meetings/{after[2].id}.ics").get_data()
    calendar = Calendar.from_ical(ics)
    assert calendar.errors == []
    events = list(calendar.walk("VEVENT"))
    assert any(e.get("RECURRENCE-ID") is not None for e in events)
    for event in events:
        assert not event.errors


def test_cancelling_a_date_and_the_following_ones(client, db, world):
    rows = weekly_series(world, paris(2027, 5, 4, 19))
    services.answer(world["member"], rows[3], "maybe")
    db.session.commit()
    login_as(client, world["coordinator"])
    page = client.get(f"/meetings/{rows[2].id}").get_data(as_text=True)
    assert "Annuler cette réunion et les suivantes" in page
    response = post_form(
        client,
        f"/meetings/{rows[2].id}/cancel",
        {"scope": "following"},
        form_url=f"/meetings/{rows[2].id}",
    )
    assert response.status_code == 302
    after = meetings(db)
    assert [m.is_cancelled for m in after] == [False, False, True, True]
    assert db.session.scalar(select(Notification.user_id)) == world["member"].id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 réunions de la série sont annulées" in page
    calendar = Calendar.from_ical(client.get(f"/meetings/{rows[0].id}.ics").get_data())
    [master] = [e for e in calendar.walk("VEVENT") if e.get("RRULE") is not None]
    exdates = master.get("EXDATE")
    exdates = exdates if isinstance(exdates, list) else [exdates]
    assert sum(len(x.dts) for x in exdates) == 2


def test_a_meeting_that_has_taken_place_cannot_be_cancelled(client, db, world):
    past = make_meeting(world["group"], days=-2)
    begun = make_meeting(world["group"], days=-0.01)
    db.session.commit()
    login_as(client, world["coordinator"])
    for meeting in (past, begun):
        page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
        assert "Annuler cette réunion" not in page
        response = post_form(
            client, f"/meetings/{meeting.id}/cancel", {}, form_url=f"/meetings/{meeting.id}"
        )
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Cette réunion a déjà eu lieu : elle ne peut plus être annulée." in page
        db.session.expire_all()
        assert not db.session.get(Meeting, meeting.id).is_cancelled
    assert (
        db.session.scalar(select(AuditEntry).where(AuditEntry.action == "meeting.cancel")) is None
    )


def test_fewer_seats_put_the_last_seats_back_at_the_head_of_the_waiting_list(client, db, world):
    meeting = make_meeting(world["group"], capacity=3)
    people = [make_user(name=f"Personne {n}") for n in range(4)]
    for person in people:
        add_member(person, world["group"])
    for n, person in enumerate(people):
        row = services.answer(person, meeting, "yes")
        row.updated_at = row.updated_at + timedelta(seconds=n)  # who came first, clearly
    db.session.commit()
    assert (meeting.yes_count, meeting.waiting_count) == (3, 1)
    login_as(client, world["coordinator"])
    url = f"/meetings/{meeting.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert "3 personnes viennent" in page and "tête de la liste d’attente" in page
    start = meeting.starts_at.astimezone(PARIS)
    response = post_form(
        client,
        url,
        form(
            title=meeting.title,
            starts_at=start.strftime("%Y-%m-%dT%H:%M"),
            ends_at=(start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            location=meeting.location,
            capacity="1",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 personnes sont de nouveau sur la liste d’attente" in page
    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting.id)
    assert (meeting.yes_count, meeting.waiting_count) == (1, 3)
    line = db.session.scalars(
        select(MeetingAnswer.user_id)
        .where(MeetingAnswer.meeting_id == meeting.id, MeetingAnswer.status == "waiting")
        .order_by(MeetingAnswer.waiting_since)
    ).all()
    assert line == [people[1].id, people[2].id, people[3].id]
    told = db.session.scalars(
        select(OutboxMail).where(
            OutboxMail.template == "meeting_answer", OutboxMail.subject.contains("liste d’attente")
        )
    ).all()
    assert sorted(m.recipient for m in told if "de nouveau" in m.subject) == sorted(
        [people[1].email, people[2].email]
    )
    # The first seat freed goes to the first of them.
    services.answer(people[0], meeting, "no")
    db.session.commit()
    assert (
        db.session.scalar(select(MeetingAnswer.status).where(MeetingAnswer.user_id == people[1].id))
        == "yes"
    )
