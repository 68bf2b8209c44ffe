"""Following, notifications in the site and by e-mail (real SMTP), one-click unsubscribe,
daily digests with time moved."""

from __future__ import annotations

import contextlib
import re
import threading
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from forum import events
from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.db import utcnow
from forum.discussions import services as discussions
from forum.discussions.models import Flag
from forum.extensions import db as _db
from forum.groups.models import Role
from forum.mail import OutboxMail, send_due
from forum.notifications import digest, services
from forum.notifications.models import GroupSubscription, Notification, ThreadSubscription
from tests.conftest import csrf_token, login_as, post_form
from tests.factories import add_member, make_group, make_user
from tests.services import SMTPSink

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def mail_app(make_app, smtp):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_TIMEOUT=2)
    with app.app_context():
        yield app


@pytest.fixture
def client(mail_app):
    return mail_app.test_client()


@pytest.fixture
def group(mail_app):
    return make_group("ldh-clamart", name="Section LDH de Clamart")


def person(name: str, **kwargs):
    """A member named `name`, @`name.lower()`, writing in English unless told otherwise."""
    kwargs.setdefault("locale", "en")
    return make_user(f"{name.lower()}@example.org", name=name, username=name.lower(), **kwargs)


def start(author, group, title="A roof for the winter", body="First message"):
    return discussions.create_thread(author, group, title=title, body=body)


def deliver() -> dict:
    """Commit what the services queued, then run the outbox sender once."""
    _db.session.commit()
    return send_due()


