"""Atom feeds of groups and threads, read with the library feed readers use (feedparser)."""

from __future__ import annotations

import feedparser
import pytest

from forum.discussions import moderation, services
from forum.groups.models import Role
from tests.factories import add_member, make_group, make_user

BASE = "http://localhost"  # BASE_URL in the tests' settings


@pytest.fixture
def cast(db):
    author = make_user("nadia@example.org", name="Nadia B.", username="nadia")
    replier = make_user("karim@example.org", name="Karim", username="karim")
    moderator = make_user(name="Coordinatrice")
    group = make_group("ldh-clamart", name="Section LDH de Clamart")
    add_member(moderator, group, Role.COORDINATOR)
    thread = services.create_thread(
        author, group, title="Un logement pour cet hiver", body="Qui peut **aider** ?"
    )
    shown = services.reply(replier, thread, body="Moi, [voir ici](https://example.org/x).")
    hidden = services.reply(replier, thread, body="Un message injurieux")
    moderation.hide_post(moderator, hidden, category="abusive")
    deleted = services.reply(author, thread, body="Un message retiré")
    services.delete_post(author, deleted)
    db.session.commit()
    return {"author": author, "replier": replier, "moderator": moderator, "group": group,
            "thread": thread, "shown": shown}  # fmt: skip


def parse(response):
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_a_thread_feed_is_valid_atom_with_absolute_links(client, cast):
    thread, shown = cast["thread"], cast["shown"]
    response = client.get(f"/threads/{thread.id}/feed.atom")
    feed = parse(response)

    assert feed.feed.title == "Un logement pour cet hiver · Section LDH de Clamart"
    assert feed.feed.id.startswith("tag:localhost,2026:thread:")
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {
        "self": f"{BASE}/threads/{thread.id}/feed.atom",
        "alternate": f"{BASE}/threads/{thread.id}",
    }
    # Newest first; the hidden and the deleted post are left out.
    assert [e.title for e in feed.entries] == [
        "Un logement pour cet hiver (#2)",
        "Un logement pour cet hiver",
    ]
    newest = feed.entries[0]
    assert newest.id == f"tag:localhost,2026:post:{shown.id}"
    assert newest.link == f"{BASE}/posts/{shown.id}"
    assert newest.author == "Karim"
    assert newest.updated_parsed and newest.published_parsed
    content = newest.content[0]
    assert content.type == "text/html"
    assert 'href="https://example.org/x"' in content.value
    assert "<strong>aider</strong>" in feed.entries[1].content[0].value
    for entry in feed.entries:
        assert entry.link.startswith(BASE + "/")
    text = response.get_data(as_text=True)
    assert "injurieux" not in text and "retiré" not in text  # hidden, deleted
    assert "@example.org" not in text  # names only, never addresses


def test_a_feed_keeps_the_30_newest_posts(client, db, cast):
    thread = cast["thread"]
    for n in range(5, 41):
        services.reply(cast["author"], thread, body=f"Message {n}")
    db.session.commit()
    feed = parse(client.get(f"/threads/{thread.id}/feed.atom"))
    assert len(feed.entries) == 30
    assert feed.entries[0].title.endswith("(#40)") and feed.entries[-1].title.endswith("(#11)")
    assert feed.feed.updated_parsed == feed.entries[0].updated_parsed


def test_a_group_feed_has_the_newest_posts_of_its_threads_only(client, db, cast):
    group, author = cast["group"], cast["author"]
    other = services.create_thread(author, group, title="Réunion jeudi", body="À 19 h")
    elsewhere = services.create_thread(
        author, make_group("meudon"), title="Ailleurs", body="Pas ici"
    )
    hidden = services.create_thread(author, group, title="Fil masqué", body="Caché")
    moderation.set_thread_hidden(cast["moderator"], hidden, True, "Hors sujet")
    db.session.commit()

    feed = parse(client.get("/groups/ldh-clamart/feed.atom"))
    assert feed.feed.title.endswith("· Section LDH de Clamart")
    assert {link.rel: link.href for link in feed.feed.links}["alternate"] == (
        f"{BASE}/groups/ldh-clamart/"
    )
    assert [e.title for e in feed.entries] == [
        "Réunion jeudi",
        "Un logement pour cet hiver (#2)",
        "Un logement pour cet hiver",
    ]
    assert elsewhere.title not in str(feed)
    assert feed.entries[0].link == f"{BASE}/posts/{services.post_by_number(other, 1).id}"


def test_hidden_threads_and_unknown_places_have_no_feed(client, db, cast):
    moderation.set_thread_hidden(cast["moderator"], cast["thread"], True, "Hors sujet")
    db.session.commit()
    assert client.get(f"/threads/{cast['thread'].id}/feed.atom").status_code == 404
    assert client.get("/threads/999/feed.atom").status_code == 404
    assert client.get("/groups/nulle-part/feed.atom").status_code == 404
    # A group's feed stays, without the hidden thread.
    assert parse(client.get("/groups/ldh-clamart/feed.atom")).entries == []


def test_an_empty_group_has_a_valid_feed(client, db):
    make_group("vide", name="Groupe vide")
    db.session.commit()
    feed = parse(client.get("/groups/vide/feed.atom"))
    assert feed.entries == [] and feed.feed.updated_parsed


def test_what_users_type_cannot_break_the_feed(client, db):
    author = make_user(name='Zoé <b>"&\x07')
    group = make_group("g")
    thread = services.create_thread(
        author,
        group,
        title="<script>alert(1)</script> & \x0b ]]>",
        body="<img src=x onerror=alert(1)> \x1b",
    )
    db.session.commit()
    feed = parse(client.get(f"/threads/{thread.id}/feed.atom"))
    entry = feed.entries[0]
    assert entry.title == "<script>alert(1)</script> &  ]]>"
    assert entry.author == 'Zoé <b>"&'
    assert "<img" not in entry.content[0].value  # text, as on the page: inert


def test_feeds_answer_conditional_requests(client, db, cast):
    url = f"/threads/{cast['thread'].id}/feed.atom"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    services.edit_post(cast["replier"], cast["shown"], body="Corrigé")
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_a_feed_is_the_same_for_everyone(client, db, cast):
    from tests.conftest import login_as

    url = "/groups/ldh-clamart/feed.atom"
    anonymous = client.get(url)
    login_as(client, cast["author"])
    signed_in = client.get(url)
    assert signed_in.data == anonymous.data
    assert "Set-Cookie" not in anonymous.headers


def test_pages_point_to_their_feeds(client, cast):
    thread = cast["thread"]
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert (
        f'<link rel="alternate" type="application/atom+xml" href="/threads/{thread.id}/feed.atom"'
        in page
    )
    page = client.get("/groups/ldh-clamart/").get_data(as_text=True)
    assert (
        '<link rel="alternate" type="application/atom+xml" href="/groups/ldh-clamart/feed.atom"'
        in page
    )
