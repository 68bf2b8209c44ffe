"""Meetings: planning, answering (capacity, waiting list), cancelling, minutes and
decisions, reminders, the pages that show them, the account's export and deletion."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from forum.audit.models import AuditEntry
from forum.cli import REMINDER_JOBS
from forum.db import utcnow
from forum.groups.models import Role
from forum.mail import OutboxMail
from forum.meetings import minutes, services
from forum.meetings.models import PARIS, Decision, Meeting, MeetingAnswer, ReminderSent
from forum.notifications.models import Notification
from tests.conftest import csrf_token, login_as, post_form
from tests.factories import add_member, make_group, make_meeting, make_user


@pytest.fixture
def world(db):
    group = make_group("ldh-clamart", name="Section LDH de Clamart")
    coordinator = make_user(name="Claire")
    member = make_user(name="Karim")
    other = make_user(name="Inès")
    add_member(coordinator, group, Role.COORDINATOR)
    add_member(member, group)
    db.session.commit()
    return {"group": group, "coordinator": coordinator, "member": member, "other": other}


def local(days: int, hour: int = 19, minute: int = 0) -> str:
    """A `datetime-local` value `days` from today, in Paris."""
    day = datetime.now(PARIS).date() + timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def form(**over) -> dict:
    data = {
        "title": "Préparer le rendez-vous en mairie",
        "starts_at": local(10),
        "ends_at": local(10, 21),
        "location": "Maison des associations, Clamart",
        "online_url": "",
        "agenda": "1. Le terrain\n2. **La cantine**",
        "capacity": "",
        "visibility": "public",
        "repeat": "",
        "until": "",
        "count": "",
    }
    data.update(over)
    return data


def new_url(group) -> str:
    return f"/groups/{group.slug}/meetings/new"


def plan(client, group, **over):
    return post_form(client, new_url(group), form(**over))


def answer(client, meeting_id: int, status: str):
    return post_form(
        client,
        f"/meetings/{meeting_id}/rsvp",
        {"status": status},
        form_url=f"/meetings/{meeting_id}",
    )


def meetings(db) -> list[Meeting]:
    db.session.expire_all()
    return list(db.session.scalars(select(Meeting).order_by(Meeting.starts_at)))


# --- Planning --------------------------------------------------------------------------


def test_a_coordinator_plans_a_meeting_in_paris_time(client, db, world):
    login_as(client, world["coordinator"])
    response = plan(client, world["group"])
    assert response.status_code == 302
    [meeting] = meetings(db)
    assert response.headers["Location"] == f"/meetings/{meeting.id}"
    assert meeting.starts_at.astimezone(PARIS).strftime("%H:%M") == "19:00"
    assert meeting.uid and meeting.series_id is None
    assert "<strong>La cantine</strong>" in meeting.agenda_html
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Préparer le rendez-vous en mairie" in page and "19:00–21:00" in page
    assert "<strong>La cantine</strong>" in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "meeting.create"))
    assert entry.target_id == meeting.id


def test_the_agenda_is_sanitized(client, db, world):
    login_as(client, world["coordinator"])
    plan(client, world["group"], agenda="<script>alert(1)</script> [x](javascript:alert(1))")
    [meeting] = meetings(db)
    assert "<script" not in meeting.agenda_html and 'href="javascript' not in meeting.agenda_html


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"ends_at": local(10, 18)}, "ends_at", "se terminer après"),
        ({"starts_at": local(-2), "ends_at": local(-2, 21)}, "starts_at", "passé"),
        ({"capacity": "-3"}, "capacity", "négatif"),
        ({"repeat": "weekly", "count": "0"}, "count", "entre 1 et 104"),
        ({"repeat": "weekly", "count": "500"}, "count", "entre 1 et 104"),
        ({"repeat": "weekly"}, "count", "jusqu'à quand"),
        ({"repeat": "monthly", "until": local(1200)[:10]}, "until", "deux ans"),
        ({"location": ""}, "location", "un lieu ou un lien"),
        ({"online_url": "javascript://x%0Aalert(1)"}, "online_url", "adresse web"),
    ],
)
def test_bad_input_is_explained_and_the_form_keeps_what_was_typed(
    client, db, world, over, field, message
):
    login_as(client, world["coordinator"])
    response = plan(client, world["group"], title="Une réunion mal saisie", **over)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page or message in page, page[:3000]
    assert message in page.replace("&#39;", "'"), message
    assert 'value="Une réunion mal saisie"' in page
    assert meetings(db) == []


def test_the_form_speaks_english_too(client, db, world):
    world["coordinator"].locale = "en"
    login_as(client, world["coordinator"])
    page = plan(client, world["group"], ends_at=local(10, 18)).get_data(as_text=True)
    assert "The meeting must end after it starts." in page


def test_a_monthly_series_repeats_on_the_same_weekday(client, db, world):
    login_as(client, world["coordinator"])
    response = plan(client, world["group"], repeat="monthly", count="6")
    assert response.status_code == 302
    rows = meetings(db)
    assert len(rows) == 6
    first = rows[0].starts_at.astimezone(PARIS)
    nth = (first.day - 1) // 7
    for row in rows:
        start = row.starts_at.astimezone(PARIS)
        assert start.weekday() == first.weekday()
        assert start.strftime("%H:%M") == "19:00"  # across the change of hour too
        if nth < 4:
            assert (start.day - 1) // 7 == nth
        assert row.series_id == rows[0].series_id and row.recurrence_id == row.starts_at
        assert row.uid is None


def test_a_series_until_a_date_and_every_two_weeks(client, db, world):
    login_as(client, world["coordinator"])
    until = (datetime.now(PARIS).date() + timedelta(days=10 + 7 * 6)).isoformat()
    assert plan(client, world["group"], repeat="biweekly", until=until).status_code == 302
    rows = meetings(db)
    assert len(rows) == 4  # days 10, 24, 38, 52
    gaps = {(b.starts_at - a.starts_at).days for a, b in zip(rows, rows[1:], strict=False)}
    assert gaps <= {13, 14}


def test_occurrences_are_bounded():
    start = datetime(2027, 1, 5, 18, tzinfo=UTC)
    assert len(services.occurrences(start, "weekly", count=104)) == 104
    assert len(services.occurrences(start, "weekly", until=date(2028, 12, 31))) == 104
    with pytest.raises(services.MeetingError):
        services.occurrences(start, "weekly", count=105)
    with pytest.raises(services.MeetingError):
        services.occurrences(start, "weekly", until=date(2026, 1, 1))


def test_editing_an_occurrence_moves_it_alone_and_tells_those_who_answered(client, db, world):
    login_as(client, world["coordinator"])
    plan(client, world["group"], repeat="weekly", count="3")
    second = meetings(db)[1]
    services.answer(world["member"], second, "yes")
    db.session.commit()
    url = f"/meetings/{second.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="Préparer le rendez-vous en mairie"' in page
    new_start = second.starts_at.astimezone(PARIS) + timedelta(days=1)
    response = post_form(
        client,
        url,
        form(
            starts_at=new_start.strftime("%Y-%m-%dT%H:%M"),
            ends_at=(new_start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        ),
    )
    assert response.status_code == 302
    rows = meetings(db)
    moved = next(m for m in rows if m.id == second.id)
    assert moved.is_override and moved.sequence == 1
    assert moved.recurrence_id != moved.starts_at
    assert [m.is_override for m in rows].count(True) == 1
    [note] = db.session.scalars(select(Notification)).all()
    assert note.user_id == world["member"].id and note.kind == "meeting_changed"
    mails = db.session.scalars(select(OutboxMail).where(OutboxMail.template == "notify")).all()
    assert [m.recipient for m in mails] == [world["member"].email]
    assert "Réunion modifiée" in mails[0].subject


def test_cancelling_tells_those_who_answered_and_is_audited(client, db, world):
    meeting = make_meeting(world["group"])
    services.answer(world["member"], meeting, "maybe")
    services.answer(world["other"], meeting, "no")
    db.session.commit()
    login_as(client, world["coordinator"])
    response = post_form(
        client, f"/meetings/{meeting.id}/cancel", {}, form_url=f"/meetings/{meeting.id}"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).is_cancelled
    notes = db.session.scalars(select(Notification)).all()
    assert [(n.user_id, n.kind) for n in notes] == [(world["member"].id, "meeting_cancelled")]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "meeting.cancel"))
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Cette réunion est annulée" in page
    member = client.application.test_client()
    login_as(member, world["member"])
    listing = member.get("/notifications").get_data(as_text=True)
    assert "Réunion du groupe" in listing and "est annulée" in listing


# --- Answering -------------------------------------------------------------------------


def test_a_member_answers_and_gets_the_invitation_by_mail(client, db, world):
    meeting = make_meeting(world["group"])
    db.session.commit()
    login_as(client, world["member"])
    response = answer(client, meeting.id, "yes")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).yes_count == 1
    [mail] = db.session.scalars(select(OutboxMail).where(OutboxMail.template == "meeting_answer"))
    assert mail.recipient == world["member"].email
    [attached] = mail.attachments
    assert attached.content_type.startswith("text/calendar")
    assert b"BEGIN:VEVENT" in attached.data
    # Changing one's mind: the counters follow.
    answer(client, meeting.id, "maybe")
    db.session.expire_all()
    row = db.session.get(Meeting, meeting.id)
    assert (row.yes_count, row.maybe_count) == (0, 1)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Vous avez répondu : peut-être." in page


def test_a_bad_status_is_refused_with_a_message(client, db, world):
    meeting = make_meeting(world["group"])
    db.session.commit()
    login_as(client, world["member"])
    response = answer(client, meeting.id, "perhaps")
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(MeetingAnswer.id))) == 0


@pytest.mark.parametrize("state", ["cancelled", "past"])
def test_a_cancelled_or_past_meeting_takes_no_answer(client, db, world, state):
    meeting = make_meeting(world["group"], days=-1 if state == "past" else 3)
    if state == "cancelled":
        meeting.cancelled_at = utcnow()
    db.session.commit()
    login_as(client, world["member"])
    token = csrf_token(client, "/account/")
    response = client.post(
        f"/meetings/{meeting.id}/rsvp", data={"csrf_token": token, "status": "yes"}
    )
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert ("annulée" if state == "cancelled" else "a eu lieu") in page
    assert db.session.scalar(select(func.count(MeetingAnswer.id))) == 0


def test_an_unverified_account_cannot_answer(client, db, world):
    meeting = make_meeting(world["group"])
    person = make_user(verified=False)
    db.session.commit()
    login_as(client, person)
    token = csrf_token(client, "/account/")
    response = client.post(
        f"/meetings/{meeting.id}/rsvp", data={"csrf_token": token, "status": "yes"}
    )
    assert response.status_code == 403
    assert "Confirmez votre adresse" in response.get_data(as_text=True)


def test_past_capacity_a_yes_waits_and_moves_up_when_a_seat_frees(client, db, world, make_app):
    meeting = make_meeting(world["group"], capacity=1)
    db.session.commit()
    first, second = world["member"], world["other"]
    assert services.answer(first, meeting, "yes").status == "yes"
    assert services.answer(second, meeting, "yes").status == "waiting"
    db.session.commit()
    assert (meeting.yes_count, meeting.waiting_count) == (1, 1)
    services.answer(first, meeting, "no")
    db.session.commit()
    db.session.expire_all()
    row = db.session.scalar(select(MeetingAnswer).where(MeetingAnswer.user_id == second.id))
    assert row.status == "yes"
    meeting = db.session.get(Meeting, meeting.id)
    assert (meeting.yes_count, meeting.waiting_count) == (1, 0)
    subjects = [
        m.subject
        for m in db.session.scalars(select(OutboxMail).where(OutboxMail.recipient == second.email))
    ]
    assert any("Une place est à vous" in s for s in subjects), subjects


def test_raising_the_capacity_takes_people_off_the_waiting_list(db, world):
    meeting = make_meeting(world["group"], capacity=0)
    services.answer(world["member"], meeting, "yes")
    data = services.MeetingData(
        title=meeting.title,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        location=meeting.location,
        capacity=1,
    )
    services.update_meeting(world["coordinator"], meeting, data)
    assert meeting.yes_count == 1 and meeting.waiting_count == 0


# --- Minutes and decisions -------------------------------------------------------------


def minutes_data(meeting, people, *, due: date, owner=None, partner: str = "") -> dict:
    data = {
        "body": "Nous étions **six**. La mairie recevra une délégation.",
        "present": [str(p.id) for p in people],
        "decisions-0-text": "Écrire au maire pour demander un terrain",
        "decisions-0-owner": str(owner.id) if owner else "",
        "decisions-0-partner": "",
        "decisions-0-due_on": due.isoformat(),
        "decisions-1-text": "Recenser les enfants à scolariser",
        "decisions-1-owner": "",
        "decisions-1-partner": partner or "Mairie de Clamart, service scolaire",
        "decisions-1-due_on": due.isoformat(),
        "decisions-2-text": "",
        "decisions-2-owner": "",
        "decisions-2-partner": "",
        "decisions-2-due_on": "",
    }
    return data


def test_minutes_with_two_decisions_show_on_the_group_page_until_done(client, db, world):
    meeting = make_meeting(world["group"], days=-1)
    services.answer  # noqa: B018 - past meetings take no answers: attendance from members
    db.session.commit()
    login_as(client, world["coordinator"])
    url = f"/meetings/{meeting.id}/minutes"
    page = client.get(url).get_data(as_text=True)
    assert 'name="present"' in page and "Karim" in page
    due = meeting.local_day + timedelta(days=14)
    response = post_form(
        client, url, minutes_data(meeting, [world["member"]], due=due, owner=world["member"])
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    decisions = db.session.scalars(select(Decision).order_by(Decision.id)).all()
    assert [d.text for d in decisions] == [
        "Écrire au maire pour demander un terrain",
        "Recenser les enfants à scolariser",
    ]
    assert decisions[0].owner_id == world["member"].id and decisions[1].partner
    assert minutes.attendees(meeting) == {world["member"].id}
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"meeting.minutes", "decision.create"} <= actions
    group_page = client.get(f"/groups/{world['group'].slug}/").get_data(as_text=True)
    assert "Écrire au maire" in group_page and "Recenser les enfants" in group_page
    # The owner marks theirs done; it leaves the group page.
    owner = world["member"]
    other_client = client.application.test_client()
    login_as(other_client, owner)
    response = post_form(
        other_client,
        f"/decisions/{decisions[0].id}/done",
        {},
        form_url=f"/groups/{world['group'].slug}/",
    )
    assert response.status_code == 302
    group_page = client.get(f"/groups/{world['group'].slug}/").get_data(as_text=True)
    assert "Écrire au maire" not in group_page and "Recenser les enfants" in group_page
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "decision.done"))


def test_a_decision_due_before_its_meeting_is_refused(client, db, world):
    meeting = make_meeting(world["group"], days=-3)
    db.session.commit()
    login_as(client, world["coordinator"])
    url = f"/meetings/{meeting.id}/minutes"
    data = minutes_data(
        meeting, [], due=meeting.local_day - timedelta(days=1), owner=world["member"]
    )
    response = post_form(client, url, data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "le jour de la réunion ou après" in page
    assert "Recenser les enfants à scolariser" in page  # what was typed is kept
    assert db.session.scalar(select(func.count(Decision.id))) == 0


def test_a_decision_needs_someone_to_carry_it(client, db, world):
    meeting = make_meeting(world["group"], days=-3)
    db.session.commit()
    login_as(client, world["coordinator"])
    data = minutes_data(meeting, [], due=meeting.local_day)
    data["decisions-1-partner"] = ""
    response = post_form(client, f"/meetings/{meeting.id}/minutes", data)
    assert response.status_code == 400
    assert "Dites qui porte chaque décision" in response.get_data(as_text=True)


def test_minutes_wait_for_the_meeting(client, db, world):
    meeting = make_meeting(world["group"], days=2)
    db.session.commit()
    login_as(client, world["coordinator"])
    response = client.get(f"/meetings/{meeting.id}/minutes")
    assert response.status_code == 302
    assert "une fois la réunion commencée" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )


# --- Reminders -------------------------------------------------------------------------


def run_reminders(runner, now: datetime) -> str:
    result = runner.invoke(args=["reminders", "--now", now.isoformat()])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_the_reminder_goes_the_day_before_once(app, runner, db, world):
    assert {"meeting reminders", "decisions due"} <= {name for name, _ in REMINDER_JOBS}
    meeting = make_meeting(world["group"], days=5)
    services.answer(world["member"], meeting, "yes")
    services.answer(world["other"], meeting, "maybe")
    services.answer(world["coordinator"], meeting, "no")
    db.session.commit()
    day_before = meeting.starts_at.astimezone(PARIS).date() - timedelta(days=1)
    now = datetime(day_before.year, day_before.month, day_before.day, 10, tzinfo=PARIS)
    assert "meeting reminders: 2 sent" in run_reminders(runner, now)
    assert "meeting reminders: 0 sent" in run_reminders(runner, now + timedelta(hours=1))
    reminders = db.session.scalars(
        select(OutboxMail).where(OutboxMail.template == "meeting_reminder")
    ).all()
    assert sorted(m.recipient for m in reminders) == sorted(
        [world["member"].email, world["other"].email]
    )
    assert "Demain" in reminders[0].subject
    # Two days before, or too early in the morning: nothing.
    assert "0 sent" in run_reminders(runner, now - timedelta(days=1))


def test_a_decision_reminds_its_owner_when_due_once(app, runner, db, world):
    meeting = make_meeting(world["group"], days=-2)
    minutes.save_minutes(
        world["coordinator"],
        meeting,
        body="CR",
        present=set(),
        decisions=[
            minutes.DecisionData("Appeler le CCAS", meeting.local_day, owner_id=world["member"].id),
            minutes.DecisionData(
                "Plus tard", meeting.local_day + timedelta(days=30), owner_id=world["member"].id
            ),
        ],
    )
    db.session.commit()
    now = datetime.now(PARIS).replace(hour=12)
    assert "decisions due: 1 sent" in run_reminders(runner, now)
    assert "decisions due: 0 sent" in run_reminders(runner, now)
    assert db.session.scalar(select(func.count(ReminderSent.id))) == 1


# --- Pages -----------------------------------------------------------------------------


def test_the_home_and_group_pages_show_the_next_meetings(client, db, world):
    make_meeting(world["group"], title="Réunion publique à venir")
    make_meeting(world["group"], title="Réunion réservée", visibility="members")
    make_meeting(world["group"], title="Réunion passée", days=-5)
    db.session.commit()
    home = client.get("/").get_data(as_text=True)
    assert "Réunion publique à venir" in home and "Réunion réservée" not in home
    assert "Réunion passée" not in home
    group_page = client.get(f"/groups/{world['group'].slug}/").get_data(as_text=True)
    assert "Réunion publique à venir" in group_page and "Réunion réservée" not in group_page
    login_as(client, world["member"])
    group_page = client.get(f"/groups/{world['group'].slug}/").get_data(as_text=True)
    assert "Réunion réservée" in group_page


def test_the_group_page_lists_its_next_meetings_soonest_first_as_their_pages_say_them(
    client, db, world
):
    """The group page reads its next meetings within its own statement (as JSON): the
    same days, hours and places as the meeting's page and the home page say, soonest first,
    five at most, no cancelled one, on both engines."""
    from forum.db import utcnow

    later = make_meeting(world["group"], title="Dans dix jours", days=10, hours=3)
    make_meeting(world["group"], title="Demain", days=1, location="Mairie annexe")
    for n in range(4):
        make_meeting(world["group"], title=f"Plus tard {n}", days=20 + n)
    make_meeting(world["group"], title="Annulée", days=2).cancelled_at = utcnow()
    db.session.commit()

    page = client.get(f"/groups/{world['group'].slug}/").get_data(as_text=True)
    section = page.split('id="meetings-title"', 1)[1].split("</section>", 1)[0]
    titles = re.findall(r'<a href="/meetings/\d+">([^<]+)</a>', section)
    assert titles == ["Demain", "Dans dix jours", "Plus tard 0", "Plus tard 1", "Plus tard 2"]
    assert "Mairie annexe" in section
    said = re.search(
        rf'/meetings/{later.id}">[^<]+</a>\s*<br><span class="muted">(<time[^>]+>[^<]+</time>)',
        section,
    )
    home = client.get("/").get_data(as_text=True)
    assert said and said.group(1) in home
    assert said.group(1) in client.get(f"/meetings/{later.id}").get_data(as_text=True)


def test_the_meeting_list_pages_upcoming_and_past(client, db, world):
    for n in range(25):
        make_meeting(world["group"], title=f"Réunion {n:02d}", days=n + 1)
    make_meeting(world["group"], title="Réunion d'avant", days=-10)
    db.session.commit()
    url = f"/groups/{world['group'].slug}/meetings/"
    first = client.get(url).get_data(as_text=True)
    assert "Réunion 00" in first and "Réunion 19" in first and "Réunion 20" not in first
    assert "Réunion d&#39;avant" not in first
    second = client.get(url + "?page=2").get_data(as_text=True)
    assert "Réunion 24" in second
    past = client.get(url + "?when=past").get_data(as_text=True)
    assert "Réunion d&#39;avant" in past and "Réunion 00" not in past


def test_a_member_sees_the_meetings_they_answered(client, db, world):
    meeting = make_meeting(world["group"], title="Réunion de rentrée")
    services.answer(world["member"], meeting, "yes")
    db.session.commit()
    login_as(client, world["member"])
    assert "/account/meetings" in client.get("/account/").get_data(as_text=True)
    page = client.get("/account/meetings").get_data(as_text=True)
    assert "Réunion de rentrée" in page and "Oui" in page


# --- The account's data ----------------------------------------------------------------


def test_answers_are_exported_and_erased_with_the_account(client, db, world):
    meeting = make_meeting(world["group"], capacity=1)
    member, other = world["member"], world["other"]
    services.answer(member, meeting, "yes")
    services.answer(other, meeting, "yes")  # waits
    past = make_meeting(world["group"], days=-2)
    minutes.save_minutes(
        world["coordinator"],
        past,
        body="CR",
        present={member.id},
        decisions=[minutes.DecisionData("Écrire au préfet", past.local_day, owner_id=member.id)],
    )
    db.session.commit()
    login_as(client, member)
    export = client.get("/account/export.json").get_json()
    found = [s for s in export.values() if isinstance(s, dict) and "meeting_answers" in s]
    section = found[0] if found else export
    assert section["meeting_answers"][0]["answer"] == "yes"
    assert section["meetings_attended"] == [past.id]
    assert section["decisions_carried"][0]["text"] == "Écrire au préfet"

    response = post_form(
        client,
        "/account/delete",
        {"password": "correct horse battery staple"},
        form_url="/account/",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count(MeetingAnswer.id)).where(MeetingAnswer.user_id == member.id)
        )
        == 0
    )
    row = db.session.scalar(select(MeetingAnswer).where(MeetingAnswer.user_id == other.id))
    assert row.status == "yes"  # the seat freed went to the one who waited
    decision = db.session.scalar(select(Decision))
    assert decision.text == "Écrire au préfet" and decision.carrier == "compte supprimé"
    page = client.get(f"/groups/{world['group'].slug}/").get_data(as_text=True)
    assert "compte supprimé" in page


def test_members_only_meetings_answer_404_to_others(client, db, world):
    meeting = make_meeting(world["group"], visibility="members")
    db.session.commit()
    for url in (f"/meetings/{meeting.id}", f"/meetings/{meeting.id}.ics"):
        assert client.get(url).status_code == 404
    calendar = client.get(f"/groups/{world['group'].slug}/meetings.ics").get_data(as_text=True)
    assert meeting.uid not in calendar
    assert re.search("BEGIN:VCALENDAR", calendar)


def test_the_demo_has_meetings_and_loading_it_twice_adds_none(runner, db):
    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, (result.output, result.exception)
    db.session.expire_all()
    rows = db.session.scalars(select(Meeting)).all()
    assert len(rows) == 12 + 1 + 1  # a monthly series, a one-off, a past meeting
    assert len({m.series_id for m in rows if m.series_id}) == 1
    assert db.session.scalar(select(func.count(Decision.id))) == 2
    assert db.session.scalar(select(func.count(MeetingAnswer.id))) == 3


def test_a_member_on_the_daily_digest_reads_the_cancellation_there(runner, db, world):
    meeting = make_meeting(world["group"], title="Réunion de quartier")
    world["member"].notify_email = "daily"
    services.answer(world["member"], meeting, "yes")
    services.cancel_meeting(world["coordinator"], meeting)
    db.session.commit()
    assert not db.session.scalars(select(OutboxMail).where(OutboxMail.template == "notify")).all()
    now = datetime.now(PARIS).replace(hour=9) + timedelta(days=1)
    run_reminders(runner, now)
    [digest] = db.session.scalars(select(OutboxMail).where(OutboxMail.template == "digest"))
    assert digest.recipient == world["member"].email
    assert "Réunion de quartier" in digest.body_text and "annulée" in digest.body_text


def test_moving_up_the_waiting_list_arrives_over_smtp(make_app, smtp):
    """Through the real pages and a real SMTP server: the seat freed is mailed, with the
    meeting's .ics attached."""
    from forum.extensions import db as _db
    from forum.mail import send_due
    from tests.services import SMTPSink

    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_TIMEOUT=2)
    with app.app_context():
        group = make_group("ldh-clamart")
        first, second = make_user(name="Karim"), make_user(name="Inès")
        meeting = make_meeting(group, title="Réunion à une place", capacity=1)
        _db.session.commit()
        clients = {}
        for who in (first, second):
            clients[who.id] = app.test_client()
            login_as(clients[who.id], who)
        answer(clients[first.id], meeting.id, "yes")
        answer(clients[second.id], meeting.id, "yes")
        answer(clients[first.id], meeting.id, "no")
        assert send_due()["sent"] == 3  # two confirmations, one seat freed
        mails = smtp.to(second.email)
        assert [m["Subject"] for m in mails] == [
            "[Toits solidaires] Vous êtes sur la liste d'attente de « Réunion à une place »",
            "[Toits solidaires] Une place est à vous pour « Réunion à une place »",
        ]
        assert "Une place s'est libérée : elle est à vous." in SMTPSink.text(mails[1])
        [attached] = list(mails[1].iter_attachments())
        assert attached.get_content_type() == "text/calendar"
        assert meeting.uid in attached.get_content()