def notifications_of(user) -> list[Notification]:
    return list(
        _db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def subscription(user, thread) -> ThreadSubscription | None:
    _db.session.expire_all()
    return _db.session.get(ThreadSubscription, (user.id, thread.id))


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment given in Paris time, as the aware UTC datetime the services take."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def tomorrow_in_paris() -> date:
    return utcnow().astimezone(PARIS).date() + timedelta(days=1)


def unsubscribe_path(msg) -> str:
    header = str(msg["List-Unsubscribe"]).strip()  # a long header is folded onto a new line
    assert header.startswith("<") and header.endswith(">"), header
    return urlsplit(header[1:-1]).path


@contextlib.contextmanager
def _statements():
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(_db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)


def links(text: str) -> list[str]:
    return re.findall(r"http://localhost/\S+", text)


# --- Who is notified ---------------------------------------------------------------------


def test_a_reply_notifies_the_followers_but_never_its_author(mail_app, smtp, group):
    anne, bruno = person("Anne"), person("Bruno")
    thread = start(anne, group, body="Who can host a family this winter?")
    deliver()
    assert smtp.messages == []  # nobody follows the group: a new thread notifies no one

    post = discussions.reply(bruno, thread, body="I can, from **December** on. Call me & see.")
    deliver()
    [note] = notifications_of(anne)
    assert (note.kind, note.post_id, note.actor_id) == ("reply", post.id, bruno.id)
    assert note.mailed_at is not None
    assert notifications_of(bruno) == []  # the author is not told of their own post
    assert subscription(bruno, thread).active  # repliers follow automatically

    [msg] = smtp.to("anne@example.org")
    assert msg["Subject"] == "New reply in “A roof for the winter”"
    text = SMTPSink.text(msg)
    assert "Hello Anne," in text
    assert "Bruno replied in “A roof for the winter” (Section LDH de Clamart)" in text
    assert "I can, from December on. Call me & see." in text  # plain text, not HTML
    assert f"http://localhost/posts/{post.id}" in text
    assert "http://localhost/unsubscribe/" in text

    discussions.reply(anne, thread, body="Thank you Bruno")
    deliver()
    assert [n.kind for n in notifications_of(bruno)] == ["reply"]
    assert len(notifications_of(anne)) == 1  # not told of her own reply
    assert len(smtp.to("anne@example.org")) == 1 and len(smtp.to("bruno@example.org")) == 1


def test_a_new_thread_notifies_the_members_following_the_group(mail_app, smtp, group):
    anne, carla, dan = person("Anne"), person("Carla"), person("Dan")
    services.follow_group(carla, group)
    services.follow_group(anne, group)  # the author follows too: still not told of her own
    thread = start(anne, group, title="Meeting with the town hall", body="Thursday, 6 pm.")
    deliver()

    assert [n.kind for n in notifications_of(carla)] == ["new_thread"]
    assert notifications_of(anne) == [] and notifications_of(dan) == []
    [msg] = smtp.to("carla@example.org")
    assert msg["Subject"] == "New thread in Section LDH de Clamart: Meeting with the town hall"
    assert "Thursday, 6 pm." in SMTPSink.text(msg)

    # Following a group brings its new threads, not every reply in them.
    discussions.reply(dan, thread, body="I will come")
    deliver()
    assert len(notifications_of(carla)) == 1

    # Its one-click link stops the group's new threads, not just this one.
    response = mail_app.test_client().post(unsubscribe_path(msg))
    assert response.status_code == 200
    assert _db.session.get(GroupSubscription, (carla.id, group.id)) is None


def test_a_mention_notifies_once_even_a_follower(mail_app, smtp, group):
    anne, bruno, carla = person("Anne"), person("Bruno"), person("Carla")
    gone = person("Gone")
    gone.deleted_at = utcnow()
    thread = start(anne, group)
    discussions.reply(bruno, thread, body="I follow this thread now")
    deliver()
    smtp.messages.clear()

    post = discussions.reply(
        anne,
        thread,
        body="@bruno and @Carla, can you come? @nobody @gone @anne `@carla` in code",
    )
    deliver()

    # Bruno follows and is mentioned: one notification, the mention, and one mail.
    assert [(n.kind, n.post_id) for n in notifications_of(bruno)][-1:] == [("mention", post.id)]
    assert len([n for n in notifications_of(bruno) if n.post_id == post.id]) == 1
    assert [n.kind for n in notifications_of(carla)] == ["mention"]
    assert notifications_of(gone) == []
    assert [n for n in notifications_of(anne) if n.post_id == post.id] == []  # her own
    [to_bruno] = smtp.to("bruno@example.org")
    [to_carla] = smtp.to("carla@example.org")
    assert to_bruno["Subject"] == "Anne mentioned you in “A roof for the winter”"
    assert "Anne mentioned you in" in SMTPSink.text(to_carla)
    assert len(smtp.messages) == 2


def test_a_mass_mention_notifies_only_the_first_few(mail_app, group):
    anne = person("Anne")
    crowd = [person(f"Member{i:02d}", notify="never") for i in range(services.MAX_MENTIONS + 5)]
    thread = start(anne, group, body=" ".join(f"@{u.username}" for u in crowd))
    _db.session.commit()
    count = _db.session.scalar(
        select(func.count(Notification.id)).where(Notification.thread_id == thread.id)
    )
    assert count == services.MAX_MENTIONS


def test_an_edit_notifies_new_mentions_never_twice(mail_app, smtp, group):
    anne, bruno, carla = person("Anne"), person("Bruno"), person("Carla")
    thread = start(anne, group)
    discussions.reply(bruno, thread, body="Following")
    post = discussions.reply(anne, thread, body="A reply")  # Bruno is told: a reply
    deliver()
    smtp.messages.clear()

    discussions.edit_post(anne, post, body="A reply, @carla")
    deliver()
    assert [n.kind for n in notifications_of(carla)] == ["mention"]
    assert len(smtp.to("carla@example.org")) == 1

    discussions.edit_post(anne, post, body="A reply")
    discussions.edit_post(anne, post, body="A reply, @carla, again")
    # Bruno already heard of this post (a reply): the mention adds nothing.
    discussions.edit_post(anne, post, body="A reply, @carla, again, and @bruno")
    deliver()
    assert len(notifications_of(carla)) == 1
    assert [n.kind for n in notifications_of(bruno) if n.post_id == post.id] == ["reply"]
    assert len(smtp.messages) == 1


def test_who_may_not_see_a_hidden_thread_is_not_told_of_it(mail_app, smtp, group):
    anne, bruno, coord = person("Anne"), person("Bruno"), person("Coord")
    add_member(coord, group, Role.COORDINATOR)
    thread = start(anne, group)
    discussions.reply(bruno, thread, body="Following")
    discussions.set_thread_hidden(coord, thread, True, "Personal data")
    deliver()
    before = len(notifications_of(anne))

    discussions.reply(coord, thread, body="@bruno, this stays between moderators")
    deliver()
    assert len(notifications_of(anne)) == before
    assert [n.kind for n in notifications_of(bruno)] == []
    assert smtp.to("bruno@example.org") == []


def test_unverified_and_suspended_members_are_told_on_the_site_only(mail_app, smtp, group):
    anne = person("Anne")
    new = person("New", verified=False)
    banned = person("Banned", suspended=True)
    thread = start(anne, group)
    services.follow_thread(new, thread)
    services.follow_thread(banned, thread)
    discussions.reply(anne, thread, body="News")
    deliver()
    assert [n.kind for n in notifications_of(new)] == ["reply"]
    assert [n.kind for n in notifications_of(banned)] == ["reply"]
    assert all(n.mailed_at is None for n in notifications_of(new) + notifications_of(banned))
    assert smtp.messages == []


def test_who_stopped_following_is_never_followed_again_automatically(mail_app, smtp, group):
    anne, bruno = person("Anne"), person("Bruno")
    thread = start(anne, group)
    discussions.reply(bruno, thread, body="First")
    services.unfollow_thread(bruno, thread)
    discussions.reply(bruno, thread, body="Second: I still do not want mail")
    discussions.reply(anne, thread, body="Anyone?")
    deliver()
    assert subscription(bruno, thread).active is False
    assert notifications_of(bruno) == []
    assert smtp.to("bruno@example.org") == []


# --- Unsubscribing -----------------------------------------------------------------------


def test_the_one_click_link_stops_mail_for_the_thread(mail_app, smtp, client, group):
    anne, bruno = person("Anne"), person("Bruno")
    thread = start(anne, group)
    discussions.reply(bruno, thread, body="Hello")
    deliver()
    [msg] = smtp.to("anne@example.org")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Auto-Submitted"] == "auto-generated"
    path = unsubscribe_path(msg)
    assert path.startswith("/unsubscribe/") and len(str(msg["List-Unsubscribe"])) < 200
    assert f"http://localhost{path}" in SMTPSink.text(msg)
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert f"http://localhost{path}" in html

    # Opening the link (or a mail scanner fetching it) only asks.
    page = client.get(path)
    assert page.status_code == 200
    assert "Stop following “A roof for the winter”" in page.get_data(as_text=True)
    assert subscription(anne, thread).active

    # The mail client's one-click POST: no session, no CSRF token (CSRF is on here).
    assert mail_app.config.get("WTF_CSRF_ENABLED", True)
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert subscription(anne, thread).active is False
    assert client.post(path).status_code == 200  # twice is harmless

    discussions.reply(bruno, thread, body="Hello again")
    discussions.reply(bruno, thread, body="@anne are you there?")  # a muted thread: no mail
    deliver()
    assert [n.kind for n in notifications_of(anne)] == ["reply", "mention"]
    assert len(smtp.to("anne@example.org")) == 1


def test_the_second_link_stops_all_notification_mail(mail_app, smtp, client, group):
    anne, bruno = person("Anne"), person("Bruno")
    thread = start(anne, group)
    discussions.reply(bruno, thread, body="Hello")
    deliver()
    [msg] = smtp.to("anne@example.org")
    thread_link, all_link = (u for u in links(SMTPSink.text(msg)) if "/unsubscribe/" in u)
    assert thread_link != all_link
    page = client.get(urlsplit(all_link).path).get_data(as_text=True)
    assert "Stop all notification e-mails?" in page

    assert client.post(urlsplit(all_link).path).status_code == 200
    _db.session.refresh(anne)
    assert anne.notify_email == "never"
    assert subscription(anne, thread).active  # still followed: told on the site

    discussions.reply(bruno, thread, body="Hello again")
    deliver()
    assert len(notifications_of(anne)) == 2 and len(smtp.to("anne@example.org")) == 1


def test_a_forged_or_foreign_token_changes_nothing(mail_app, client, group):
    anne = person("Anne")
    thread = start(anne, group)
    _db.session.commit()
    good = services.unsubscribe_token(anne, services.SCOPE_THREAD, thread.id)
    for token in ("nonsense", good[:-2] + "xx", good.replace(".", "", 1)):
        assert client.post(f"/unsubscribe/{token}").status_code == 400
        assert client.get(f"/unsubscribe/{token}").status_code == 400
    # A token signed for another purpose (another salt) is refused too.
    from itsdangerous import URLSafeSerializer

    other = URLSafeSerializer(mail_app.config["SECRET_KEY"], salt="verify-email").dumps(
        [anne.id, "a", 0]
    )
    assert client.post(f"/unsubscribe/{other}").status_code == 400
    _db.session.refresh(anne)
    assert anne.notify_email == "immediate" and subscription(anne, thread).active


# --- Language ----------------------------------------------------------------------------


def test_mail_is_written_in_the_recipients_language(mail_app, smtp, group):
    author = person("Anne")
    english = person("Eddie", locale="en")
    french = person("Francoise", locale="fr")
    thread = start(author, group)
    services.follow_thread(english, thread)
    services.follow_thread(french, thread)
    discussions.reply(author, thread, body="Any news?")
    deliver()
    [en] = smtp.to("eddie@example.org")
    [fr] = smtp.to("francoise@example.org")
    assert en["Subject"] == "New reply in “A roof for the winter”"
    assert "Hello Eddie," in SMTPSink.text(en)
    assert '<html lang="en">' in en.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="fr">' in fr.get_body(preferencelist=("html",)).get_content()


# --- Daily digest ------------------------------------------------------------------------


def test_the_digest_goes_once_a_day_at_the_hour_grouped_per_thread(mail_app, smtp, group):
    dora = person("Dora", notify="daily")
    anne, bruno = person("Anne"), person("Bruno")
    housing = start(dora, group, title="Housing")
    school = start(dora, group, title="School enrolment")
    discussions.reply(anne, housing, body="First housing reply")
    discussions.reply(bruno, housing, body="Second housing reply")
    discussions.reply(anne, school, body="The school answered")
    deliver()
    assert smtp.to("dora@example.org") == []  # daily: nothing at once
    assert len(notifications_of(dora)) == 3

    day = tomorrow_in_paris()
    before = services.send_digests(paris(day, 6, 59))
    assert not before.due
    deliver()
    assert smtp.to("dora@example.org") == []

    run = services.send_digests(paris(day, 7, 0))
    assert (run.sent, run.notifications) == (1, 3)
    deliver()
    [digest] = smtp.to("dora@example.org")
    assert digest["Subject"] == "Your daily digest: 3 new notifications"
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = SMTPSink.text(digest)
    # One section per thread, the liveliest first, each with its items.
    assert text.index("== School enrolment") < text.index("== Housing")
    housing_part = text[text.index("== Housing") :]
    assert "Anne replied: First housing reply" in housing_part
    assert "Bruno replied: Second housing reply" in housing_part
    assert text.count("== ") == 2
    assert all(n.mailed_at is not None for n in notifications_of(dora))
    _db.session.refresh(dora)
    assert dora.last_digest_on == day

    # The same day, later: nothing more, even with something new.
    discussions.reply(bruno, school, body="Enrolment is on Monday")
    _db.session.commit()
    assert services.send_digests(paris(day, 7, 0)).sent == 0
    assert services.send_digests(paris(day, 23, 59)).sent == 0
    deliver()
    assert len(smtp.to("dora@example.org")) == 1

    # The next day: only what is new.
    next_day = day + timedelta(days=1)
    assert services.send_digests(paris(next_day, 6, 0)).sent == 0
    assert services.send_digests(paris(next_day, 8, 30)).sent == 1
    deliver()
    second = smtp.to("dora@example.org")[1]
    assert second["Subject"] == "Your daily digest: 1 new notification"
    text = SMTPSink.text(second)
    assert "Enrolment is on Monday" in text
    assert "housing reply" not in text and "The school answered" not in text

    # A day with nothing new: no mail.
    assert services.send_digests(paris(next_day + timedelta(days=1), 7, 0)).sent == 0
    deliver()
    assert len(smtp.to("dora@example.org")) == 2


def test_an_empty_morning_sends_nothing_and_what_comes_later_waits(mail_app, smtp, group):
    dora = person("Dora", notify="daily")
    anne = person("Anne")
    thread = start(dora, group)
    _db.session.commit()
    day = tomorrow_in_paris()

    run = services.send_digests(paris(day, 7, 0))
    assert (run.users, run.sent) == (2, 0)  # Dora and Anne: nothing to send, the day is used
    _db.session.refresh(dora)
    assert dora.last_digest_on == day  # the day's slot is used, without mail

    discussions.reply(anne, thread, body="Late news")
    _db.session.commit()
    assert services.send_digests(paris(day, 11, 0)).sent == 0  # waits for the fixed hour
    assert services.send_digests(paris(day + timedelta(days=1), 7, 0)).sent == 1
    deliver()
    [digest] = smtp.to("dora@example.org")
    assert "Late news" in SMTPSink.text(digest)


def test_no_digest_for_never_unverified_or_immediate_members(mail_app, smtp, group):
    anne = person("Anne")
    never = person("Never", notify="never")
    unverified = person("Unverified", notify="daily", verified=False)
    thread = start(anne, group)
    for user in (never, unverified):
        services.follow_thread(user, thread)
    discussions.reply(anne, thread, body="News")
    _db.session.commit()
    day = tomorrow_in_paris()
    run = services.send_digests(paris(day, 9, 0))
    assert run.sent == 0
    deliver()
    assert smtp.messages == []
    assert len(notifications_of(never)) == 1 and len(notifications_of(unverified)) == 1

    # Once verified, what waited goes in the next day's digest.
    unverified.email_verified_at = utcnow()
    _db.session.commit()
    assert services.send_digests(paris(day + timedelta(days=1), 9, 0)).sent == 1


def test_a_deleted_post_is_left_out_and_an_all_deleted_digest_is_not_sent(mail_app, smtp, group):
    dora = person("Dora", notify="daily")
    anne = person("Anne")
    thread = start(dora, group)
    post = discussions.reply(anne, thread, body="Oops, wrong thread")
    discussions.delete_post(anne, post)
    _db.session.commit()
    assert services.send_digests(paris(tomorrow_in_paris(), 7, 0)).sent == 0
    deliver()
    assert smtp.messages == []
    assert all(n.mailed_at is not None for n in notifications_of(dora))  # settled


def test_switching_from_daily_to_immediate_sends_what_was_pending(mail_app, smtp, group):
    dora = person("Dora", notify="daily")
    anne = person("Anne")
    thread = start(dora, group)
    discussions.reply(anne, thread, body="Pending one")
    discussions.reply(anne, thread, body="Pending two")
    _db.session.commit()

    accounts.update_account(dora, display_name="Dora", locale="en", notify_email="immediate")
    deliver()
    [summary] = smtp.to("dora@example.org")
    assert summary["Subject"] == "Notifications since your last digest"
    assert "Pending one" in SMTPSink.text(summary) and "Pending two" in SMTPSink.text(summary)
    assert all(n.mailed_at is not None for n in notifications_of(dora))

    discussions.reply(anne, thread, body="Now at once")
    deliver()
    assert len(smtp.to("dora@example.org")) == 2
    assert services.send_digests(paris(tomorrow_in_paris(), 7, 0)).sent == 0
    deliver()
    assert len(smtp.to("dora@example.org")) == 2


def test_the_reminders_command_runs_the_digest_once(mail_app, smtp, group):
    dora = person("Dora", notify="daily")
    thread = start(dora, group)
    discussions.reply(person("Anne"), thread, body="Hello")
    _db.session.commit()
    runner = mail_app.test_cli_runner()
    day = tomorrow_in_paris()

    early = runner.invoke(args=["reminders", "--now", paris(day, 6, 30).isoformat()])
    assert early.exit_code == 0, early.output
    assert "daily digests: not due before 07:00" in early.output
    first = runner.invoke(args=["reminders", "--now", paris(day, 7, 5).isoformat()])
    assert "daily digests: 1 sent (1 notifications)" in first.output, first.output
    again = runner.invoke(args=["reminders", "--now", paris(day, 7, 15).isoformat()])
    assert "daily digests: 0 sent" in again.output
    assert runner.invoke(args=["reminders", "--now", "yesterday"]).exit_code != 0
    assert runner.invoke(args=["reminders"]).exit_code == 0  # the real clock
    _db.session.expire_all()
    digests = _db.session.scalars(select(OutboxMail).where(OutboxMail.template == "digest"))
    assert len(digests.all()) == 1


def test_the_digest_hour_is_a_setting(make_app):
    app = make_app(DIGEST_HOUR=18)
    with app.app_context():
        day = tomorrow_in_paris()
        assert services.digest_day(paris(day, 17, 59)) is None
        assert services.digest_day(paris(day, 18, 0)) == day
        # Paris days, not UTC days: 00:30 in Paris is still the evening before in UTC.
        assert services.digest_day(paris(day, 23, 30)) == day


@pytest.mark.postgres
def test_two_digest_runs_at_once_send_one_mail(postgres_app, smtp, monkeypatch):
    app = postgres_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with app.app_context():
        group = make_group("ldh-clamart")
        dora = person("Dora", notify="daily")
        thread = start(dora, group)
        discussions.reply(person("Anne"), thread, body="One")
        discussions.reply(person("Bruno"), thread, body="Two")
        _db.session.commit()
        _db.session.remove()

    # Both runs list Dora as due before either claims her day: only the claim can stop one.
    barrier = threading.Barrier(2)
    original = digest._send_digest

    def claim_together(*args):
        barrier.wait(timeout=10)
        return original(*args)

    monkeypatch.setattr(digest, "_send_digest", claim_together)
    now = paris(tomorrow_in_paris(), 7, 0)
    runs = []

    def run():
        with app.app_context():
            runs.append(services.send_digests(now))
            _db.session.remove()

    workers = [threading.Thread(target=run) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=30)

    assert sorted(r.sent for r in runs) == [0, 1]
    assert sum(r.failed for r in runs) == 0
    with app.app_context():
        send_due()
        digests = _db.session.scalars(select(OutboxMail).where(OutboxMail.template == "digest"))
        assert len(digests.all()) == 1
    [mail] = smtp.to("dora@example.org")
    assert "One" in SMTPSink.text(mail) and "Two" in SMTPSink.text(mail)


# --- Pages: follow buttons, the list, the header -----------------------------------------


def test_following_and_unfollowing_a_thread(mail_app, client, group):
    anne, bruno = person("Anne"), person("Bruno")
    thread = start(anne, group)
    _db.session.commit()
    url = f"/threads/{thread.id}/subscription"

    visitor = client.post(url, data={"action": "subscribe"})
    assert visitor.status_code == 302 and visitor.headers["Location"].startswith("/auth/login")
    assert "Follow" not in client.get(f"/threads/{thread.id}").get_data(as_text=True)

    login_as(client, bruno)
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert '<button type="submit" class="secondary">Follow</button>' in page
    back = f"/threads/{thread.id}?page=1"
    response = post_form(
        client, url, {"action": "subscribe", "next": back}, form_url=f"/threads/{thread.id}"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/threads/{thread.id}?page=1"
    assert subscription(bruno, thread).active
    assert "Stop following" in client.get(f"/threads/{thread.id}").get_data(as_text=True)

    post_form(client, url, {"action": "unsubscribe"}, form_url=f"/threads/{thread.id}")
    assert subscription(bruno, thread).active is False

    # Without a token nothing changes; an unknown action is a bad request.
    client.post(url, data={"action": "subscribe"})
    assert subscription(bruno, thread).active is False
    bad = post_form(client, url, {"action": "shout"}, form_url=f"/threads/{thread.id}")
    assert bad.status_code == 400
    assert client.post("/threads/999999/subscription").status_code == 404


def test_a_hidden_thread_cannot_be_followed(mail_app, client, group):
    anne, coord = person("Anne"), person("Coord")
    add_member(coord, group, Role.COORDINATOR)
    thread = start(anne, group)
    discussions.set_thread_hidden(coord, thread, True, "Spam")
    bruno = person("Bruno")
    _db.session.commit()
    login_as(client, bruno)
    token = csrf_token(client, "/")
    response = client.post(
        f"/threads/{thread.id}/subscription", data={"csrf_token": token, "action": "subscribe"}
    )
    assert response.status_code == 404
    assert subscription(bruno, thread) is None


def test_following_and_unfollowing_a_group(mail_app, client, group):
    bruno = person("Bruno")
    _db.session.commit()
    url = "/groups/ldh-clamart/subscription"
    assert client.post(url, data={"action": "subscribe"}).status_code == 302
    assert "Follow the new threads" not in client.get("/groups/ldh-clamart/").get_data(as_text=True)

    login_as(client, bruno)
    assert "Follow the new threads" in client.get("/groups/ldh-clamart/").get_data(as_text=True)
    response = post_form(client, url, {"action": "subscribe"}, form_url="/groups/ldh-clamart/")
    assert response.headers["Location"] == "/groups/ldh-clamart/"
    assert _db.session.get(GroupSubscription, (bruno.id, group.id)) is not None
    post_form(client, url, {"action": "subscribe"}, form_url="/groups/ldh-clamart/")  # twice
    page = client.get("/groups/ldh-clamart/").get_data(as_text=True)
    assert "You are notified of new threads in this group." in page

    post_form(client, url, {"action": "unsubscribe"}, form_url="/groups/ldh-clamart/")
    _db.session.expire_all()
    assert _db.session.get(GroupSubscription, (bruno.id, group.id)) is None
    assert client.post("/groups/nowhere/subscription").status_code == 404


def test_the_list_groups_a_threads_replies_and_reading_marks_them_read(mail_app, client, group):
    anne, bruno, carla = person("Anne", notify="never"), person("Bruno"), person("Carla")
    thread = start(anne, group, title="Food bank")
    posts = [discussions.reply(bruno, thread, body=f"Reply {i} here") for i in range(27)]
    school = start(anne, group, title="School")
    discussions.reply(carla, school, body="The school answered")
    _db.session.commit()
    assert client.get("/notifications").status_code == 302  # sign in first

    login_as(client, anne)
    page = client.get("/notifications").get_data(as_text=True)
    assert 'href="/notifications">Notifications <span class="tag tag-new">28<' in page
    # 27 replies are one line, at the first unread one; a single reply keeps its own line.
    assert page.count("27 new replies in “Food bank”") == 1
    assert "Bruno replied in" not in page and "Reply 0 here" in page
    assert "Carla replied in “School”" in page
    assert page.index("Carla replied in") < page.index("27 new replies")  # newest first
    first = notifications_of(anne)[0]
    assert f'href="/notifications/{first.id}"' in page
    response = client.get(f"/notifications/{first.id}")
    assert response.headers["Location"] == f"/posts/{posts[0].id}"

    # Reading the thread up to the tenth reply marks those read, in one UPDATE.
    number, _, _ = posts[9].number, thread.id, anne.id  # loaded before counting
    with _statements() as sent:
        events.thread_read.send(thread, user=anne, number=number)
    assert len(sent) == 1 and sent[0].lstrip().upper().startswith("UPDATE")
    _db.session.commit()
    assert services.unread_count(anne) == 18  # 17 in Food bank, 1 in School
    page = client.get("/notifications").get_data(as_text=True)
    assert "17 new replies in “Food bank”" in page and "Reply 10 here" in page
    assert "10 replies in “Food bank”" in page and "Reply 0 here" not in page

    other = person("Other")
    _db.session.commit()
    other_client = mail_app.test_client()
    login_as(other_client, other)
    assert other_client.get(f"/notifications/{first.id}").status_code == 404  # not theirs

    response = post_form(client, "/notifications/read", {}, form_url="/notifications")
    assert response.status_code == 302
    assert services.unread_count(anne) == 0
    page = client.get("/notifications").get_data(as_text=True)
    assert 'href="/notifications">Notifications</a>' in page
    assert "27 replies in “Food bank”" in page


def test_the_list_pages_what_it_cannot_group(mail_app, client, group):
    anne, bruno = person("Anne", notify="never"), person("Bruno")
    thread = start(bruno, group, title="Roll call")
    for i in range(services.NOTIFICATIONS_PER_PAGE + 1):
        discussions.reply(bruno, thread, body=f"@anne call {i}")
    login_as(client, anne)
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count("Bruno mentioned you in “Roll call”") == services.NOTIFICATIONS_PER_PAGE
    assert 'href="/notifications?page=2"' in page
    second = client.get("/notifications?page=2").get_data(as_text=True)
    assert second.count("Bruno mentioned you in “Roll call”") == 1
    assert "call 0" in second


def test_a_visitors_pages_run_no_notification_query(mail_app, client, group):
    anne = person("Anne")
    thread = start(anne, group)
    _db.session.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        for url in ("/", "/groups/ldh-clamart/", f"/threads/{thread.id}"):
            assert client.get(url).status_code == 200
        visitor = [s for s in statements if re.search(r"notifications|_subscriptions", s)]
        assert visitor == []

        login_as(client, anne)
        statements.clear()
        client.get(f"/threads/{thread.id}?page=1")
        member = [s for s in statements if re.search(r"notifications|_subscriptions", s)]
        assert len(member) == 2  # the unread count and the follow button, one each
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)


def test_the_account_page_sets_how_mail_arrives(mail_app, client):
    user = User(email="paul@example.org", display_name="Paul", username="paul", locale="en")
    user.password_hash = make_user().password_hash
    user.email_verified_at = utcnow()
    _db.session.add(user)
    _db.session.flush()
    assert user.notify_email == "default"  # new accounts get the default
    _db.session.commit()
    login_as(client, user)
    page = client.get("/account/").get_data(as_text=True)
    assert 'name="notify_email"' in page and "Only a daily digest" in page
    assert '<option selected value="default">Recommended: mentions' in page
    response = post_form(
        client, "/account/", {"display_name": "Paul", "locale": "en", "notify_email": "never"}
    )
    assert response.status_code == 302
    _db.session.refresh(user)
    assert user.notify_email == "never"
    bad = post_form(
        client, "/account/", {"display_name": "Paul", "locale": "en", "notify_email": "hourly"}
    )
    assert bad.status_code == 200 and user.notify_email == "never"
    assert _db.session.scalar(select(func.count(Notification.id))) == 0


# --- The default: what concerns the member at once, the rest in the digest ----------------


def test_by_default_what_concerns_the_member_is_mailed_at_once_the_rest_waits(
    mail_app, smtp, group
):
    dora = person("Dora", notify="default")
    anne, bruno = person("Anne", notify="never"), person("Bruno", notify="never")
    services.follow_group(dora, group)
    own = start(dora, group, title="Dora's thread")
    followed = start(bruno, group, title="Bruno's thread")  # a followed group's new thread
    services.follow_thread(dora, followed)
    deliver()
    assert smtp.to("dora@example.org") == []

    discussions.reply(anne, own, body="An answer to Dora")  # a reply in her own thread
    discussions.reply(anne, followed, body="Plain news in a followed thread")
    deliver()
    [first] = smtp.to("dora@example.org")
    assert first["Subject"] == "New reply in “Dora's thread”"

    discussions.reply(bruno, followed, body="@dora what do you think?")  # a mention
    deliver()
    assert smtp.to("dora@example.org")[1]["Subject"] == "Bruno mentioned you in “Bruno's thread”"

    # A quote names the quoted member's @handle: a mention.
    third = start(anne, group, title="Third")
    hers = discussions.reply(dora, third, body="My view")
    events.thread_read.send(third, user=dora, number=hers.number)  # as replying does
    discussions.reply(anne, third, body=discussions.quote_text(hers) + "Agreed")
    deliver()
    quoted = smtp.to("dora@example.org")
    assert len(quoted) == 3 and quoted[2]["Subject"] == "Anne mentioned you in “Third”"

    # The next morning's digest brings the rest, and only the rest.
    assert services.send_digests(paris(tomorrow_in_paris(), 7, 0)).sent == 1
    deliver()
    digest_mail = smtp.to("dora@example.org")[3]
    text = SMTPSink.text(digest_mail)
    assert "Bruno started the thread:" in text and "Plain news in a followed thread" in text
    assert "An answer to Dora" not in text and "what do you think" not in text
    assert digest_mail["Subject"] == "Your daily digest: 2 new notifications"


def test_one_mail_per_thread_until_the_member_comes_back(mail_app, smtp, group):
    dora = person("Dora", notify="default")
    anne = person("Anne")
    thread = start(dora, group, title="Housing")
    for i in range(27):
        discussions.reply(anne, thread, body=f"Reply number {i}")
    deliver()
    assert len(smtp.to("dora@example.org")) == 1  # not 27
    assert len(notifications_of(dora)) == 27

    # She comes back and reads the first ten: the next reply mails again, once.
    events.thread_read.send(thread, user=dora, number=11)
    discussions.reply(anne, thread, body="Back at once")
    discussions.reply(anne, thread, body="But only once")
    deliver()
    mails = smtp.to("dora@example.org")
    assert len(mails) == 2 and "Back at once" in SMTPSink.text(mails[1])

    events.thread_read.send(thread, user=dora, number=thread.last_number)
    later = discussions.reply(anne, thread, body="Later, at once")
    discussions.reply(anne, thread, body="Held back")
    deliver()
    assert len(smtp.to("dora@example.org")) == 3

    # The digest skips what she read on the site: only the last held-back reply is left.
    assert services.send_digests(paris(tomorrow_in_paris(), 7, 0)).notifications == 1
    deliver()
    text = SMTPSink.text(smtp.to("dora@example.org")[3])
    assert "Held back" in text and "Reply number" not in text and "only once" not in text

    # She read the reply that had its own mail; the digest is no such mail: the next mails.
    events.thread_read.send(thread, user=dora, number=later.number)
    discussions.reply(anne, thread, body="After the digest")
    deliver()
    assert "After the digest" in SMTPSink.text(smtp.to("dora@example.org")[4])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_app(request, tmp_path):
    """An app on an empty database of each engine, for migrations."""
    from forum import create_app
    from tests.conftest import PostgresSchema, base_config

    config = base_config(tmp_path, None)
    if request.param == "sqlite":
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'old.sqlite3'}"
        yield create_app(config)
        return
    from tests.services import POSTGRES_URI, need, postgres_available

    need(postgres_available(), "PostgreSQL is not reachable on 127.0.0.1:5432")
    schema = PostgresSchema(POSTGRES_URI)
    config["SQLALCHEMY_DATABASE_URI"] = POSTGRES_URI
    config["SQLALCHEMY_ENGINE_OPTIONS"] = schema.engine_options()
    app = create_app(config)
    try:
        yield app
    finally:
        with app.app_context():
            _db.engine.dispose()
        schema.drop()


