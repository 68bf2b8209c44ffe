"""The last seat taken by two people at the same moment goes to exactly one of them; two
reminder runs at once send each reminder once. Two real connections, in two threads."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from forum.extensions import db as _db
from forum.mail import OutboxMail
from forum.meetings import reminders, services
from forum.meetings.models import PARIS, Meeting, MeetingAnswer
from tests.conftest import csrf_token, login_as
from tests.factories import make_group, make_meeting, make_user


def together(count: int, work) -> list:
    """Run `work(i)` in `count` threads released together; their results (or errors)."""
    barrier = threading.Barrier(count)
    results: list = []
    lock = threading.Lock()

    def run(i: int):
        barrier.wait(timeout=10)
        try:
            result = work(i)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            result = exc
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def seed(app, capacity: int = 1):
    with app.app_context():
        group = make_group("ldh-clamart")
        meeting = make_meeting(group, capacity=capacity)
        people = [make_user(name=f"Personne {n}") for n in range(2)]
        _db.session.commit()
        ids = meeting.id, [p.id for p in people]
        _db.session.remove()
    return ids


def check_one_seat(app, meeting_id: int) -> None:
    with app.app_context():
        statuses = sorted(
            _db.session.scalars(
                select(MeetingAnswer.status).where(MeetingAnswer.meeting_id == meeting_id)
            )
        )
        meeting = _db.session.get(Meeting, meeting_id)
        assert statuses == ["waiting", "yes"]
        assert (meeting.yes_count, meeting.waiting_count) == (1, 1)
        _db.session.remove()


def answer_at_once(app, meeting_id: int, people: list[int]) -> list:
    """Each thread loads the meeting first (as a view does), then both answer at once."""
    loaded = threading.Barrier(len(people))

    def work(i: int):
        with app.app_context():
            meeting = services.load_meeting(meeting_id)
            user = _db.session.get(services.User, people[i])
            loaded.wait(timeout=10)  # both read "one seat left" before either takes it
            row = services.answer(user, meeting, "yes")
            _db.session.commit()
            status = row.status
            _db.session.remove()
            return status

    return together(len(people), work)


@pytest.mark.postgres
def test_the_last_seat_goes_to_one_of_two_on_postgresql(postgres_app):
    app = postgres_app()
    meeting_id, people = seed(app)
    results = answer_at_once(app, meeting_id, people)
    assert sorted(map(str, results)) == ["waiting", "yes"], results
    check_one_seat(app, meeting_id)


def test_the_last_seat_goes_to_one_of_two_on_the_suite_engine(app):
    meeting_id, people = seed(app)
    results = answer_at_once(app, meeting_id, people)
    assert sorted(map(str, results)) == ["waiting", "yes"], results
    check_one_seat(app, meeting_id)


def test_the_last_seat_through_two_browsers_at_once(app, db):
    meeting_id, people = seed(app)
    clients, tokens = [], []
    for person_id in people:
        client = app.test_client()
        login_as(client, db.session.get(services.User, person_id))
        clients.append(client)
        tokens.append(csrf_token(client, f"/meetings/{meeting_id}"))
    url = f"/meetings/{meeting_id}/rsvp"  # read here: the threads have no app context

    def send(i: int) -> int:
        data = {"status": "yes", "csrf_token": tokens[i]}
        return clients[i].post(url, data=data).status_code

    assert together(2, send) == [302, 302]
    check_one_seat(app, meeting_id)


@pytest.mark.postgres
def test_two_reminder_runs_at_once_send_each_reminder_once(postgres_app, monkeypatch):
    app = postgres_app()
    with app.app_context():
        group = make_group("ldh-clamart")
        meeting = make_meeting(group, days=3)
        for n in range(3):
            services.answer(make_user(name=f"P{n}"), meeting, "yes")
        _db.session.commit()
        day_before = meeting.starts_at.astimezone(PARIS).date() - timedelta(days=1)
        _db.session.remove()
    now = datetime(day_before.year, day_before.month, day_before.day, 9, tzinfo=PARIS)
    # Both runs list the same reminders before either claims one.
    barrier = threading.Barrier(2)
    original = reminders._claim

    def claim_together(*args):
        if not getattr(threading.current_thread(), "waited", False):
            threading.current_thread().waited = True
            barrier.wait(timeout=10)
        return original(*args)

    monkeypatch.setattr(reminders, "_claim", claim_together)

    def work(_i: int):
        with app.app_context():
            summary = reminders.send_meeting_reminders(now)
            _db.session.commit()
            _db.session.remove()
            return summary

    results = together(2, work)
    assert (
        sorted(results) == ["0 sent", "3 sent"] or sum(int(r.split()[0]) for r in results) == 3
    ), results
    with app.app_context():
        count = _db.session.scalar(
            select(func.count(OutboxMail.id)).where(OutboxMail.template == "meeting_reminder")
        )
        assert count == 3
        _db.session.remove()
