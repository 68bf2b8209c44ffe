"""Meetings as iCalendar: parsed back with `icalendar`, checked field by field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar

from forum.groups.models import Role
from forum.meetings import services
from forum.meetings.models import PARIS, Meeting
from tests.factories import add_member, make_group, make_meeting, make_user


@pytest.fixture
def group(db):
    group = make_group("ldh-clamart", name="Section LDH de Clamart")
    coordinator = make_user(name="Claire")
    add_member(coordinator, group, Role.COORDINATOR)
    group.coordinator = coordinator
    db.session.commit()
    return group


def parse(response) -> Calendar:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    cal = Calendar.from_ical(response.data)
    for component in cal.walk():
        assert component.errors == [], (component.name, component.errors)
    return cal


def events(cal: Calendar) -> list:
    return list(cal.walk("VEVENT"))


def data(meeting: Meeting, **over) -> services.MeetingData:
    values = {
        "title": meeting.title,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "location": meeting.location,
        "online_url": meeting.online_url,
        "agenda": meeting.agenda,
        "capacity": meeting.capacity,
        "visibility": meeting.visibility,
    }
    values.update(over)
    return services.MeetingData(**values)


def series(group, count: int = 4, repeat: str = "monthly") -> list[Meeting]:
    start = (services.utcnow() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    first = services.create_meeting(
        group.coordinator,
        group,
        services.MeetingData(
            title="Réunion mensuelle",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            location="Maison des associations",
        ),
        repeat=repeat,
        count=count,
    )
    return services.series_meetings(first.series)


def test_a_one_off_meeting_keeps_its_uid_and_raises_its_sequence(client, db, group):
    meeting = make_meeting(group, title="Rendez-vous en mairie")
    meeting.agenda_html = "<p>Le <strong>terrain</strong></p>"
    db.session.commit()
    url = f"/meetings/{meeting.id}.ics"
    cal = parse(client.get(url))
    [event] = events(cal)
    uid = str(event["uid"])
    assert uid == meeting.uid
    assert str(event["summary"]) == "Rendez-vous en mairie"
    assert event["dtstart"].params["TZID"] == "Europe/Paris"
    assert event["dtend"].params["TZID"] == "Europe/Paris"
    assert event.decoded("dtstart") == meeting.starts_at
    assert event.decoded("dtstart").tzinfo.key == "Europe/Paris"
    assert str(event["location"]) == "Salle des fêtes, Clamart"
    assert "terrain" in str(event["description"])
    assert int(event["sequence"]) == 0
    assert str(event["status"]) == "CONFIRMED"
    [tz] = cal.walk("VTIMEZONE")
    assert str(tz["tzid"]) == "Europe/Paris"

    services.update_meeting(
        group.coordinator, meeting, data(meeting, starts_at=meeting.starts_at + timedelta(hours=1))
    )
    db.session.commit()
    [event] = events(parse(client.get(url)))
    assert str(event["uid"]) == uid and int(event["sequence"]) == 1

    services.cancel_meeting(group.coordinator, meeting)
    db.session.commit()
    [event] = events(parse(client.get(url)))
    assert str(event["uid"]) == uid and int(event["sequence"]) == 2
    assert str(event["status"]) == "CANCELLED"


def test_a_series_carries_its_rule_exceptions_and_overrides(client, db, group):
    rows = series(group, count=5)
    first, second, third = rows[0], rows[1], rows[2]
    services.cancel_meeting(group.coordinator, second)
    moved_to = third.starts_at + timedelta(days=1, hours=1)
    services.update_meeting(
        group.coordinator,
        third,
        data(third, starts_at=moved_to, ends_at=moved_to + timedelta(hours=2), location="Mairie"),
    )
    db.session.commit()

    for url in (f"/meetings/{first.id}.ics", f"/groups/{group.slug}/meetings.ics"):
        cal = parse(client.get(url))
        assert cal.walk("VTIMEZONE")
        master, override = events(cal)
        assert str(master["uid"]) == str(override["uid"]) == first.series.uid
        rule = master["rrule"]
        assert rule["FREQ"] == ["MONTHLY"] and rule["COUNT"] == [5]
        local = first.starts_at.astimezone(PARIS)
        nth = (local.day - 1) // 7 + 1
        day = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[local.weekday()]
        assert rule["BYDAY"] == [f"{nth if nth <= 4 else -1}{day}"]
        assert master["dtstart"].params["TZID"] == "Europe/Paris"
        assert master.decoded("dtstart") == first.starts_at
        exdates = [d.dt for d in master["exdate"].dts]
        assert exdates == [second.recurrence_id]
        assert exdates[0].tzinfo.key == "Europe/Paris"
        assert int(master["sequence"]) == 1  # the EXDATE raised it
        assert override.decoded("recurrence-id") == third.recurrence_id
        assert override["recurrence-id"].params["TZID"] == "Europe/Paris"
        assert override.decoded("dtstart") == moved_to
        assert str(override["location"]) == "Mairie"
        assert int(override["sequence"]) == 1


def test_weekly_and_two_weekly_rules(client, db, group):
    weekly = series(group, count=3, repeat="weekly")[0]
    biweekly = series(group, count=3, repeat="biweekly")[0]
    db.session.commit()
    [w] = events(parse(client.get(f"/meetings/{weekly.id}.ics")))
    assert w["rrule"]["FREQ"] == ["WEEKLY"] and "INTERVAL" not in w["rrule"]
    [b] = events(parse(client.get(f"/meetings/{biweekly.id}.ics")))
    assert b["rrule"]["FREQ"] == ["WEEKLY"] and b["rrule"]["INTERVAL"] == [2]


def test_the_group_calendar_has_public_meetings_only(client, db, group):
    public = make_meeting(group, title="Publique")
    private = make_meeting(group, title="Réservée", visibility="members")
    other = make_meeting(make_group(), title="Ailleurs")
    db.session.commit()
    cal = parse(client.get(f"/groups/{group.slug}/meetings.ics"))
    uids = {str(e["uid"]) for e in events(cal)}
    assert uids == {public.uid}
    assert private.uid not in uids and other.uid not in uids
    assert str(cal["x-wr-calname"]) == "Section LDH de Clamart"
    assert client.get("/groups/nowhere/meetings.ics").status_code == 404
    assert client.get("/meetings/999999.ics").status_code == 404
    # The private one answers 404 to a visitor, and is there for a member.
    assert client.get(f"/meetings/{private.id}.ics").status_code == 404


def test_a_polled_group_calendar_is_the_same_until_a_meeting_changes(
    client, db, group, monkeypatch
):
    """Calendar clients poll: the same calendar comes back byte for byte an hour later (so
    its ETag answers 304), and a change shows at the next poll."""
    from forum.meetings import calendar

    meeting = make_meeting(group, title="Rendez-vous en mairie")
    rows = series(group, count=3)
    db.session.commit()
    url = f"/groups/{group.slug}/meetings.ics"
    first = client.get(url)
    later = services.utcnow() + timedelta(hours=1)
    monkeypatch.setattr(calendar, "utcnow", lambda: later)
    again = client.get(url)
    assert first.data == again.data
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304

    services.update_meeting(group.coordinator, meeting, data(meeting, title="En mairie, 18 h"))
    db.session.commit()
    [changed] = [e for e in events(parse(client.get(url))) if str(e["uid"]) == meeting.uid]
    assert str(changed["summary"]) == "En mairie, 18 h" and int(changed["sequence"]) == 1

    services.cancel_meeting(group.coordinator, rows[1])
    db.session.commit()
    master = next(e for e in events(parse(client.get(url))) if "rrule" in e)
    assert [d.dt for d in master["exdate"].dts] == [rows[1].recurrence_id]


def test_the_answer_mail_carries_the_ics(db, group):
    from forum.mail import OutboxMail

    meeting = make_meeting(group)
    member = make_user()
    services.answer(member, meeting, "yes")
    db.session.commit()
    mail = db.session.scalar(db.select(OutboxMail).where(OutboxMail.recipient == member.email))
    [attached] = mail.attachments
    assert attached.filename == f"reunion-{meeting.id}.ics"
    cal = Calendar.from_ical(attached.data)
    assert [str(e["uid"]) for e in cal.walk("VEVENT")] == [meeting.uid]
    assert all(c.errors == [] for c in cal.walk())