def test_upgrading_gives_old_notifications_a_subject_and_old_members_the_new_default(empty_app):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    app = empty_app
    old = "0006_search_scope"
    rows = [
        "INSERT INTO users (id, email, display_name, username, password_hash, is_admin, "
        "session_token, notify_email, created_at) VALUES "
        "(1, 'a@b.fr', 'A', 'a', 'x', false, 't1', 'immediate', '2026-01-01 00:00:00'), "
        "(2, 'b@b.fr', 'B', 'b', 'x', false, 't2', 'daily', '2026-01-01 00:00:00')",
        "INSERT INTO groups (id, name, slug, description, created_at) "
        "VALUES (1, 'G', 'g', '', '2026-01-01 00:00:00')",
        "INSERT INTO threads (id, group_id, author_id, title, is_pinned, post_count, "
        "last_number, last_posted_at, created_at) "
        "VALUES (1, 1, 2, 'T', false, 1, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        "INSERT INTO posts (id, thread_id, author_id, number, body, body_html, edit_count, "
        "created_at) VALUES (1, 1, 2, 1, 'b', '<p>b</p>', 0, '2026-01-01 00:00:00')",
        "INSERT INTO notifications (id, user_id, kind, thread_id, post_id, created_at) VALUES "
        "(1, 1, 'reply', 1, 1, '2026-01-02 00:00:00'), "
        "(2, 2, 'reply', 1, 1, '2026-01-02 00:00:00')",
    ]
    with app.app_context():
        upgrade(revision=old)
        with _db.engine.begin() as conn:
            for row in rows:
                conn.execute(text(row))
        upgrade()
        with _db.engine.connect() as conn:
            users = conn.execute(text("SELECT id, notify_email FROM users ORDER BY id")).all()
            notes = conn.execute(
                text(
                    "SELECT id, subject_type, subject_id, mailed_at IS NOT NULL "
                    "FROM notifications ORDER BY id"
                )
            ).all()
            conn.execute(
                text(
                    "INSERT INTO notifications (id, user_id, kind, subject_type, subject_id, "
                    "post_id, mailed_at_once, created_at) "
                    "VALUES (3, 1, 'flagged', 'flag', 9, 1, false, '2026-01-03')"
                )
            )
            conn.commit()
        assert [tuple(u) for u in users] == [(1, "default"), (2, "daily")]
        # The old default's unmailed notification would never have been mailed: settled.
        # The daily member's still waits for their digest.
        assert [tuple(n) for n in notes] == [(1, "post", 1, 1), (2, "post", 1, 0)]

        downgrade(revision=old)
        with _db.engine.connect() as conn:
            users = conn.execute(text("SELECT id, notify_email FROM users ORDER BY id")).all()
            kept = conn.execute(text("SELECT id FROM notifications ORDER BY id")).all()
        assert [tuple(u) for u in users] == [(1, "immediate"), (2, "daily")]
        assert [tuple(n) for n in kept] == [(1,), (2,)]  # the threadless report is gone


# --- Reports and moderation -------------------------------------------------------------


def flagged(post, reporter) -> None:
    """Send post_flagged for the reporter's flag, as `discussions.flag_post` does once the
    lead's change lands (the route then sends it too: told once all the same)."""
    _db.session.expire_all()
    flag = _db.session.scalar(
        select(Flag).where(Flag.post_id == post.id, Flag.user_id == reporter.id)
    )
    events.post_flagged.send(flag)
    _db.session.commit()


def kinds_of(user) -> list[str]:
    _db.session.expire_all()
    return [n.kind for n in notifications_of(user)]


@pytest.fixture
def moderated(mail_app, group):
    """Anne writes in a group that Coord and Cora coordinate; Bruno, Carla and Dan read."""
    cast = {name: person(name) for name in ("Anne", "Bruno", "Carla", "Dan", "Coord", "Cora")}
    for name in ("Coord", "Cora"):
        add_member(cast[name], group, Role.COORDINATOR)
    add_member(cast["Carla"], group)
    thread = start(cast["Anne"], group, title="Winter")
    post = discussions.reply(cast["Anne"], thread, body="Something rude")
    deliver()
    return cast, thread, post


def test_a_report_tells_the_coordinators_once_without_the_reporters_words(
    mail_app, smtp, moderated
):
    cast, thread, post = moderated
    cast["Cora"].notify_email = "daily"
    smtp.messages.clear()
    bruno = mail_app.test_client()
    login_as(bruno, cast["Bruno"])
    flag_url = f"/posts/{post.id}/flag"
    assert post_form(bruno, flag_url, {"reason": "SECRET words"}).status_code == 302
    flagged(post, cast["Bruno"])

    assert kinds_of(cast["Coord"]) == kinds_of(cast["Cora"]) == ["flagged"]
    assert [kinds_of(cast[n]) for n in ("Anne", "Bruno", "Carla")] == [[], [], []]
    deliver()
    [mail] = smtp.to("coord@example.org")
    assert mail["Subject"] == "A message was reported in Section LDH de Clamart"
    text, html = SMTPSink.text(mail), mail.get_body(preferencelist=("html",)).get_content()
    assert "http://localhost/groups/ldh-clamart/flags" in text
    assert "SECRET" not in text + html + str(mail["Subject"])
    coord = mail_app.test_client()
    login_as(coord, cast["Coord"])
    page = coord.get("/notifications").get_data(as_text=True)
    assert "A message in “Winter” was reported to the moderators of Section LDH" in page
    assert "SECRET" not in page and "Bruno" not in page  # nor who reported it

    # A second report while the first is open: the coordinators know already.
    carla = mail_app.test_client()
    login_as(carla, cast["Carla"])
    post_form(carla, flag_url, {"reason": "SECRET too"})
    flagged(post, cast["Carla"])
    deliver()
    assert kinds_of(cast["Coord"]) == ["flagged"] and len(smtp.to("coord@example.org")) == 1

    # Once the reports are closed, a new one is news again.
    form = "/groups/ldh-clamart/flags"
    post_form(coord, f"/posts/{post.id}/dismiss-flags", {}, form_url=form)
    dan = mail_app.test_client()
    login_as(dan, cast["Dan"])
    post_form(dan, flag_url, {"reason": "SECRET again"})
    flagged(post, cast["Dan"])
    assert kinds_of(cast["Coord"]) == kinds_of(cast["Cora"]) == ["flagged", "flagged"]

    # Nor does the digest of a coordinator who chose one.
    assert services.send_digests(paris(tomorrow_in_paris(), 7, 0)).sent == 1
    deliver()
    [digest_mail] = smtp.to("cora@example.org")
    text = SMTPSink.text(digest_mail)
    assert "A message in “Winter” was reported" in text and "/groups/ldh-clamart/flags" in text
    assert "SECRET" not in text + digest_mail.get_body(preferencelist=("html",)).get_content()


def test_the_author_of_a_hidden_post_is_told_the_public_reason_only(mail_app, smtp, moderated):
    cast, thread, post = moderated
    bruno = mail_app.test_client()
    login_as(bruno, cast["Bruno"])
    post_form(bruno, f"/posts/{post.id}/flag", {"reason": "SECRET words"})
    flagged(post, cast["Bruno"])
    smtp.messages.clear()

    coord = mail_app.test_client()
    login_as(coord, cast["Coord"])
    page = f"/threads/{thread.id}?page=1"
    response = post_form(coord, f"/posts/{post.id}/hide", {"reason": "Off topic"}, form_url=page)
    assert response.status_code == 302
    _db.session.expire_all()
    assert kinds_of(cast["Anne"])[-1] == "post_hidden"
    deliver()
    [mail] = smtp.to("anne@example.org")
    assert mail["Subject"] == "Your message in “Winter” was hidden"
    text = SMTPSink.text(mail)
    assert "hidden by the moderators: Off topic" in text and "SECRET" not in text
    anne = mail_app.test_client()
    login_as(anne, cast["Anne"])
    listing = anne.get("/notifications").get_data(as_text=True)
    assert "was hidden by the moderators: Off topic" in listing and "SECRET" not in listing

    # A moderator hiding their own post is not told of it.
    own = discussions.reply(cast["Coord"], thread, body="My own mistake")
    deliver()
    post_form(coord, f"/posts/{own.id}/hide", {"reason": "Mine"}, form_url=page)
    assert "post_hidden" not in kinds_of(cast["Coord"])


def test_the_author_is_told_when_a_moderator_locks_or_moves_their_thread(mail_app, smtp, moderated):
    cast, thread, post = moderated
    meudon = make_group("solidarite-meudon", name="Solidarité Meudon")
    add_member(cast["Coord"], meudon, Role.COORDINATOR)
    _db.session.commit()
    smtp.messages.clear()
    coord = mail_app.test_client()
    login_as(coord, cast["Coord"])
    page = f"/threads/{thread.id}?page=1"

    assert post_form(coord, f"/threads/{thread.id}/lock", {}, form_url=page).status_code == 302
    assert kinds_of(cast["Anne"]) == ["thread_locked"]
    deliver()
    [locked] = smtp.to("anne@example.org")
    assert locked["Subject"] == "Your thread “Winter” was locked"
    post_form(coord, f"/threads/{thread.id}/unlock", {}, form_url=page)
    assert kinds_of(cast["Anne"]) == ["thread_locked"]  # unlocking is no news

    move = f"/threads/{thread.id}/move"
    assert post_form(coord, move, {"group": "solidarite-meudon"}).status_code == 302
    assert kinds_of(cast["Anne"]) == ["thread_locked", "thread_moved"]
    deliver()
    moved = smtp.to("anne@example.org")[1]
    assert "Your thread “Winter” was moved to Solidarité Meudon" in SMTPSink.text(moved)

    # A moderator's own thread: nobody to tell.
    own = start(cast["Coord"], meudon, title="Mine")
    _db.session.commit()
    post_form(coord, f"/threads/{own.id}/lock", {}, form_url=f"/threads/{own.id}?page=1")
    assert kinds_of(cast["Coord"]) == []


def test_a_feature_adds_its_own_kind_without_a_schema_change(mail_app, smtp, client, monkeypatch):
    from types import SimpleNamespace

    from forum.notifications import kinds

    meeting = SimpleNamespace(id=7, title="General assembly", slug="ldh-clamart")
    load = lambda ids: {7: meeting} if 7 in ids else {}  # noqa: E731
    monkeypatch.setitem(kinds._LOADERS, "test_meeting", load)
    kind = kinds.Kind(
        name="test_meeting_new",
        subject_type="test_meeting",
        line=lambda n, m: f"A meeting is planned: {m.title}",
        mail_subject=lambda n, m: f"New meeting: {m.title}",
        target=lambda m: ("groups.show_group", {"slug": m.slug}),
        visible=lambda user, m: True,
        link_label="See the group",
    )
    monkeypatch.setitem(kinds._KINDS, kind.name, kind)
    dora = person("Dora", notify="default")
    services.notify([dora], "test_meeting_new", meeting)
    deliver()

    [note] = notifications_of(dora)
    assert (note.subject_type, note.subject_id, note.thread_id) == ("test_meeting", 7, None)
    [mail] = smtp.to("dora@example.org")
    assert mail["Subject"] == "New meeting: General assembly"
    assert "http://localhost/groups/ldh-clamart/" in SMTPSink.text(mail)
    login_as(client, dora)
    assert "A meeting is planned: General assembly" in client.get("/notifications").get_data(
        as_text=True
    )
    assert client.get(f"/notifications/{note.id}").headers["Location"] == "/groups/ldh-clamart/"
