"""The command-line interface: demo, create-admin, grant-role, outbox send."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from forum.accounts.models import User
from forum.discussions.models import Post, Thread
from forum.groups.models import Commune, Group, Membership
from forum.mail import OutboxMail, queue_mail
from forum.permissions import can
from tests.factories import make_group, make_user


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_loads_the_sources_facts_and_is_idempotent(runner, db):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "toits-solidaires-demo" in first.output  # the demo password is printed
    models = (Commune, Group, User, Membership, Thread, Post)
    numbers = tuple(count(db, m) for m in models)
    assert count(db, Thread) >= 2 and count(db, Post) >= 5

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert tuple(count(db, m) for m in models) == numbers

    inseee = set(db.session.scalars(select(Commune.insee)))
    assert {"92023", "92048", "92019", "78640", "91534"} <= inseee
    slugs = set(db.session.scalars(select(Group.slug)))
    assert {"ldh-clamart", "romeurope-sud-92"} <= slugs
    roles = set(db.session.scalars(select(Membership.role)))
    assert roles == {"member", "keeper", "coordinator"}
    assert db.session.scalar(select(func.count(User.id)).where(User.is_admin)) >= 1


def test_create_admin_reads_the_password_from_standard_input(runner, db, client):
    result = runner.invoke(
        args=["create-admin", "boss@example.org"], input="une phrase assez longue\n"
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.org"))
    assert user.is_admin and user.is_verified
    assert can("site.administer", user=user)

    weak = runner.invoke(args=["create-admin", "weak@example.org"], input="azertyuiop\n")
    assert weak.exit_code != 0 and "common" in weak.output


def test_create_admin_promotes_an_existing_account(runner, db):
    user = make_user("claire@example.org")
    db.session.commit()
    result = runner.invoke(args=["create-admin", "claire@example.org"])
    assert result.exit_code == 0
    db.session.refresh(user)
    assert user.is_admin


def test_grant_role_and_revoke(runner, db):
    user = make_user("karim@example.org")
    group = make_group("ldh-clamart")
    db.session.commit()

    result = runner.invoke(args=["grant-role", "karim@example.org", "ldh-clamart", "coordinator"])
    assert result.exit_code == 0, result.output
    assert can("group.coordinate", group, user=user)

    result = runner.invoke(
        args=["grant-role", "karim@example.org", "ldh-clamart", "coordinator", "--revoke"]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not can("group.coordinate", group, user=user)
    assert [m.role for m in user.memberships] == ["keeper"]

    bad = runner.invoke(args=["grant-role", "nobody@example.org", "ldh-clamart", "member"])
    assert bad.exit_code != 0 and "No account" in bad.output
    bad = runner.invoke(args=["grant-role", "karim@example.org", "nowhere", "member"])
    assert bad.exit_code != 0 and "No group" in bad.output
    bad = runner.invoke(args=["grant-role", "karim@example.org", "ldh-clamart", "king"])
    assert bad.exit_code != 0


def test_outbox_send_delivers_over_smtp(make_app, smtp):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with app.app_context():
        from forum.extensions import db

        queue_mail(
            "a@example.org",
            "verify_email",
            subject="Test",
            user=make_user("a@example.org"),
            verify_url="http://localhost/v",
            max_age_days=3,
        )
        db.session.commit()
        result = app.test_cli_runner().invoke(args=["outbox", "send"])
        assert result.exit_code == 0, result.output
        assert "sent 1" in result.output
        assert [m["To"] for m in smtp.messages] == ["a@example.org"]
        assert db.session.scalar(select(OutboxMail.sent_at)) is not None


def test_every_demo_account_printed_can_sign_in_through_the_form(runner, app):
    from tests.conftest import post_form

    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    password = re.search(r"password: (\S+)\)", result.output).group(1)
    emails = re.findall(r"^\s+(\S+@\S+)\s", result.output, re.MULTILINE)
    assert len(emails) >= 6 and "admin@example.org" in emails

    for email in emails:
        client = app.test_client()
        response = post_form(client, "/auth/login", {"email": email, "password": password})
        assert response.status_code == 302, (email, response.get_data(as_text=True)[:300])
        assert client.get("/account/").status_code == 200, email


def test_purge_applies_the_retention_rules_once(runner, db):
    from datetime import timedelta

    from forum.accounts.models import LoginSession
    from forum.db import utcnow
    from forum.discussions.models import Draft, PostSubmission
    from forum.notifications.models import Notification
    from tests.factories import make_thread

    now = utcnow()
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    user = make_user()
    thread = make_thread(user, make_group())
    db.session.add_all(
        [
            Draft(token="old", user_id=user.id, thread_id=thread.id, body="x", created_at=days(3)),
            Draft(token="new", user_id=user.id, thread_id=thread.id, body="y", created_at=days(1)),
        ]
    )
    for kind, created, read in [
        ("old-read", days(100), days(99)),
        ("new-read", days(10), days(9)),
        ("old-unread", days(200), None),
    ]:
        db.session.add(
            Notification(
                user_id=user.id,
                kind=kind,
                subject_type="thread",
                subject_id=thread.id,
                thread_id=thread.id,
                created_at=created,
                read_at=read,
            )
        )
    for key, expires, revoked in [
        ("live", now + timedelta(days=5), None),
        ("signed-out", now + timedelta(days=5), days(1)),
        ("expired", days(1), None),
    ]:
        db.session.add(
            LoginSession(user_id=user.id, key_hash=key, expires_at=expires, revoked_at=revoked)
        )
    for subject, sent in [("old", days(40)), ("recent", days(2)), ("pending", None)]:
        mail = queue_mail(user.email, "verify_email", subject=subject, user=user, verify_url="x")
        mail.sent_at = sent
        mail.created_at = days(41)
    for key, created in (("old-key", days(3)), ("new-key", days(1))):
        db.session.add(PostSubmission(key=key, user_id=user.id, created_at=created))
    db.session.commit()

    first = runner.invoke(args=["purge"])
    assert first.exit_code == 0, first.output
    assert "drafts: 1 removed" in first.output
    assert "read notifications: 1 removed" in first.output
    assert "ended sign-ins: 2 removed" in first.output
    assert "old mails: 1 removed" in first.output
    assert "form keys: 1 removed" in first.output

    db.session.expire_all()
    assert set(db.session.scalars(select(Draft.token))) == {"new"}
    assert set(db.session.scalars(select(Notification.kind))) == {"new-read", "old-unread"}
    assert set(db.session.scalars(select(LoginSession.key_hash))) == {"live"}
    assert {m.subject.split("] ")[-1] for m in db.session.scalars(select(OutboxMail))} == {
        "recent",
        "pending",
    }

    second = runner.invoke(args=["purge"])
    assert second.exit_code == 0, second.output
    # Five rules above, the contact log's closed households, the deleted documents and
    # their files.
    assert re.findall(r": (\d+) removed", second.output) == ["0"] * 8
    assert set(db.session.scalars(select(PostSubmission.key))) == {"new-key"}
