"""Every state-changing URL refuses a request without a valid CSRF token."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.discussions import services as discussions
from forum.models import (
    Commune,
    Flag,
    Group,
    Membership,
    OutboxMail,
    Post,
    PostRevision,
    Thread,
    User,
)
from tests.conftest import login_as
from tests.factories import make_group, make_user

SAMPLE_VALUES = {
    "slug": "ldh-clamart",
    "token": "x",
    "insee": "92023",
    "thread_id": 1,
    "post_id": 1,
    "action": "lock",
}


def snapshot(db):
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (
            User,
            Commune,
            Group,
            Membership,
            OutboxMail,
            Thread,
            Post,
            PostRevision,
            Flag,
        )
    )


def post_urls(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint != "static":
            yield rule.endpoint, rule.build({k: SAMPLE_VALUES[k] for k in rule.arguments})[1]


def test_no_post_changes_anything_without_a_token(app, client, db):
    admin = make_user("admin@example.org", admin=True)
    group = make_group("ldh-clamart")
    thread = discussions.create_thread(admin, group, title="Un fil", body="Le premier message")
    db.session.commit()
    assert thread.id == 1
    login_as(client, admin)
    before = snapshot(db)
    payload = {
        "email": "admin@example.org",  # so that role and suspension forms would hit someone
        "display_name": "Nouveau",
        "password": "une phrase assez longue",
        "password_confirm": "une phrase assez longue",
        "locale": "en",
        "insee": "91534",
        "name": "Saclay",
        "department": "91",
        "role": "coordinator",
        "group": "ldh-clamart",
        "action": "suspend",
        "title": "Nouveau titre",
        "body": "Un texte envoyé sans jeton",
        "reason": "une raison",
    }
    urls = list(post_urls(app))
    assert len(urls) >= 10
    for endpoint, url in urls:
        response = client.post(url, data=payload)
        assert response.status_code in (200, 302, 400, 403), (endpoint, response.status_code)
        db.session.expire_all()
        assert snapshot(db) == before, endpoint
    # Still signed in (logout refused), still an admin, still French, name unchanged.
    assert client.get("/admin/").status_code == 200
    db.session.refresh(admin)
    assert admin.locale == "fr" and admin.display_name != "Nouveau" and not admin.is_deleted
    assert admin.suspended_at is None
    db.session.refresh(thread)
    assert not thread.is_locked and not thread.is_pinned
    assert db.session.get(Post, 1).body == "Le premier message"
