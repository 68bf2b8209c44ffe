"""Every state-changing URL refuses a request without a valid CSRF token."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from forum.discussions import services as discussions
from forum.models import (
    Flag,
    Post,
)
from tests.conftest import login_as
from tests.factories import add_member, make_group, make_user

SAMPLE_VALUES = {
    "slug": "ldh-clamart",
    "token": "x",
    "insee": "92023",
    "thread_id": 1,
    "post_id": 1,
    "pledge_id": 1,
    "action": "lock",
    "meeting_id": 1,
    "decision_id": 1,
    "user_id": 1,
    "username": "membre-1",
    "public_id": "x",
    "need_id": 1,
    "handover_id": 1,
    "entry_id": 1,
    "proposal_id": 1,
    "document_id": 1,
}


def snapshot(db):
    """Every row of every table (the search index's too), to compare before and after."""
    tables = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(table.select()).all()
            tables[table.name] = sorted(map(repr, rows))
    return tables


def post_urls(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint != "static":
            yield rule.endpoint, rule.build({k: SAMPLE_VALUES[k] for k in rule.arguments})[1]


PAYLOAD = {
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
    "category": "spam",
    "status": "yes",
}
FOREIGN = {"Origin": "https://evil.example", "Referer": "https://evil.example/page"}


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed-in", "anonymous"])
@pytest.mark.parametrize("headers", [{}, FOREIGN], ids=["no-token", "foreign-origin"])
def test_no_post_changes_anything_without_a_token(app, client, db, signed_in, headers):
    admin = make_user("admin@example.org", admin=True)
    group = make_group("ldh-clamart")
    thread = discussions.create_thread(admin, group, title="Un fil", body="Le premier message")
    db.session.commit()
    assert thread.id == 1
    if signed_in:
        login_as(client, admin)
    before = snapshot(db)
    urls = list(post_urls(app))
    assert len(urls) >= 20
    for endpoint, url in urls:
        response = client.post(url, data=PAYLOAD, headers=headers)
        if endpoint == "notifications.unsubscribe":
            assert response.status_code == 400  # its proof is the signed token ("x": none)
        else:
            assert response.status_code == 400, (endpoint, response.status_code)
        db.session.expire_all()
        assert snapshot(db) == before, endpoint
    if signed_in:
        # Still signed in (logout refused), still an admin, still French, name unchanged.
        assert client.get("/admin/").status_code == 200
        db.session.refresh(admin)
        assert admin.locale == "fr" and admin.display_name != "Nouveau" and not admin.is_deleted


def test_a_reply_after_the_session_ended_is_kept_only_from_our_pages(app, client, db):
    """The one post accepted without a token: a reply whose writer's session ended, from
    one of our pages (Origin), kept as a draft for that browser only, nothing published."""
    author = make_user()
    group = make_group("ldh-clamart")
    thread = discussions.create_thread(author, group, title="Un fil", body="Le premier message")
    db.session.commit()
    text = "Une longue réponse écrite pendant que la session expirait."
    response = client.post(
        f"/threads/{thread.id}/posts", data={"body": text}, headers={"Origin": "http://localhost"}
    )
    assert response.status_code == 302 and response.headers["Location"].startswith(
        "/auth/login?next="
    )
    next_url = unquote(re.search(r"next=([^&]+)", response.headers["Location"]).group(1))
    assert db.session.scalar(select(func.count(Post.id))) == 1  # nothing published

    # Another browser, signed in as the same member, with the same link: nothing.
    elsewhere = app.test_client()
    login_as(elsewhere, author)
    assert text not in elsewhere.get(next_url).get_data(as_text=True)
    # The browser that wrote it gets it back after signing in.
    login_as(client, author)
    assert text in client.get(next_url).get_data(as_text=True)


def test_a_stale_sign_in_form_comes_back_with_the_address(client, db):
    make_user("nadia@example.org")
    db.session.commit()
    response = client.post(
        "/auth/login",
        data={"csrf_token": "stale", "email": "nadia@example.org", "password": "x" * 12},
        headers={"Origin": "http://localhost"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="nadia@example.org"' in page and 'type="password"' in page
    assert "x" * 12 not in page  # a password is asked again, never echoed


class _FormFields(HTMLParser):
    """The fields of the page's form that posts to `action`, as a browser would send them."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.fields, self.textarea = action, False, {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action") == self.action and attrs.get("method") == "post"
        elif self.inside and tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif self.inside and tag == "textarea":
            self.textarea = attrs["name"]
            self.fields[self.textarea] = ""

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.inside = False


def form_fields(page: str, action: str) -> dict:
    parser = _FormFields(action)
    parser.feed(page)
    return parser.fields


def _reported_post(db):
    author, reporter = make_user(), make_user()
    group = make_group("entraide")
    add_member(reporter, group)
    thread = discussions.create_thread(author, group, title="Un fil", body="Un message")
    post = discussions.reply(author, thread, body="Une réponse")
    db.session.commit()
    return reporter, post


def test_a_form_sent_after_the_session_ended_comes_back_with_its_text(client, db):
    """Any member's form, not only a reply: posted from our page after the session ended,
    its text comes back with a link to sign in again, and nothing is changed; signed in
    again, "Send again" sends it (once more if the sign-in renewed the session's token)."""
    reporter, post = _reported_post(db)
    action = f"/posts/{post.id}/flag"
    reason = "Ce message donne l'adresse d'une famille <b>en clair</b>."
    ours = {"Origin": "http://localhost", "Referer": f"http://localhost{action}"}
    response = client.post(action, data={"category": "other", "reason": reason}, headers=ours)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<b>en clair</b>" not in page  # shown as text, escaped
    assert form_fields(page, action)["reason"] == reason
    assert "nouvel onglet" in page and f'href="/auth/login?next={action}"' in page
    assert db.session.scalar(select(func.count(Flag.id))) == 0

    login_as(client, reporter)  # in another tab
    for _ in range(2):  # the page's token, then, if the sign-in renewed it, the new page's
        response = client.post(action, data=form_fields(page, action), headers=ours)
        if response.status_code != 400:
            break
        page = response.get_data(as_text=True)
    assert response.status_code == 302
    [flag] = db.session.scalars(select(Flag)).all()
    assert flag.reason == reason and flag.category == "other"


def test_the_contact_logs_forms_are_never_shown_back_to_a_signed_out_browser(client, db):
    response = client.post(
        "/households/abc/contacts",
        data={"summary": "Le nom et l'adresse d'une famille", "happened_on": "2026-01-01"},
        headers={"Origin": "http://localhost", "Referer": "http://localhost/households/abc"},
    )
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert "famille" not in response.get_data(as_text=True)


def test_a_form_sent_from_another_site_is_not_shown_back(client, db):
    """Another site's page posts a form to ours in a member's browser: the refusal shows
    none of its text, and offers no form to send it again with a valid token."""
    reporter, post = _reported_post(db)
    login_as(client, reporter)
    action = f"/posts/{post.id}/flag"
    spam = "Texte choisi par un autre site"
    for headers in (FOREIGN, {"Origin": "null"}, {"Referer": "https://evil.example/page"}):
        response = client.post(action, data={"category": "spam", "reason": spam}, headers=headers)
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        main = page.split("<main", 1)[1].split("</main>", 1)[0]
        assert spam not in page and 'name="csrf_token"' not in main  # no form to send again
        assert "autre site" in main
    assert db.session.scalar(select(func.count(Flag.id))) == 0
