"""The account page's changes: password, e-mail address (over a real SMTP server), @handle,
what one follows; each refused with a clear message, the form keeping what was typed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.accounts import changes
from forum.accounts.models import LoginSession, User, UsernameHistory
from forum.audit.models import AuditEntry
from forum.discussions import services as discussions
from forum.extensions import db as _db
from forum.mail import OutboxMail, send_due
from forum.notifications import services as notifications
from tests.conftest import login_as, post_form
from tests.factories import PASSWORD, make_group, make_user
from tests.services import SMTPSink

NEW_PASSWORD = "une toute nouvelle phrase secrète"


def actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --- Password ----------------------------------------------------------------------------


def test_pages_need_sign_in(client, db):
    for url in ("/account/password", "/account/email", "/account/handle", "/account/following"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login?next=" in response.headers["Location"]


def test_changing_the_password_ends_the_other_sessions_only(app, db):
    user = make_user()
    here, elsewhere = app.test_client(), app.test_client()
    login_as(here, user)
    login_as(elsewhere, user)
    assert elsewhere.get("/account/").status_code == 200
    response = post_form(
        here,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    assert here.get("/account/").status_code == 200  # this device stays signed in
    assert elsewhere.get("/account/").status_code == 302  # the other one is signed out
    db.session.expire_all()
    live = db.session.scalars(
        select(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)
        )
    ).all()
    assert len(live) == 1
    assert "account.password_change" in actions(db)
    login_as(app.test_client(), user, NEW_PASSWORD)


def test_a_wrong_current_password_is_refused_with_a_message(client, db):
    user = make_user()
    login_as(client, user)
    response = post_form(
        client,
        "/account/password",
        {
            "current_password": "incorrect",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Ce mot de passe est incorrect." in page
    assert NEW_PASSWORD not in page  # passwords are never typed back
    db.session.refresh(user)
    login_as(client.application.test_client(), user)  # the old password still works


@pytest.mark.parametrize(
    ("password", "confirm", "error"),
    [
        ("court", "court", "caractères"),
        (NEW_PASSWORD, "autre chose tout à fait", "ne correspondent pas"),
        ("motdepasse123", "motdepasse123", "trop courant"),
    ],
)
def test_a_bad_new_password_is_refused(client, db, password, confirm, error):
    login_as(client, make_user())
    response = post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "password": password, "password_confirm": confirm},
    )
    assert response.status_code == 400
    assert error in response.get_data(as_text=True)


def test_password_changes_are_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute")
    with app.app_context():
        user = make_user()
        client = app.test_client()
        login_as(client, user)
        statuses = [
            post_form(
                client,
                "/account/password",
                {
                    "current_password": "faux",
                    "password": NEW_PASSWORD,
                    "password_confirm": NEW_PASSWORD,
                },
            ).status_code
            for _ in range(4)
        ]
        assert statuses == [400, 400, 400, 429], statuses


# --- E-mail address ------------------------------------------------------------------------


@pytest.fixture
def mail_app(make_app, smtp):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_TIMEOUT=2)
    with app.app_context():
        yield app


def test_the_email_changes_only_once_confirmed_at_the_new_address(mail_app, smtp):
    user = make_user("ancienne@example.org")
    client = mail_app.test_client()
    login_as(client, user)
    response = post_form(
        client, "/account/email", {"email": "Nouvelle@Example.org", "current_password": PASSWORD}
    )
    assert response.status_code == 302
    _db.session.refresh(user)
    assert user.email == "ancienne@example.org"  # not yet
    send_due()
    [notice] = smtp.to("ancienne@example.org")
    assert "n***@example.org" in SMTPSink.text(notice)
    [confirm] = smtp.to("nouvelle@example.org")
    link = re.search(r"http://localhost(/account/email/confirm/\S+)", SMTPSink.text(confirm))
    assert link, SMTPSink.text(confirm)
    response = client.get(link.group(1))
    assert response.status_code == 302
    _db.session.refresh(user)
    assert user.email == "nouvelle@example.org" and user.is_verified
    # Single use: the link names the address it replaces.
    assert client.get(link.group(1)).status_code == 400
    assert "account.email_change" in actions(_db)
    login_as(mail_app.test_client(), user)


def test_a_forged_or_expired_email_token_is_refused(app, client, db):
    from itsdangerous import URLSafeTimedSerializer

    user = make_user()
    db.session.commit()
    assert client.get("/account/email/confirm/nimportequoi").status_code == 400
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=changes.EMAIL_CHANGE_SALT)
    from forum.accounts.services import _fingerprint

    token = old.dumps({"u": user.id, "e": "x@example.org", "o": _fingerprint(user.email)})
    app.config["VERIFY_TOKEN_MAX_AGE"] = -1
    response = client.get(f"/account/email/confirm/{token}")
    assert response.status_code == 400 and "expiré" in response.get_data(as_text=True)


def test_an_address_taken_meanwhile_is_refused_at_confirmation(app, client, db):
    user = make_user()
    login_as(client, user)
    post_form(
        client, "/account/email", {"email": "libre@example.org", "current_password": PASSWORD}
    )
    mail = db.session.scalar(select(OutboxMail).where(OutboxMail.recipient == "libre@example.org"))
    path = re.search(r"/account/email/confirm/\S+", mail.body_text).group(0)
    make_user("libre@example.org")
    db.session.commit()
    response = client.get(path)
    assert response.status_code == 400 and "Un autre compte" in response.get_data(as_text=True)


def test_an_address_with_an_account_gets_the_same_answer(client, db):
    make_user("prise@example.org")
    user = make_user()
    login_as(client, user)
    response = post_form(
        client, "/account/email", {"email": "prise@example.org", "current_password": PASSWORD}
    )
    assert response.status_code == 302
    sent = db.session.scalars(
        select(OutboxMail.template).where(OutboxMail.recipient == "prise@example.org")
    ).all()
    assert sent == ["already_registered"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"email": "pas-une-adresse", "current_password": PASSWORD}, "adresse"),
        ({"email": "autre@example.org", "current_password": "faux"}, "incorrect"),
    ],
)
def test_a_bad_email_change_keeps_what_was_typed(client, db, data, error):
    login_as(client, make_user())
    response = post_form(client, "/account/email", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and error in page
    assert f'value="{data["email"]}"' in page


def test_the_same_address_is_refused(client, db):
    user = make_user()
    login_as(client, user)
    response = post_form(
        client, "/account/email", {"email": user.email, "current_password": PASSWORD}
    )
    assert response.status_code == 400 and "déjà votre adresse" in response.get_data(as_text=True)


# --- Handle --------------------------------------------------------------------------------


def test_changing_the_handle_keeps_old_mentions_and_links(client, db):
    ines, other = make_user(username="ines"), make_user()
    group = make_group()
    thread = discussions.create_thread(other, group, title="Fil", body="Merci @ines !")
    login_as(client, ines)
    response = post_form(client, "/account/handle", {"username": "@Ines-B"})
    assert response.status_code == 302
    db.session.refresh(ines)
    assert ines.username == "ines-b"
    old = client.get("/users/ines")
    assert old.status_code == 301 and old.headers["Location"].endswith("/users/ines-b")
    assert client.get("/users/ines-b").status_code == 200
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert 'href="/users/ines"' in page  # stored HTML: the old address redirects
    # A mention of the old handle written now links to the new one.
    later = discussions.reply(other, thread, body="Encore merci @ines")
    assert 'href="/users/ines-b"' in later.body_html
    assert "account.handle_change" in actions(db)
    # The old handle is nobody else's to take.
    stranger = make_user()
    assert changes.handle_taken("ines", stranger)


def test_a_handle_changes_at_most_once_a_month(client, db):
    user = make_user(username="premiere")
    login_as(client, user)
    assert post_form(client, "/account/handle", {"username": "deuxieme"}).status_code == 302
    response = post_form(client, "/account/handle", {"username": "troisieme"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "moins d’un mois" in page
    assert 'value="troisieme"' in page
    db.session.refresh(user)
    user.username_changed_at -= timedelta(days=31)
    db.session.commit()
    assert post_form(client, "/account/handle", {"username": "troisieme"}).status_code == 302


@pytest.mark.parametrize(
    ("handle", "error"),
    [
        ("ab", "caractères"),
        ("inès", "minuscules"),
        ("a--b", "minuscules"),
        ("-ab", "minuscules"),
        ("x" * 31, "caractères"),
        ("admin", "réservé"),
        ("deleted-12", "réservé"),
        ("PRISE", "déjà pris"),
    ],
)
def test_a_bad_handle_is_refused_with_a_message(client, db, handle, error):
    make_user(username="prise")
    login_as(client, make_user())
    response = post_form(client, "/account/handle", {"username": handle})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and error in page, page[page.find("error") :][:300]


def test_taking_back_ones_own_old_handle(client, db):
    user = make_user(username="avant")
    changes.change_handle(user, "apres")
    user.username_changed_at -= timedelta(days=31)
    changes.change_handle(user, "avant")
    db.session.commit()
    assert user.username == "avant"
    history = db.session.scalars(select(UsernameHistory.username)).all()
    assert history == ["apres"]


def test_handle_history_is_exported_and_erased_with_the_account(client, db):
    from forum.accounts import services as accounts

    user = make_user(username="avant")
    changes.change_handle(user, "apres")
    login_as(client, user)
    export = client.get("/account/export.json").get_json()
    assert [h["handle"] for h in export["handle_history"]] == ["avant"]
    accounts.delete_account(user, PASSWORD)
    db.session.commit()
    assert db.session.scalars(select(UsernameHistory)).all() == []
    assert client.get("/users/avant").status_code == 404


# --- Following -----------------------------------------------------------------------------


def test_following_lists_threads_and_groups_with_a_stop_button(client, db):
    user, author = make_user(), make_user()
    group = make_group(name="Entraide Meudon")
    thread = discussions.create_thread(author, group, title="Le fil suivi", body="Bonjour")
    notifications.follow_thread(user, thread)
    notifications.follow_group(user, group)
    login_as(client, user)
    page = client.get("/account/following").get_data(as_text=True)
    assert "Le fil suivi" in page and "Entraide Meudon" in page
    response = post_form(
        client,
        f"/threads/{thread.id}/subscription",
        {"action": "unsubscribe", "next": "/account/following"},
        form_url="/account/following",
    )
    assert response.status_code == 302 and response.headers["Location"] == "/account/following"
    response = post_form(
        client,
        f"/groups/{group.slug}/subscription",
        {"action": "unsubscribe", "next": "/account/following"},
        form_url="/account/following",
    )
    assert response.headers["Location"] == "/account/following"
    page = client.get("/account/following").get_data(as_text=True)
    assert "Le fil suivi" not in page and "Aucun groupe" not in page
    assert "Vous ne suivez aucun fil." in page and "Vous ne suivez aucun groupe." in page
    assert db.session.get(User, user.id) is not None


def test_a_visitor_posting_a_change_is_sent_to_sign_in(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        for url in ("/account/password", "/account/email"):
            response = post_form(
                client,
                url,
                {"current_password": "x", "email": "a@example.org"},
                form_url="/auth/login",
            )
            assert (
                response.status_code == 302 and "/auth/login?next=" in response.headers["Location"]
            )
