"""A project's kept totals stay equal to what its pledges count, through every change a
pledge goes through, and the page reads them without counting."""

from __future__ import annotations

from forum import events
from forum.extensions import db as _db
from forum.projects import figures, services, totals
from forum.projects.models import PledgeStatus
from tests.factories import make_commune, make_group, make_pledge, make_project, make_user


def same(project) -> totals.CountedTotals:
    """The kept totals, checked against a fresh count of the pledges."""
    _db.session.flush()
    kept = totals.kept_totals(project.id)
    assert kept == totals.count_totals(project.id)
    return kept


def kinds(project) -> dict[str, int]:
    return {k.key: k.count for k in figures.project_figures(project).by_kind if k.count}


def communes(project) -> dict[str, tuple[int, int | None, int]]:
    return {
        c.name: (c.count, c.hours, c.waiting) for c in figures.project_figures(project).by_commune
    }


def test_totals_follow_pledge_change_withdraw_threshold_and_follow_through(app, db):
    make_commune("92048", "Meudon")
    project = make_project(groups_taking_part=[make_group(commune=make_commune())])
    coordinator = make_user(admin=True)
    assert same(project) == totals.CountedTotals({}, {})

    first = make_pledge(make_user(), project, help_kinds=["transport", "school"], hours=5)
    second_user = make_user()
    make_pledge(second_user, project, help_kinds=["transport"], hours=7, commune="92048")
    same(project)
    assert kinds(project) == {"transport": 2, "school": 1}
    assert communes(project) == {"Clamart": (1, None, 0), "Meudon": (1, None, 0)}

    # A conditional pledge waits, then counts when enough others pledge.
    waiting_user = make_user()
    waiting = make_pledge(waiting_user, project, help_kinds=["shelter"], hours=3, threshold=3)
    same(project)
    assert communes(project)["Clamart"] == (1, None, 1)
    assert "shelter" not in kinds(project)
    make_pledge(make_user(), project, help_kinds=["translation"], hours=1)
    same(project)
    assert waiting.threshold_met_at is not None
    assert kinds(project) == {"transport": 2, "school": 1, "shelter": 1, "translation": 1}
    assert communes(project)["Clamart"] == (3, 9, 0)
    assert figures.project_figures(project).count == 4
    assert figures.project_figures(project).hours == 16

    # Changing a pledge moves it between communes and forms of help.
    make_pledge(second_user, project, help_kinds=["school"], hours=10, commune="92023")
    same(project)
    assert kinds(project) == {"transport": 1, "school": 2, "shelter": 1, "translation": 1}
    assert communes(project) == {"Clamart": (4, 19, 0)}

    # Follow-through: lapsed stops counting, active and fulfilled count.
    services.mark_pledge(coordinator, first, PledgeStatus.LAPSED)
    same(project)
    assert figures.project_figures(project).count == 3
    services.mark_pledge(coordinator, first, PledgeStatus.FULFILLED)
    same(project)
    assert figures.project_figures(project).count == 4

    # A withdrawal drops out; a new condition waits anew.
    services.withdraw_pledge(second_user, project)
    same(project)
    assert kinds(project) == {"transport": 1, "school": 1, "shelter": 1, "translation": 1}
    make_pledge(waiting_user, project, help_kinds=["shelter"], hours=3, threshold=50)
    same(project)
    assert communes(project) == {"Clamart": (2, None, 1)}

    # An account deleted takes its pledges out of the totals.
    pledger = first.user
    events.account_deleted.send(pledger)
    same(project)
    assert communes(project) == {"Clamart": (1, None, 1)}
    db.session.commit()


def test_the_page_reads_the_kept_totals(app, db):
    """What the page shows comes from the kept rows: the totals are not recounted."""
    project = make_project(groups_taking_part=[make_group(commune=make_commune())])
    make_pledge(make_user(), project, hours=5)
    db.session.commit()
    db.session.execute(totals.ProjectCommuneTotal.__table__.update().values(pledges=12, hours=34))
    db.session.commit()
    page = app.test_client().get(f"/projects/{project.slug}/").get_data(as_text=True)
    assert "34 heures par mois promises en tout" in page
    totals.refresh_totals(project)
    db.session.commit()
    page = app.test_client().get(f"/projects/{project.slug}/").get_data(as_text=True)
    assert "34 heures" not in page


def test_pledges_sent_at_once_leave_the_totals_right(app, db, monkeypatch):
    """Four members pledge at the same moment, each in their own connection: every refresh
    runs under the project's lock, so the last one counts the others' pledges too."""
    import time

    from tests.conftest import CSRF_RE, login_as
    from tests.test_concurrency import at_once

    project = make_project("un-toit", groups_taking_part=[make_group(commune=make_commune())])
    people = [make_user() for _ in range(4)]
    db.session.commit()
    url = "/projects/un-toit/pledge"
    pending = []
    for person in people:
        client = app.test_client()
        login_as(client, person)
        token = CSRF_RE.search(client.get(url).get_data(as_text=True)).group(1)
        data = {"csrf_token": token, "help_kinds": ["school"], "hours_per_month": "2"}
        pending.append((client, {**data, "commune": "92023"}))
    count = totals.count_totals

    def slow_count(*args, **kwargs):
        time.sleep(0.1)  # widen the window between counting and writing the rows
        return count(*args, **kwargs)

    monkeypatch.setattr(totals, "count_totals", slow_count)

    def send():
        client, data = pending.pop()
        return client.post(url, data=data).status_code

    assert at_once(4, send) == [302] * 4
    monkeypatch.setattr(totals, "count_totals", count)
    db.session.expire_all()
    assert same(project).by_kind == {next(k.id for k in project.help_kinds if k.key == "school"): 4}
    assert figures.project_figures(project).count == 4
