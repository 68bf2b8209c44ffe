"""The outbox against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.db import utcnow
from forum.extensions import db as _db
from forum.mail import OutboxMail, queue_mail, send_due
from tests.factories import make_user
from tests.services import SMTPSink, free_port


@pytest.fixture
def mail_app(make_app, smtp):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_TIMEOUT=2)
    with app.app_context():
        yield app


def queue(n: int = 1, **kwargs) -> list[OutboxMail]:
    rows = [
        queue_mail(
            f"person{i}@example.org",
            "verify_email",
            subject="Confirmez votre adresse",
            user=make_user(f"person{i}@example.org", name=f"Personne {i}"),
            verify_url=f"http://localhost/auth/verify/t{i}",
            max_age_days=3,
            **kwargs,
        )
        for i in range(n)
    ]
    _db.session.commit()
    return rows


def test_a_mail_is_delivered_once(mail_app, smtp):
    queue(2)
    assert send_due() == {"sent": 2, "retried": 0, "failed": 0}
    assert send_due() == {"sent": 0, "retried": 0, "failed": 0}

    assert len(smtp.messages) == 2
    [msg] = smtp.to("person0@example.org")
    assert msg["Subject"] == "[Toits solidaires] Confirmez votre adresse"
    assert "http://localhost/auth/verify/t0" in SMTPSink.text(msg)
    assert msg.get_body(preferencelist=("html",)) is not None
    rows = _db.session.scalars(select(OutboxMail)).all()
    assert all(r.sent_at is not None and r.attempts == 1 for r in rows)


def test_mail_is_kept_and_retried_while_the_server_is_down(make_app):
    down_port = free_port()  # nothing listens there
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=down_port, MAIL_TIMEOUT=2)
    with app.app_context():
        queue(3)
        counts = send_due()
        assert counts["sent"] == 0 and counts["retried"] == 1  # it stops at the first failure
        rows = _db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        assert all(r.sent_at is None for r in rows)
        assert rows[0].attempts == 1 and "Error" in rows[0].last_error
        assert rows[0].due_at > utcnow() + timedelta(seconds=30)  # backoff

        # The server comes back; the two untouched mails go at once, the first when due.
        sink = SMTPSink(port=down_port).start()
        try:
            assert send_due()["sent"] == 2
            assert send_due(now=utcnow() + timedelta(minutes=2))["sent"] == 1
            assert send_due(now=utcnow() + timedelta(hours=1))["sent"] == 0
        finally:
            sink.stop()
        assert sorted(m["To"] for m in sink.messages) == [
            "person0@example.org",
            "person1@example.org",
            "person2@example.org",
        ]


def test_a_mail_is_abandoned_after_the_last_attempt(make_app):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), OUTBOX_MAX_ATTEMPTS=2)
    with app.app_context():
        [row] = queue(1)
        send_due()
        send_due(now=utcnow() + timedelta(days=1))
        _db.session.refresh(row)
        assert row.failed_at is not None and row.sent_at is None and row.attempts == 2
        assert send_due(now=utcnow() + timedelta(days=2))["failed"] == 0


def test_a_line_break_in_a_subject_never_reaches_the_headers(mail_app, smtp):
    queue_mail(
        "a@example.org",
        "verify_email",
        subject="Bonjour\r\nBcc: victim@example.org",
        user=make_user("a@example.org"),
        verify_url="http://localhost/x",
        max_age_days=3,
    )
    _db.session.commit()
    assert send_due()["sent"] == 1
    [msg] = smtp.messages
    assert msg["Bcc"] is None
    assert msg["Subject"] == "[Toits solidaires] Bonjour Bcc: victim@example.org"


def test_mail_is_written_in_the_recipients_language(mail_app, smtp):
    from forum.accounts import services

    english = make_user("en@example.org", name="Jo", locale="en")
    french = make_user("fr@example.org", name="Jeanne", locale="fr")
    services.queue_verification(english)
    services.queue_verification(french)
    _db.session.commit()
    send_due()
    [en] = smtp.to("en@example.org")
    [fr] = smtp.to("fr@example.org")
    assert en["Subject"] == "[Toits solidaires] Confirm your e-mail address"
    assert "Hello Jo," in SMTPSink.text(en)
    assert fr["Subject"] == "[Toits solidaires] Confirmez votre adresse e-mail"
    assert "Bonjour Jeanne," in SMTPSink.text(fr)


def test_the_embedded_default_prints_mail_to_the_log(make_app, caplog):
    app = make_app(MAIL_SERVER=None, OUTBOX_SEND_INLINE=True)
    client = app.test_client()
    from tests.conftest import post_form

    with caplog.at_level("INFO", logger="forum.mail"):
        post_form(
            client,
            "/auth/register",
            {
                "email": "log@example.org",
                "display_name": "Lou",
                "password": "une phrase assez longue",
                "password_confirm": "une phrase assez longue",
            },
        )
    assert "mail to log@example.org" in caplog.text
    assert "/auth/verify/" in caplog.text
    with app.app_context():
        [row] = _db.session.scalars(select(OutboxMail)).all()
        assert row.sent_at is not None  # delivered (to the log) without a separate process


@pytest.mark.postgres
def test_two_senders_never_send_the_same_mail_twice(postgres_app, smtp):
    smtp.delay = 0.01  # each delivery takes a moment, so the two senders really overlap
    app = postgres_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with app.app_context():
        queue(40)
        _db.session.remove()

    results = []
    barrier = threading.Barrier(2)

    def sender():
        with app.app_context():
            barrier.wait()
            results.append(send_due())
            _db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sum(r["sent"] for r in results) == 40
    recipients = [m["To"] for m in smtp.messages]
    assert len(recipients) == 40 and len(set(recipients)) == 40
    assert all(r["sent"] > 0 for r in results), results  # both really worked in parallel


def test_production_without_a_mail_server_keeps_mail_out_of_the_logs(make_app, caplog):
    app = make_app(ENV="production", MAIL_SERVER=None)
    with app.app_context(), caplog.at_level("INFO", logger="forum.mail"):
        [row] = queue(1)
        assert send_due()["sent"] == 0
        _db.session.refresh(row)
        assert row.sent_at is None
        assert "verify/t0" not in caplog.text and "FORUM_MAIL_SERVER" in caplog.text


def test_every_subject_starts_with_the_site_name_not_a_members_words(mail_app, smtp):
    from forum.accounts import services

    impostor = make_user("x@example.org", name="La Banque : compte bloqué")
    services.queue_verification(make_user("new@example.org", locale="en"))
    queue_mail(
        "y@example.org",
        "verify_email",
        subject=f"{impostor.display_name} mentioned you",
        user=impostor,
        verify_url="http://localhost/x",
        max_age_days=3,
    )
    _db.session.commit()
    send_due()

    [verify] = smtp.to("new@example.org")
    [mention] = smtp.to("y@example.org")
    assert verify["Subject"] == "[Toits solidaires] Confirm your e-mail address"
    assert mention["Subject"] == ("[Toits solidaires] La Banque : compte bloqué mentioned you")


def test_the_subject_carries_the_configured_site_name(make_app, smtp):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, SITE_NAME="Toits du plateau")
    with app.app_context():
        queue(1)
        send_due()
    [msg] = smtp.messages
    assert msg["Subject"] == "[Toits du plateau] Confirmez votre adresse"


INVITATION = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//\r\nEND:VCALENDAR\r\n"


def test_a_mail_carries_its_attachments_to_the_server(mail_app, smtp):
    from forum.mail import Attachment

    queue(attachments=[Attachment("réunion.ics", "text/calendar", INVITATION)])
    assert send_due()["sent"] == 1
    [msg] = smtp.to("person0@example.org")
    [part] = list(msg.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_filename() == "réunion.ics"
    assert part.get_payload(decode=True) == INVITATION
    # The text and HTML parts are still there.
    assert "http://localhost/auth/verify/t0" in SMTPSink.text(msg)


def test_a_mail_too_big_to_attach_is_refused_before_the_outbox(mail_app):
    from forum.mail import Attachment

    with pytest.raises(ValueError, match="too large"):
        queue(attachments=[Attachment("big.pdf", "application/pdf", b"x" * (1024 * 1024 + 1))])
