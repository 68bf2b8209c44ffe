"""Registration, verification, sign-in, password reset, the account page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from forum.accounts import services
from forum.accounts.models import User
from forum.mail import OutboxMail
from tests.conftest import csrf_token, login_as, post_form
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "une phrase assez longue"


def register(client, email="nadia@example.org", name="Nadia", password=NEW_PASSWORD, confirm=None):
    return post_form(
        client,
        "/auth/register",
        {
            "email": email,
            "display_name": name,
            "password": password,
            "password_confirm": password if confirm is None else confirm,
        },
    )


def outbox(db, template=None):
    query = select(OutboxMail).order_by(OutboxMail.id)
    if template:
        query = query.where(OutboxMail.template == template)
    return db.session.scalars(query).all()


def link_in(mail: OutboxMail, path: str) -> str:
    match = re.search(rf"http://localhost({path}/\S+)", mail.body_text)
    assert match, mail.body_text
    return match.group(1)


def test_register_creates_an_unverified_account_and_queues_the_link(client, db):
    response = register(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/register/sent"

    user = db.session.scalar(select(User).where(User.email == "nadia@example.org"))
    assert user is not None and not user.is_verified
    [mail] = outbox(db, "verify_email")
    assert mail.recipient == "nadia@example.org"
    assert mail.subject == "[Toits solidaires] Confirmez votre adresse e-mail"
    assert "Bonjour Nadia" in mail.body_text
    assert mail.body_html and "<a href=" in mail.body_html


def test_passwords_are_hashed_with_scrypt_and_checked_against_it(make_app):
    """The method of production: the other tests' apps hash with a cheap one, named in
    TEST_PASSWORD_HASH_METHOD, which only an app under test (TESTING) reads."""
    from forum.accounts.passwords import hash_password
    from forum.extensions import db

    app = make_app(TEST_PASSWORD_HASH_METHOD=None)
    client = app.test_client()
    with app.app_context():
        register(client)
        user = db.session.scalar(select(User).where(User.email == "nadia@example.org"))
        assert user.password_hash.startswith("scrypt:")
        wrong = post_form(client, "/auth/login", {"email": user.email, "password": PASSWORD})
        assert "ne correspondent pas" in wrong.get_data(as_text=True)
        unknown = post_form(client, "/auth/login", {"email": "x@example.org", "password": "a"})
        assert "ne correspondent pas" in unknown.get_data(as_text=True)
        login_as(client, user, NEW_PASSWORD)
        assert client.get("/account/").status_code == 200

    cheap = make_app(TEST_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000")
    with cheap.app_context():
        assert hash_password("x").startswith("pbkdf2:sha256:1000$")
        cheap.config["TESTING"] = False  # the setting means nothing to a production app
        assert hash_password("x").startswith("scrypt:")


def test_the_mailed_link_verifies_the_address(client, db):
    register(client)
    verify_path = link_in(outbox(db, "verify_email")[0], "/auth/verify")

    response = client.get(verify_path)

    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "nadia@example.org"))
    db.session.refresh(user)
    assert user.is_verified


def test_the_address_is_case_insensitive(client, db):
    register(client, email="Nadia@Example.ORG")
    assert services.find_by_email("NADIA@example.org") is not None


def test_a_duplicate_address_creates_nothing_and_tells_the_owner(client, db):
    owner = make_user("claire@example.org", name="Claire")
    db.session.commit()

    response = register(client, email="CLAIRE@example.org", name="Someone else")

    # The same answer as for a new address: the form does not reveal who has an account.
    assert response.headers["Location"] == "/auth/register/sent"
    assert db.session.scalar(select(func.count(User.id))) == 1
    [mail] = outbox(db)
    assert mail.template == "already_registered" and mail.recipient == owner.email
    assert "/auth/forgot" in mail.body_text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"confirm": "une autre phrase longue"}, "Les deux mots de passe ne correspondent pas"),
        ({"password": "court", "confirm": "court"}, "entre 10 et 128 caractères"),
        ({"password": "azertyuiop", "confirm": "azertyuiop"}, "trop courant"),
        ({"password": "motdepasse2026!", "confirm": "motdepasse2026!"}, "trop courant"),
        ({"email": "pas-une-adresse"}, "adresse e-mail valide"),
        ({"name": "x"}, "entre 2 et 60 caractères"),
    ],
)
def test_bad_registrations_come_back_with_a_message_and_the_input(client, db, fields, message):
    response = register(client, **fields)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    if message:
        assert message in page
    assert 'aria-invalid="true"' in page
    if "email" not in fields:
        assert 'value="nadia@example.org"' in page  # what was typed is kept
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_forged_and_expired_verification_tokens_are_refused(client, db, app, monkeypatch):
    user = make_user(verified=False)
    db.session.commit()
    assert client.get("/auth/verify/forged-token").status_code == 400

    serializer = services._serializer(services.VERIFY_SALT)
    signed_by_other_key = serializer.dumps({"u": user.id, "e": "x"})[:-3] + "abc"
    response = client.get(f"/auth/verify/{signed_by_other_key}")
    assert response.status_code == 400
    assert "Ce lien n'est pas valide" in response.get_data(as_text=True)

    app.config["VERIFY_TOKEN_MAX_AGE"] = -1  # every token is already too old
    services.queue_verification(user)
    db.session.commit()
    response = client.get(link_in(outbox(db, "verify_email")[-1], "/auth/verify"))
    assert response.status_code == 400
    assert "Ce lien a expiré" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert not user.is_verified


def test_login_logout_and_the_session_cookie(client, db):
    user = make_user("ines@example.org")
    db.session.commit()

    response = login_as(client, user)
    assert response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "ines@example.org" not in client.get("/").get_data(as_text=True)  # name, not address
    assert user.display_name in client.get("/").get_data(as_text=True)

    assert client.get("/auth/logout").status_code == 405  # never by GET
    response = post_form(client, "/auth/logout", {}, form_url="/")
    assert response.status_code == 302
    assert client.get("/account/").status_code == 302


def test_remember_me_sets_a_lasting_cookie(client, db):
    user = make_user()
    db.session.commit()
    token = csrf_token(client)
    response = client.post(
        "/auth/login",
        data={"csrf_token": token, "email": user.email, "password": PASSWORD, "remember": "y"},
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") and "HttpOnly" in c for c in cookies)


def test_a_wrong_password_is_refused_without_saying_which_part(client, db):
    user = make_user()
    db.session.commit()
    for email in (user.email, "nobody@example.org"):
        response = post_form(client, "/auth/login", {"email": email, "password": "wrong one 12"})
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "ne correspondent pas" in page
        assert f'value="{email}"' in page


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/groups/x/", "/groups/x/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_next_only_goes_to_same_site_paths(client, db, next_url, expected):
    user = make_user()
    db.session.commit()
    token = csrf_token(client)
    response = client.post(
        "/auth/login",
        query_string={"next": next_url},
        data={"csrf_token": token, "email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == expected


def test_an_expired_csrf_token_keeps_what_was_typed(client, db):
    response = client.post(
        "/auth/register",
        data={
            "csrf_token": "stale-token",
            "email": "nadia@example.org",
            "display_name": "Nadia Belkacem",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Votre session a expiré" in page
    assert 'value="nadia@example.org"' in page and 'value="Nadia Belkacem"' in page
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_forgot_password_answers_the_same_for_any_address(client, db):
    user = make_user("paul@example.org")
    db.session.commit()
    known = post_form(client, "/auth/forgot", {"email": "paul@example.org"})
    unknown = post_form(client, "/auth/forgot", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda r, e: r.get_data(as_text=True).replace(e, "")  # noqa: E731
    assert strip(known, "paul@example.org") == strip(unknown, "nobody@example.org")
    [mail] = outbox(db, "reset_password")
    assert mail.recipient == user.email


def test_a_reset_link_works_once_and_signs_out_other_sessions(app, db):
    user = make_user("paul@example.org")
    db.session.commit()
    other_device = app.test_client()
    login_as(other_device, user)
    assert other_device.get("/account/").status_code == 200

    client = app.test_client()
    post_form(client, "/auth/forgot", {"email": "paul@example.org"})
    reset_path = link_in(outbox(db, "reset_password")[0], "/auth/reset")
    response = post_form(
        client,
        reset_path,
        {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert response.headers["Location"] == "/auth/login"

    # Single use: the token died with the old password.
    second = client.get(reset_path)
    assert second.status_code == 400
    assert "déjà été utilisé" in second.get_data(as_text=True)
    # The other device's session has ended.
    assert other_device.get("/account/").status_code == 302
    # The new password works, the old one does not.
    assert (
        post_form(client, "/auth/login", {"email": user.email, "password": PASSWORD}).status_code
        == 200
    )
    login_as(client, user, password=NEW_PASSWORD)


def test_the_account_page_changes_name_and_language(client, db):
    user = make_user(name="Paul")
    db.session.commit()
    login_as(client, user)

    response = post_form(
        client,
        "/account/",
        {"display_name": "Paul D.", "locale": "en", "notify_email": "daily"},
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.display_name == "Paul D." and user.locale == "en"
    assert user.notify_email == "daily"
    assert "My account" in client.get("/account/").get_data(as_text=True)


MARCH = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def personal_data(db, user):
    """Something of every kind the site keeps about `user`, with known values."""
    from forum.discussions.models import Draft, Flag, PostRevision, ReadState
    from forum.notifications.models import GroupSubscription, Notification, ThreadSubscription
    from tests.factories import add_member, make_group, make_post, make_thread

    group = make_group("romeurope", name="Collectif Romeurope")
    membership = add_member(user, group, "coordinator")
    membership.created_at = MARCH
    other = make_user(name="Autre")
    thread = make_thread(user, group, title="Un toit pour l'hiver", body="Premier message")
    post = make_post(user, thread, "Texte corrigé")
    db.session.add(
        PostRevision(
            post_id=post.id,
            body="Texte d'origine",
            body_html="Texte d'origine",
            written_at=MARCH,
            replaced_at=MARCH + timedelta(hours=1),
            editor_id=user.id,
        )
    )
    others_post = make_post(other, thread, "Un message à signaler")
    db.session.add_all(
        [
            Flag(post_id=others_post.id, user_id=user.id, reason="Propos blessants envers Paul"),
            Draft(token="d" * 32, user_id=user.id, thread_id=thread.id, body="Brouillon secret"),
            ReadState(user_id=user.id, thread_id=thread.id, last_read_number=2),
            Notification(
                user_id=user.id,
                kind="reply",
                subject_type="post",
                subject_id=others_post.id,
                thread_id=thread.id,
                post_id=others_post.id,
            ),
            ThreadSubscription(user_id=user.id, thread_id=thread.id),
            GroupSubscription(user_id=user.id, group_id=group.id),
        ]
    )
    db.session.flush()
    return thread, post, others_post


def test_export_holds_everything_about_the_person(client, db):
    user = make_user("odile@example.org", name="Odile")
    thread, post, others_post = personal_data(db, user)
    db.session.commit()
    login_as(client, user)

    response = client.get("/account/export.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["account"]["email"] == "odile@example.org"
    assert data["account"]["display_name"] == "Odile"
    assert data["consents"]["signed_up_at"] == user.created_at.isoformat()
    assert data["consents"]["email_verified_at"] == user.email_verified_at.isoformat()
    assert data["memberships"] == [
        {
            "group": "romeurope",
            "group_name": "Collectif Romeurope",
            "role": "coordinator",
            "since": "2026-03-01T09:30:00+00:00",
        }
    ]
    assert [t["title"] for t in data["threads_started"]] == ["Un toit pour l'hiver"]
    assert [p["body"] for p in data["posts"]] == ["Premier message", "Texte corrigé"]
    assert data["posts"][1]["earlier_versions"] == [
        {
            "body": "Texte d'origine",
            "written_at": "2026-03-01T09:30:00+00:00",
            "replaced_at": "2026-03-01T10:30:00+00:00",
        }
    ]
    assert "Un message à signaler" not in str(data["posts"])  # someone else's
    assert [(r["post_id"], r["reason"]) for r in data["reports"]] == [
        (others_post.id, "Propos blessants envers Paul")
    ]
    assert [d["body"] for d in data["drafts"]] == ["Brouillon secret"]
    assert data["read_marks"] == [{"thread_id": thread.id, "last_read_number": 2}]
    assert [(n["kind"], n["post_id"]) for n in data["notifications"]] == [("reply", others_post.id)]
    assert [t["thread_id"] for t in data["followed_threads"]] == [thread.id]
    assert [g["group"] for g in data["followed_groups"]] == ["romeurope"]
    assert len(data["sign_ins"]) == 1 and data["sign_ins"][0]["revoked_at"] is None


def test_export_needs_sign_in(client):
    response = client.get("/account/export.json")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_deleting_the_account_erases_personal_data(client, db):
    from forum.discussions.models import Draft, Flag, Post, ReadState
    from forum.notifications.models import GroupSubscription, Notification, ThreadSubscription

    user = make_user("karim@example.org", name="Karim")
    thread, post, others_post = personal_data(db, user)
    services.queue_verification(user)
    db.session.commit()
    user_id = user.id
    login_as(client, user)

    wrong = post_form(
        client, "/account/delete", {"password": "not my password"}, form_url="/account/"
    )
    assert wrong.status_code == 400
    assert "Ce mot de passe est incorrect" in wrong.get_data(as_text=True)

    response = post_form(client, "/account/delete", {"password": PASSWORD}, form_url="/account/")
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert user.is_deleted and user.display_name == "compte supprimé"
    assert "karim" not in user.email and user.memberships == []
    assert client.get("/account/").status_code == 302
    failed = post_form(client, "/auth/login", {"email": "karim@example.org", "password": PASSWORD})
    assert "ne correspondent pas" in failed.get_data(as_text=True)

    def rows(model, **where):
        return db.session.scalars(select(model).filter_by(**where)).all()

    # What is personal is gone...
    assert rows(Draft, user_id=user_id) == []
    assert rows(ReadState, user_id=user_id) == []
    assert rows(Notification, user_id=user_id) == []
    assert rows(ThreadSubscription, user_id=user_id) == []
    assert rows(GroupSubscription, user_id=user_id) == []
    assert [m for m in outbox(db) if "karim" in m.recipient] == []
    # ...the report stays for the moderators' history, without its text...
    [flag] = rows(Flag, user_id=user_id)
    assert flag.reason == "" and flag.post_id == others_post.id
    # ...and the posts stay, signed by the deleted account.
    assert [p.body for p in rows(Post, author_id=user_id)] == ["Premier message", "Texte corrigé"]
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "Texte corrigé" in page and "compte supprimé" in page and "Karim" not in page


def test_an_unverified_account_can_read_but_not_join(client, db):
    from tests.factories import make_group

    group = make_group("ldh-clamart")
    user = make_user(verified=False)
    db.session.commit()
    login_as(client, user)

    assert client.get("/groups/ldh-clamart/").status_code == 200
    response = post_form(client, "/groups/ldh-clamart/join", {}, form_url="/groups/ldh-clamart/")
    assert response.status_code == 403
    assert group.memberships == []


def test_too_many_logins_get_the_429_page(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute")
    client = app.test_client()
    statuses = []
    for _ in range(4):
        token = csrf_token(client)
        response = client.post(
            "/auth/login", data={"csrf_token": token, "email": "a@b.fr", "password": "wrong pass 1"}
        )
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]
    assert "Trop de tentatives" in response.get_data(as_text=True)
    assert client.get("/auth/login").status_code == 200  # reading the form is not limited


def session_cookies(client) -> dict[str, str]:
    return {
        name: client.get_cookie(name).value
        for name in ("session", "remember_token")
        if client.get_cookie(name) is not None
    }


def signed_in_with(app, cookies: dict[str, str]) -> bool:
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value, domain="localhost")
    return other.get("/account/").status_code == 200


def login_remembered(client, user):
    return post_form(
        client, "/auth/login", {"email": user.email, "password": PASSWORD, "remember": "y"}
    )


def test_signing_out_ends_the_session_and_remember_cookie_on_the_server(app, db):
    user = make_user()
    db.session.commit()
    client, laptop = app.test_client(), app.test_client()
    login_remembered(client, user)
    login_as(laptop, user)
    copied = session_cookies(client)
    assert set(copied) == {"session", "remember_token"}
    assert signed_in_with(app, copied)
    assert signed_in_with(app, {"remember_token": copied["remember_token"]})

    post_form(client, "/auth/logout", {}, form_url="/")

    assert client.get("/account/").status_code == 302
    assert not signed_in_with(app, copied)
    assert not signed_in_with(app, {"session": copied["session"]})
    assert not signed_in_with(app, {"remember_token": copied["remember_token"]})
    assert laptop.get("/account/").status_code == 200  # another sign-in goes on


def test_a_password_change_while_signed_in_keeps_only_this_device(app, db):
    user = make_user()
    db.session.commit()
    here, elsewhere = app.test_client(), app.test_client()
    login_as(here, user)
    login_remembered(elsewhere, user)
    elsewhere_cookies = session_cookies(elsewhere)
    data = app.session_interface.get_signing_serializer(app).loads(here.get_cookie("session").value)
    user.login_key = data["_user_id"].partition(":")[2]

    services.set_password(user, NEW_PASSWORD, keep_current=True)
    db.session.commit()

    assert here.get("/account/").status_code == 200
    assert elsewhere.get("/account/").status_code == 302
    assert not signed_in_with(app, elsewhere_cookies)


def test_session_protection_ignores_a_forwarded_for_header_sent_by_the_client(make_app):
    app = make_app()
    client = app.test_client()
    with app.app_context():
        login_as(client, make_user())

    # Without FORUM_PROXY_FIX the header is the client's word: it changes nothing.
    spoofed = {"X-Forwarded-For": "203.0.113.9"}
    assert client.get("/account/", headers=spoofed).status_code == 200
    assert client.get("/account/").status_code == 200
    # The address the connection really comes from counts.
    moved = client.get("/account/", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert moved.status_code == 302

    # Behind a trusted proxy (FORUM_PROXY_FIX), the proxy's header is the address.
    proxied = make_app(PROXY_FIX=True)
    client = proxied.test_client()
    with proxied.app_context():
        login_as(client, make_user())
    assert client.get("/account/").status_code == 200
    moved = client.get("/account/", headers={"X-Forwarded-For": "198.51.100.7"})
    assert moved.status_code == 302


def test_a_taken_address_costs_the_same_password_hashing_as_a_new_one(client, db, monkeypatch):
    from forum.accounts import passwords

    calls = []

    def counting(password):
        calls.append(password)
        return passwords.generate_password_hash(password, method="pbkdf2:sha256:1000")

    monkeypatch.setattr(services, "hash_password", counting)
    make_user("claire@example.org")
    db.session.commit()

    register(client, email="nadia@example.org")
    new_address = len(calls)
    register(client, email="claire@example.org")

    assert new_address >= 1
    assert len(calls) - new_address == new_address
