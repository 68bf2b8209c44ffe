"""No household data leaves the contact log: a full journey, then every mail, notification,
feed, search result, log line, error page and the volunteer's account export is read for
the pseudonym and the summary. The weekly digest says only how many households are
overdue, once a week."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from forum.contactlog import services
from forum.contactlog.models import Household
from forum.groups.models import Role
from forum.mail import OutboxMail
from forum.notifications.models import Notification
from tests.conftest import csrf_token, login_as
from tests.factories import (
    add_member,
    log_contact,
    make_group,
    make_household,
    make_pledge,
    make_project,
    make_thread,
    make_user,
)

PSEUDONYM = "Famille Xylophage"
SUMMARY = "Rendez-vous Ypsilanti à la préfecture"
SECRETS = (PSEUDONYM, "Xylophage", SUMMARY, "Ypsilanti")


def _post(client, url, data, form_url):
    return client.post(url, data={"csrf_token": csrf_token(client, form_url), **data})


def _assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} found in {where}"


def test_no_household_data_in_mails_notifications_feeds_search_logs_or_exports(
    app, db, client, runner, caplog
):
    caplog.set_level(logging.DEBUG)
    group = make_group("ldh-clamart")
    keeper = make_user(name="Kenza")
    coordinator = make_user(name="Claire")
    add_member(keeper, group, Role.KEEPER)
    add_member(coordinator, group, Role.COORDINATOR)
    project = make_project(groups_taking_part=[group])
    helper = make_user(name="Ioana")
    make_pledge(helper, project, help_kinds=("translation",))
    make_thread(coordinator, group, title="Nouvelles", body="Bonjour à tous")
    db.session.commit()
    login_as(client, keeper)
    new = "/groups/ldh-clamart/households/new"
    response = _post(
        client,
        new,
        {
            "pseudonym": PSEUDONYM,
            "adults": "2",
            "children": "1",
            "children_in_school": "0",
            "living": "camp",
            "consent": "y",
            "consent_on": services.today().isoformat(),
            "consent_how": "oral",
        },
        new,
    )
    show = response.headers["Location"]
    public_id = show.rsplit("/", 1)[1]
    _post(
        client,
        f"{show}/contacts",
        {
            "happened_on": services.today().isoformat(),
            "channel": "visit",
            "outcome": "reached",
            "summary": SUMMARY,
            "needs": ["health"],
        },
        show,
    )
    page = client.get(f"{show}?match=health").get_data(as_text=True)
    pledge_id = re.search(r'name="pledge_id" value="(\d+)"', page).group(1)
    _post(
        client,
        f"{show}/helpers",
        {"pledge_id": pledge_id, "need": "health", "body": "Pourriez-vous traduire mardi ?"},
        f"{show}?match=health",
    )
    # Overdue, then the weekly digest and every other reminder.
    db.session.execute(
        update(Household).values(
            last_contact_on=services.today() - timedelta(days=45),
            consent_on=services.today() - timedelta(days=50),
        )
    )
    db.session.commit()
    result = runner.invoke(args=["reminders", "--now", "2026-12-07T09:00+01:00"])
    assert "contact-log digest: 2 sent" in result.output, result.output
    runner.invoke(args=["outbox", "send"])
    # What others may see or receive.
    seen = []
    for mail in db.session.scalars(select(OutboxMail)):
        seen.append(f"{mail.subject}\n{mail.body_text}\n{mail.body_html}\n{mail.headers}")
    for note in db.session.scalars(select(Notification)):
        seen.append(repr(note.__dict__))
    anonymous = app.test_client()
    for url in (
        "/groups/ldh-clamart/feed.atom",
        f"/projects/{project.slug}/",
        "/groups/ldh-clamart/",
        f"/households/{public_id}",
        "/households/nothing-here",
    ):
        seen.append(anonymous.get(url).get_data(as_text=True))
    for who in (keeper, coordinator, helper):
        other = app.test_client()
        login_as(other, who)
        for url in ("/search?q=Xylophage", "/search?q=Ypsilanti"):
            # The page repeats the words searched for: no result may hold the rest.
            page = other.get(url).get_data(as_text=True)
            for words in ("Famille Xylophage", SUMMARY):
                assert words not in page, url
        seen.append(other.get("/notifications/").get_data(as_text=True))
        export = other.get("/account/export.json")
        assert export.status_code == 200
        seen.append(export.get_data(as_text=True))
    admin = make_user(admin=True)
    db.session.commit()
    other = app.test_client()
    login_as(other, admin)
    seen.append(other.get(f"/households/{public_id}").get_data(as_text=True))
    seen.append(other.get("/admin/audit").get_data(as_text=True))
    seen.append(other.get("/groups/ldh-clamart/audit").get_data(as_text=True))
    for n, text in enumerate(seen):
        _assert_clean(text, f"output {n}")
    _assert_clean("\n".join(r.getMessage() for r in caplog.records), "the log")
    export = json.loads(client.get("/account/export.json").get_data(as_text=True))
    assert export["contact_log"]["contacts_logged"] == 1
    # The keeper's own page does show them: the test reads what it should.
    assert PSEUDONYM in client.get(show).get_data(as_text=True)


def _digest_world(db):
    group = make_group("ldh-clamart")
    keeper = make_user(name="Kenza")
    add_member(keeper, group, Role.KEEPER)
    add_member(make_user(), group, Role.MEMBER)
    late = make_household(group, keeper, pseudonym=PSEUDONYM)
    log_contact(late, keeper, days_ago=40, summary=SUMMARY)
    fresh = make_household(group, keeper, pseudonym="Famille Récente")
    log_contact(fresh, keeper, days_ago=1)
    db.session.commit()
    return group, keeper


@pytest.mark.parametrize("when", ["2026-12-07T09:00+01:00"])
def test_the_weekly_digest_says_only_how_many_and_is_sent_once(app, db, runner, when):
    _group, keeper = _digest_world(db)
    early = runner.invoke(args=["reminders", "--now", "2026-12-07T06:00+01:00"])
    assert "contact-log digest: not due yet this week" in early.output
    first = runner.invoke(args=["reminders", "--now", when])
    assert "contact-log digest: 1 sent" in first.output, first.output
    again = runner.invoke(args=["reminders", "--now", "2026-12-09T10:00+01:00"])
    assert "contact-log digest: 0 sent" in again.output
    mails = db.session.scalars(
        select(OutboxMail).where(OutboxMail.template == "contactlog_digest")
    ).all()
    assert [m.recipient for m in mails] == [keeper.email]
    mail = mails[0]
    assert "1 ménage en retard" in mail.body_text
    assert "http://localhost/groups/ldh-clamart/households/" in mail.body_text
    _assert_clean(mail.subject + mail.body_text + (mail.body_html or ""), "the digest")
    next_week = runner.invoke(args=["reminders", "--now", "2026-12-14T09:00+01:00"])
    assert "contact-log digest: 1 sent" in next_week.output


def test_a_deleted_volunteer_leaves_the_households_they_followed(app, db):
    from forum import events
    from forum.contactlog.models import Contact

    group, keeper = _digest_world(db)
    events.account_deleted.send(keeper)
    db.session.commit()
    db.session.expire_all()
    assert all(h.referents == [] for h in db.session.scalars(select(Household)))
    assert all(c.author_id is None for c in db.session.scalars(select(Contact)))


def test_error_pages_of_the_log_are_not_cached_and_say_nothing(app, db, client):
    group, keeper = _digest_world(db)
    household = db.session.scalar(select(Household))
    login_as(client, keeper)
    # A stale form: the resubmit page shows the keeper's own text back, never cached,
    # and saves no draft.
    response = client.post(
        f"/households/{household.public_id}/contacts",
        data={"csrf_token": "stale", "summary": SUMMARY, "happened_on": "2026-01-01"},
    )
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store"
    from forum.discussions.models import Draft

    assert db.session.scalars(select(Draft)).all() == []
    assert datetime  # keeps the import used
