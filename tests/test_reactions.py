"""Reactions: "merci" and "+1" on a post with plain forms; one per member, post and kind;
the author told in the digest; refused where the post may not take them."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from forum.accounts import services as accounts
from forum.db import utcnow
from forum.discussions import moderation, services
from forum.groups.models import Role
from forum.groups.services import set_group_archived
from forum.notifications import services as notifications
from forum.notifications.models import Notification
from forum.reactions import services as reactions
from forum.reactions.models import Reaction
from tests.conftest import csrf_token, login_as, post_form
from tests.factories import PASSWORD, add_member, make_group, make_user
from tests.notify_support import deliver, paris, tomorrow_in_paris
from tests.services import SMTPSink


def page_counts(post, viewer):
    """The reactions' counts as the thread page reads them: columns of its posts' statement."""
    listing = services.thread_page(
        post.thread,
        post.page,
        extra=reactions.count_columns(viewer is not None),
        values={"viewer": viewer.id} if viewer is not None else None,
    )
    return reactions.counted_by_post(listing.extras)


@pytest.fixture
def cast(db):
    author = make_user("anne@example.org", name="Anne", username="anne")
    reader = make_user("bruno@example.org", name="Bruno", username="bruno")
    coordinator = make_user(name="Coralie")
    group = make_group("entraide")
    add_member(coordinator, group, Role.COORDINATOR)
    thread = services.create_thread(author, group, title="Un toit cet hiver", body="Bonjour")
    post = services.reply(author, thread, body="Qui peut héberger ?")
    db.session.commit()
    return {"author": author, "reader": reader, "coordinator": coordinator, "group": group,
            "thread": thread, "post": post}  # fmt: skip


def react(client, post, kind="thanks", **kwargs):
    url = f"/threads/{post.thread_id}?page=1"
    return post_form(client, f"/posts/{post.id}/reactions", {"kind": kind}, form_url=url, **kwargs)


def buttons(page: str, post) -> dict[str, tuple[str, str]]:
    """{kind: (aria-pressed, count)} of the post's reaction buttons."""
    article = page.split(f'id="post-{post.id}"', 1)[1].split("</article>", 1)[0]
    found = re.findall(
        r'<button type="submit" name="kind" value="(\w+)" class="reaction" '
        r'aria-pressed="(\w+)">[^<]*(?:<span class="count">(\d+)</span>)?</button>',
        article,
    )
    return {kind: (pressed, count) for kind, pressed, count in found}


def test_a_member_thanks_a_post_and_takes_it_back_by_posting_again(client, db, cast):
    post = cast["post"]
    login_as(client, cast["reader"])
    page = client.get(f"/threads/{post.thread_id}?page=1").get_data(as_text=True)
    assert buttons(page, post) == {"thanks": ("false", ""), "plus_one": ("false", "")}

    response = react(client, post, "thanks")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/posts/{post.id}"
    page = client.get(f"/threads/{post.thread_id}?page=1").get_data(as_text=True)
    assert buttons(page, post) == {"thanks": ("true", "1"), "plus_one": ("false", "")}
    assert ">Merci <span" in page

    # Another member's +1 and thanks count too; each sees their own pressed.
    other = app_client_for(client, db)
    react(other, post, "thanks")
    react(other, post, "plus_one")
    page = client.get(f"/threads/{post.thread_id}?page=1").get_data(as_text=True)
    assert buttons(page, post) == {"thanks": ("true", "2"), "plus_one": ("false", "1")}

    # Posting again takes it back.
    react(client, post, "thanks")
    page = client.get(f"/threads/{post.thread_id}?page=1").get_data(as_text=True)
    assert buttons(page, post) == {"thanks": ("false", "1"), "plus_one": ("false", "1")}
    assert db.session.scalar(select(func.count()).select_from(Reaction)) == 2


def app_client_for(client, db):
    """A second member, signed in on their own client."""
    other = client.application.test_client()
    member = make_user()
    db.session.commit()
    login_as(other, member)
    return other


def test_visitors_see_the_counts_without_a_form(client, db, cast):
    post = cast["post"]
    reactions.toggle(cast["reader"], post, "plus_one")
    db.session.commit()
    page = client.get(f"/threads/{post.thread_id}?page=1").get_data(as_text=True)
    article = page.split(f'id="post-{post.id}"', 1)[1].split("</article>", 1)[0]
    assert '<span class="reaction">+1 <span class="count">1</span></span>' in article
    assert "<button" not in article and "Merci" not in article  # no count: not shown
    assert "Set-Cookie" not in client.get(f"/threads/{post.thread_id}?page=1").headers


