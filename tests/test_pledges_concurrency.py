"""Pledges sent at once: one pledge per member, and conditions settled once, whatever the
order in which the requests run (each in its own thread, session and connection)."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from forum.notifications.models import Notification
from forum.projects import figures, services
from forum.projects.models import Pledge
from tests.conftest import CSRF_RE, login_as
from tests.factories import make_commune, make_pledge, make_project, make_user
from tests.test_concurrency import at_once

URL = "/projects/un-toit/pledge"


def form(client, **extra) -> dict:
    token = CSRF_RE.search(client.get(URL).get_data(as_text=True)).group(1)
    return {
        "csrf_token": token,
        "help_kinds": ["transport"],
        "hours_per_month": "3",
        "commune": "92023",
        **extra,
    }


def test_six_clicks_at_once_make_one_pledge(app, db):
    make_commune("92023", "Clamart")
    make_project("un-toit")
    member = make_user()
    db.session.commit()
    client = app.test_client()
    login_as(client, member)
    data = form(client)
    statuses = at_once(6, lambda: client.post(URL, data=data).status_code)
    assert statuses == [302] * 6
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Pledge.id))) == 1


def test_two_conditional_pledges_at_once_both_count_and_one_is_told(app, db, monkeypatch):
    """Three pledges stand; two members pledge "if 4 others" at the same moment. Only
    together do they reach it: the second to be written sees the first (the project's row
    is locked while a pledge is settled), both count, and the first is told once."""
    make_commune("92023", "Clamart")
    project = make_project("un-toit")
    for _ in range(3):
        make_pledge(make_user(), project)
    first, second = make_user(), make_user()
    db.session.commit()
    clients = []
    for person in (first, second):
        client = app.test_client()
        login_as(client, person)
        clients.append((client, form(client, threshold="4")))
    pending = list(clients)
    # Widen the window between writing a pledge and settling the conditions, so that the
    # two requests overlap there (without the lock, each would miss the other).
    settle = services.settle_thresholds

    def slow_settle(*args, **kwargs):
        time.sleep(0.3)
        return settle(*args, **kwargs)

    monkeypatch.setattr(services, "settle_thresholds", slow_settle)

    def send():
        client, data = pending.pop()
        return client.post(URL, data=data).status_code

    assert at_once(2, send) == [302, 302]
    db.session.expire_all()
    pledges = db.session.scalars(select(Pledge).where(Pledge.threshold.is_not(None))).all()
    assert len(pledges) == 2 and all(p.is_counted for p in pledges)
    assert figures.project_figures(project).count == 5
    told = db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.kind == services.THRESHOLD_MET)
    )
    assert told == 1
