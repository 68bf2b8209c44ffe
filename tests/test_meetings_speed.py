"""Meeting pages and calendars run a fixed number of SQL statements whatever the number
of meetings and answers (at most 6 for a visitor), and a visitor's GET writes nothing."""

from __future__ import annotations

from datetime import timedelta

from forum.groups.models import Role
from forum.meetings import minutes, services
from forum.meetings.models import MeetingAnswer
from tests.conftest import login_as
from tests.factories import add_member, make_group, make_meeting, make_user
from tests.test_speed import measure

VISITOR_BUDGET = 6
MEMBER_BUDGET = 10


def build(db, *, meetings: int, answers: int):
    """A group with `meetings` meetings (a weekly series among them, with a moved and a
    cancelled occurrence); the first one-off has `answers` answers and minutes."""
    group = make_group()
    coordinator = make_user(name="Coordinatrice")
    add_member(coordinator, group, Role.COORDINATOR)
    start = (services.utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    first = services.create_meeting(
        coordinator,
        group,
        services.MeetingData(
            title="Hebdomadaire",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            location="Salle",
        ),
        repeat="weekly",
        count=max(meetings // 2, 3),
    )
    occurrences = services.series_meetings(first.series)
    services.cancel_meeting(coordinator, occurrences[1])
    moved = occurrences[-1]
    services.update_meeting(
        coordinator,
        moved,
        services.MeetingData(
            title="Déplacée",
            starts_at=moved.starts_at + timedelta(hours=2),
            ends_at=moved.ends_at + timedelta(hours=2),
            location="Ailleurs",
        ),
    )
    one_offs = [
        make_meeting(group, title=f"Réunion {n}", days=n or -3, capacity=answers // 2 or None)
        for n in range(meetings - len(occurrences))
    ]
    measured = one_offs[-1]
    # Answers written straight to the table (the service's mails would cost seconds).
    for n in range(answers):
        person = make_user(name=f"Personne {n}")
        add_member(person, group)
        status = ("yes", "maybe", "no")[n % 3]
        db.session.add(MeetingAnswer(meeting_id=measured.id, user_id=person.id, status=status))
        measured.yes_count += status == "yes"
        measured.maybe_count += status == "maybe"
    past = one_offs[0]
    minutes.save_minutes(
        coordinator,
        past,
        body="Compte rendu",
        present=set(),
        decisions=[
            minutes.DecisionData(f"Décision {n}", past.local_day, partner="Mairie")
            for n in range(max(answers // 10, 1))
        ],
    )
    reader = make_user(name="Lectrice")
    add_member(reader, group)
    db.session.commit()
    return group, measured, first, past, coordinator, reader


def urls(group, measured, first, past) -> dict[str, str]:
    return {
        "meeting": f"/meetings/{measured.id}",
        "meeting with minutes": f"/meetings/{past.id}",
        "meeting .ics": f"/meetings/{measured.id}.ics",
        "series .ics": f"/meetings/{first.id}.ics",
        "group calendar": f"/groups/{group.slug}/meetings.ics",
        "meetings list": f"/groups/{group.slug}/meetings/",
        "meetings list, page 2": f"/groups/{group.slug}/meetings/?page=2",
        "past meetings": f"/groups/{group.slug}/meetings/?when=past",
        "group page": f"/groups/{group.slug}/",
        "home": "/",
    }


def counts(app, db, **size) -> dict[str, dict[str, int]]:
    """Statements per page, for a visitor, a member and a coordinator, on one data set."""
    group, measured, first, past, coordinator, reader = build(db, **size)
    result: dict[str, dict[str, int]] = {}
    for who, user in (("visitor", None), ("member", reader), ("coordinator", coordinator)):
        client = app.test_client()
        if user is not None:
            login_as(client, user)
        result[who] = {}
        for name, url in urls(group, measured, first, past).items():
            if user is None:
                client = app.test_client()  # no cookie at all
            count, writes, response = measure(client, db, url)
            assert writes == [], (who, name, writes)
            if user is None:
                assert "Set-Cookie" not in response.headers, name
            result[who][name] = count
    return result


def test_meeting_pages_and_calendars_run_the_same_few_statements_whatever_the_size(app, db):
    small = counts(app, db, meetings=6, answers=3)
    large = counts(app, db, meetings=200, answers=200)
    assert small == large, (small, large)
    assert max(large["visitor"].values()) <= VISITOR_BUDGET, large["visitor"]
    for who in ("member", "coordinator"):
        assert max(large[who].values()) <= MEMBER_BUDGET, (who, large[who])


def test_open_decisions_of_many_meetings_cost_the_group_page_nothing_more(app, db):
    """Decisions taken at one meeting or at eight: the group page (which shows them, each
    with the "done" button its rule allows) runs the same statements, for a visitor and
    for a coordinator."""
    group = make_group()
    coordinator = make_user(name="Coordinatrice")
    add_member(coordinator, group, Role.COORDINATOR)
    db.session.commit()

    def decide_at(n: int) -> None:
        for k in range(n):
            past = make_meeting(group, title=f"Passée {k}", days=-(k + 2))
            minutes.save_minutes(
                coordinator,
                past,
                body="Compte rendu",
                present=set(),
                decisions=[minutes.DecisionData(f"Décision {k}", past.local_day, partner="Mairie")],
            )
        db.session.commit()

    def group_page_counts() -> tuple[int, int]:
        visitor = measure(app.test_client(), db, f"/groups/{group.slug}/")
        client = app.test_client()
        login_as(client, coordinator)
        coordinating = measure(client, db, f"/groups/{group.slug}/")
        assert "Décision 0" in coordinating[2].get_data(as_text=True)
        return visitor[0], coordinating[0]

    decide_at(1)
    one = group_page_counts()
    decide_at(7)
    eight = group_page_counts()
    assert one == eight, (one, eight)