def test_one_reaction_per_member_post_and_kind(db, cast):
    post, reader = cast["post"], cast["reader"]
    assert reactions.toggle(reader, post, "thanks") is True
    assert reactions.toggle(reader, post, "plus_one") is True
    assert reactions.toggle(reader, post, "thanks") is False  # the second one takes it back
    assert reactions.toggle(reader, post, "thanks") is True
    rows = db.session.execute(select(Reaction.kind).where(Reaction.post_id == post.id)).all()
    assert sorted(r.kind for r in rows) == ["plus_one", "thanks"]
    counted = page_counts(post, reader)[post.id]
    assert counted == {
        "thanks": reactions.Count(1, True),
        "plus_one": reactions.Count(1, True),
    }
    with pytest.raises(reactions.ReactionError):
        reactions.toggle(reader, post, "love")


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("own post", 403),
        ("hidden", 404),
        ("deleted", 404),
        ("archived", 403),
        ("unverified", 403),
        ("suspended", 403),
    ],
)
def test_reactions_are_refused_where_they_do_not_belong(client, db, cast, state, status):
    post, reader = cast["post"], cast["reader"]
    if state == "own post":
        reader = cast["author"]
    elif state == "hidden":
        moderation.hide_post(cast["coordinator"], post, category="off_topic")
    elif state == "deleted":
        services.delete_post(cast["author"], post)
    elif state == "archived":
        set_group_archived(None, cast["group"], True)
    elif state == "unverified":
        reader.email_verified_at = None
    elif state == "suspended":
        reader.suspended_at = utcnow()
    db.session.commit()
    login_as(client, reader)
    token = csrf_token(client, f"/threads/{post.thread_id}?page=1")
    response = client.post(
        f"/posts/{post.id}/reactions", data={"csrf_token": token, "kind": "thanks"}
    )
    assert response.status_code == status
    assert db.session.scalar(select(func.count()).select_from(Reaction)) == 0
    page = client.get(f"/threads/{post.thread_id}?page=1").get_data(as_text=True)
    assert buttons(page, post) == {}


def test_a_form_needs_its_token_and_a_known_kind(client, db, cast):
    post = cast["post"]
    # A visitor's page has no form (and no session to hold a token): refused.
    assert client.post(f"/posts/{post.id}/reactions", data={"kind": "thanks"}).status_code == 400
    login_as(client, cast["reader"])
    assert client.post(f"/posts/{post.id}/reactions", data={"kind": "thanks"}).status_code == 400
    assert react(client, post, "love").status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Reaction)) == 0


def test_reacting_is_rate_limited_like_other_writes(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_POST="3 per minute",
        RATELIMIT_POST_NEW_ACCOUNT="3 per minute",  # the reader's account is a day old
    )
    client = app.test_client()
    with app.app_context():
        author, reader = make_user(), make_user()
        thread = services.create_thread(author, make_group(), title="Un fil", body="Bonjour")
        post = services.post_by_number(thread, 1)
        login_as(client, reader)
        statuses = [react(client, post).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]


def test_the_author_hears_of_it_in_the_digest_not_at_once(make_app, smtp):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_TIMEOUT=2)
    with app.app_context():
        # "immediate": everything else would be mailed at once.
        author = make_user("anne@example.org", name="Anne", locale="en", notify="immediate")
        bruno = make_user(name="Bruno")
        chloe = make_user(name="Chloé")
        thread = services.create_thread(author, make_group(), title="Housing", body="Hello")
        post = services.post_by_number(thread, 1)
        reactions.toggle(bruno, post, "thanks")
        reactions.toggle(bruno, post, "thanks")  # taken back before any mail: forgotten
        reactions.toggle(bruno, post, "thanks")
        reactions.toggle(chloe, post, "plus_one")
        reactions.toggle(chloe, post, "thanks")
        reactions.toggle(chloe, post, "thanks")  # taken back
        deliver()
        assert smtp.to("anne@example.org") == []
        told = author_notifications(author)
        assert sorted((n.kind, n.actor_id) for n in told) == [
            ("reaction_plus_one", chloe.id),
            ("reaction_thanks", bruno.id),
        ]
        page = notifications.notifications_page(author, 1)
        with force_locale("en"):
            lines = [str(row.text) for row in page.items]
        assert lines == [
            "Chloé gave +1 to your message in “Housing”",
            "Bruno thanked you for your message in “Housing”",
        ]
        # Several of one kind in a thread are one line.
        reactions.toggle(make_user(name="Dora"), post, "thanks")
        page = notifications.notifications_page(author, 1)
        with force_locale("en"):
            lines = [str(row.text) for row in page.items]
        assert lines[0] == "2 new reactions to your messages in “Housing”"

        run = notifications.send_digests(paris(tomorrow_in_paris(), 7, 0))
        assert (run.sent, run.notifications) == (1, 3)
        deliver()
        [digest] = smtp.to("anne@example.org")
        text = SMTPSink.text(digest)
        assert "Bruno thanked you for this message: Hello" in text
        assert "Chloé gave +1 to this message: Hello" in text
        # Reacting again after the digest tells nothing new: once per member, post and kind.
        reactions.toggle(bruno, post, "thanks")
        reactions.toggle(bruno, post, "thanks")
        deliver()
        assert len(author_notifications(author)) == 3


def author_notifications(author) -> list[Notification]:
    from forum.extensions import db

    return list(db.session.scalars(select(Notification).where(Notification.user_id == author.id)))


def test_an_account_exports_and_erases_its_reactions(db, cast):
    post, reader = cast["post"], cast["reader"]
    reactions.toggle(reader, post, "thanks")
    db.session.commit()
    exported = accounts.export_account(reader)
    assert [(r["post_id"], r["kind"]) for r in exported["reactions"]] == [(post.id, "thanks")]
    assert accounts.delete_account(reader, PASSWORD)
    db.session.commit()
    assert page_counts(post, None) == {}
