"""Following, notifications in the site and by e-mail (real SMTP), one-click unsubscribe,
the notification list and the account's choice."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import event, func, select

from forum import events
from forum.accounts.models import User
from forum.db import utcnow
from forum.discussions import moderation
from forum.discussions import services as discussions
from forum.extensions import db as _db
from forum.groups.models import Role
from forum.notifications import services
from forum.notifications.models import GroupSubscription, Notification
from tests import notify_support
from tests.conftest import csrf_token, login_as, post_form
from tests.factories import add_member, make_user
from tests.notify_support import (
    deliver,
    links,
    notifications_of,
    person,
    start,
    statements,
    subscription,
    unsubscribe_path,
)
from tests.services import SMTPSink

# A form of the site posted by a browser (its Origin header): a visitor is sent to sign in.
SAME_SITE = {"Origin": "http://localhost"}

# The shared fixtures, under their names: pytest finds them here.
client = notify_support.client
group = notify_support.group
mail_app = notify_support.mail_app


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
    assert msg["Subject"] == "[Toits solidaires] New reply in “A roof for the winter”"
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
    assert (
        msg["Subject"]
        == "[Toits solidaires] New thread in Section LDH de Clamart: Meeting with the town hall"
    )
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
    assert to_bruno["Subject"] == "[Toits solidaires] Anne mentioned you in “A roof for the winter”"
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
    moderation.set_thread_hidden(coord, thread, True, "Personal data")
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
    assert en["Subject"] == "[Toits solidaires] New reply in “A roof for the winter”"
    assert "Hello Eddie," in SMTPSink.text(en)
    assert '<html lang="en">' in en.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="fr">' in fr.get_body(preferencelist=("html",)).get_content()


# --- Pages: follow buttons, the list, the header -----------------------------------------


def test_following_and_unfollowing_a_thread(mail_app, client, group):
    anne, bruno = person("Anne"), person("Bruno")
    thread = start(anne, group)
    _db.session.commit()
    url = f"/threads/{thread.id}/subscription"

    visitor = client.post(url, data={"action": "subscribe"}, headers=SAME_SITE)
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
    missing = post_form(
        client, "/threads/999999/subscription", {}, form_url=f"/threads/{thread.id}"
    )
    assert missing.status_code == 404


def test_a_hidden_thread_cannot_be_followed(mail_app, client, group):
    anne, coord = person("Anne"), person("Coord")
    add_member(coord, group, Role.COORDINATOR)
    thread = start(anne, group)
    moderation.set_thread_hidden(coord, thread, True, "Spam")
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
    assert client.post(url, data={"action": "subscribe"}, headers=SAME_SITE).status_code == 302
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
    missing = post_form(client, "/groups/nowhere/subscription", {}, form_url="/groups/ldh-clamart/")
    assert missing.status_code == 404


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
    with statements() as sent:
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
        # The header's unread count rides in the statement that loads the member, and the
        # follow button's state in the one that loads the thread: no round trip of their own.
        assert len(member) == 2, member
        assert sum("FROM users" in s for s in member) == 1, member
        assert sum("FROM threads" in s for s in member) == 1, member
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
