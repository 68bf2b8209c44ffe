"""Daily digests with time moved; the default choice; one mail per thread until read."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum import events
from forum.accounts import services as accounts
from forum.db import utcnow
from forum.discussions import services as discussions
from forum.extensions import db as _db
from forum.mail import OutboxMail, send_due
from forum.notifications import digest, services
from tests import notify_support
from tests.factories import make_group
from tests.notify_support import deliver, notifications_of, paris, person, start, tomorrow_in_paris
from tests.services import SMTPSink

# The shared fixtures, under their names: pytest finds them here.
group = notify_support.group
mail_app = notify_support.mail_app


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
    assert digest["Subject"] == "[Toits solidaires] Your daily digest: 3 new notifications"
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
    assert second["Subject"] == "[Toits solidaires] Your daily digest: 1 new notification"
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
    assert summary["Subject"] == "[Toits solidaires] Notifications since your last digest"
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
    assert first["Subject"] == "[Toits solidaires] New reply in “Dora's thread”"

    discussions.reply(bruno, followed, body="@dora what do you think?")  # a mention
    deliver()
    assert (
        smtp.to("dora@example.org")[1]["Subject"]
        == "[Toits solidaires] Bruno mentioned you in “Bruno's thread”"
    )

    # A quote names the quoted member's @handle: a mention.
    third = start(anne, group, title="Third")
    hers = discussions.reply(dora, third, body="My view")
    events.thread_read.send(third, user=dora, number=hers.number)  # as replying does
    discussions.reply(anne, third, body=discussions.quote_text(hers) + "Agreed")
    deliver()
    quoted = smtp.to("dora@example.org")
    assert (
        len(quoted) == 3
        and quoted[2]["Subject"] == "[Toits solidaires] Anne mentioned you in “Third”"
    )

    # The next morning's digest brings the rest, and only the rest.
    assert services.send_digests(paris(tomorrow_in_paris(), 7, 0)).sent == 1
    deliver()
    digest_mail = smtp.to("dora@example.org")[3]
    text = SMTPSink.text(digest_mail)
    assert "Bruno started the thread:" in text and "Plain news in a followed thread" in text
    assert "An answer to Dora" not in text and "what do you think" not in text
    assert digest_mail["Subject"] == "[Toits solidaires] Your daily digest: 2 new notifications"


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
