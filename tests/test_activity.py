"""What is alive: the home page's latest discussions, unread counts on group pages, and
"jump to the first unread" on a thread."""

from __future__ import annotations

import re
from datetime import timedelta

from forum.db import utcnow
from forum.discussions import moderation, services
from forum.discussions.activity import active_threads
from forum.discussions.models import POSTS_PER_PAGE
from forum.groups.models import Role
from tests.conftest import login_as
from tests.factories import add_member, make_group, make_user


def activity_titles(page: str) -> list[str]:
    """The thread titles of the home page's "latest discussions", in order."""
    section = page.split('id="activity-title"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'class="activity-title" href="/threads/\d+">([^<]+)</a>', section)


def test_the_home_page_shows_the_latest_active_threads_first(client, db):
    nadia = make_user(name="Nadia Martin")
    paul = make_user(name="Paul Roux")
    coordinator = make_user()
    clamart = make_group(name="Collectif de Clamart")
    meudon = make_group(name="Collectif de Meudon")
    add_member(coordinator, meudon, Role.COORDINATOR)
    old = services.create_thread(nadia, clamart, title="Vieux fil", body="Bonjour")
    hidden = services.create_thread(nadia, meudon, title="Fil masqué", body="Bonjour")
    services.create_thread(nadia, meudon, title="Fil de Meudon", body="Bonjour")
    moderation.set_thread_hidden(coordinator, hidden, True, "Hors sujet")
    services.reply(paul, old, body="Je relance ce fil")  # the oldest comes back up
    db.session.commit()

    page = client.get("/").get_data(as_text=True)
    assert activity_titles(page) == ["Vieux fil", "Fil de Meudon"]
    section = page.split('id="activity-title"', 1)[1].split("</section>", 1)[0]
    assert "Collectif de Clamart" in section and "Collectif de Meudon" in section
    # The last poster, and when, as the relative-time macro says it.
    assert "dernier message de" in section and "Paul Roux" in section
    assert re.search(r'<time datetime="[^"]+Z" title="[^"]+">à l&#39;instant</time>', section)
    # Then the groups by commune.
    assert page.index('id="activity-title"') < page.index('id="groups-title"')
    assert "Nouveau" not in section  # a visitor has no unread marks


def test_the_home_page_lists_at_most_ten_and_says_when_there_is_none(client, db):
    assert "Aucune discussion pour l’instant." in client.get("/").get_data(as_text=True)
    author = make_user()
    group = make_group()
    for n in range(12):
        services.create_thread(author, group, title=f"Fil {n:02d}", body="Bonjour")
    db.session.commit()
    titles = activity_titles(client.get("/").get_data(as_text=True))
    assert titles == [f"Fil {n:02d}" for n in range(11, 1, -1)]


def test_members_see_what_they_have_not_read_on_the_home_page(client, db):
    author = make_user()
    reader = make_user()
    group = make_group()
    seen = services.create_thread(author, group, title="Lu en entier", body="Un")
    partly = services.create_thread(author, group, title="Lu en partie", body="Un")
    services.create_thread(author, group, title="Jamais ouvert", body="Un")
    services.read_up_to(reader, seen, 1)
    services.read_up_to(reader, partly, 1)
    second = services.reply(author, partly, body="Deux")
    services.reply(author, partly, body="Trois")
    db.session.commit()
    login_as(client, reader)

    page = client.get("/").get_data(as_text=True)
    pattern = r'<li( class="unread")?>\s*<a class="activity-title"[^>]*>([^<]+)</a>'
    items = {title: marker for marker, title in re.findall(pattern, page)}
    assert items == {
        "Lu en entier": "",
        "Lu en partie": ' class="unread"',
        "Jamais ouvert": ' class="unread"',
    }
    assert "2 messages non lus" in page
    assert f'href="/threads/{partly.id}?page=1#post-{second.id}"' in page


def test_unread_counts_on_the_group_page_lead_to_the_first_unread_post(client, db):
    author = make_user()
    reader = make_user()
    group = make_group("entraide")
    add_member(reader, group)
    thread = services.create_thread(author, group, title="Un long fil", body="Message 1")
    for n in range(2, POSTS_PER_PAGE + 3):  # 22 posts: two pages
        services.reply(author, thread, body=f"Message {n}")
    services.read_up_to(reader, thread, POSTS_PER_PAGE)  # the whole first page
    db.session.commit()
    login_as(client, reader)
    first_unread = services.post_by_number(thread, POSTS_PER_PAGE + 1)

    page = client.get("/groups/entraide/").get_data(as_text=True)
    link = f'href="/threads/{thread.id}?page=2#post-{first_unread.id}"'
    assert link in page and "2 messages non lus" in page

    # Reading the second page leaves nothing unread.
    client.get(f"/threads/{thread.id}?page=2")
    page = client.get("/groups/entraide/").get_data(as_text=True)
    assert "messages non lus" not in page and "tag-new" not in page


def test_a_thread_page_offers_to_jump_to_the_first_unread_post(client, db):
    author = make_user()
    reader = make_user()
    group = make_group()
    thread = services.create_thread(author, group, title="Un long fil", body="Message 1")
    for n in range(2, 2 * POSTS_PER_PAGE + 6):  # 45 posts: three pages
        services.reply(author, thread, body=f"Message {n}")
    services.read_up_to(reader, thread, POSTS_PER_PAGE + 3)
    db.session.commit()
    login_as(client, reader)
    first_unread = services.post_by_number(thread, POSTS_PER_PAGE + 4)

    # Without a page, the member lands on the first unread post.
    response = client.get(f"/threads/{thread.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/threads/{thread.id}?page=2#post-{first_unread.id}"
    # On another page, a link leads there, saying how many are new.
    page = client.get(f"/threads/{thread.id}?page=1").get_data(as_text=True)
    assert "22 nouveaux messages depuis votre dernière visite" in page
    assert f'href="/threads/{thread.id}?page=2#post-{first_unread.id}"' in page
    # On the page itself, the link is the post's anchor.
    page = client.get(f"/threads/{thread.id}?page=2").get_data(as_text=True)
    assert f'<a href="#post-{first_unread.id}">' in page
    # Having read page 2, the rest starts on page 3.
    response = client.get(f"/threads/{thread.id}")
    third = services.post_by_number(thread, 2 * POSTS_PER_PAGE + 1)
    assert response.headers["Location"] == f"/threads/{thread.id}?page=3#post-{third.id}"


def test_a_thread_never_opened_starts_at_the_beginning_without_a_notice(client, db):
    author = make_user()
    reader = make_user()
    thread = services.create_thread(author, make_group(), title="Un fil", body="Message 1")
    services.reply(author, thread, body="Message 2")
    db.session.commit()
    login_as(client, reader)
    response = client.get(f"/threads/{thread.id}")
    assert response.status_code == 200
    assert "depuis votre dernière visite" not in response.get_data(as_text=True)


def test_active_threads_skip_hidden_threads_even_for_their_moderators(db):
    author = make_user()
    coordinator = make_user()
    group = make_group()
    add_member(coordinator, group, Role.COORDINATOR)
    thread = services.create_thread(author, group, title="Masqué", body="Bonjour")
    moderation.set_thread_hidden(coordinator, thread, True, "Spam")
    shown = services.create_thread(author, group, title="Visible", body="Bonjour")
    shown.last_posted_at = utcnow() - timedelta(days=30)
    db.session.flush()
    assert [row.thread.title for row in active_threads(coordinator)] == ["Visible"]


def test_members_with_the_same_groups_and_roles_each_see_their_own_marks(app, db):
    """The statements of a member's pages are built once per kind of access and kept
    (permissions.per_access): two members of the same group with the same role share
    them, and each still sees their own unread marks, on the group page and the home page,
    and their own follow button."""
    from forum.notifications.following import follow_group

    author, reader, other = make_user(), make_user(), make_user()
    group = make_group()
    for member in (reader, other):
        add_member(member, group)
    read = services.create_thread(author, group, title="Lu par le premier", body="Un")
    services.create_thread(author, group, title="Lu par personne", body="Un")
    services.read_up_to(reader, read, 1)
    follow_group(other, group)
    db.session.commit()

    seen = {}
    for member in (reader, other, reader):
        client = app.test_client()
        login_as(client, member)
        home = client.get("/").get_data(as_text=True)
        page = client.get(f"/groups/{group.slug}/").get_data(as_text=True)
        unread = re.findall(r'<tr class="unread">\s*<td><a href="/threads/\d+">([^<]+)</a>', page)
        on_home = re.findall(r'<li class="unread">\s*<a class="activity-title"[^>]*>([^<]+)<', home)
        following = "Vous suivez les nouveaux fils de ce groupe." in page
        seen.setdefault(member.id, []).append((sorted(unread), sorted(on_home), following))

    assert seen[reader.id][0] == seen[reader.id][1]  # the second visit, after the other's
    assert seen[reader.id][0] == (["Lu par personne"], ["Lu par personne"], False)
    assert seen[other.id] == [
        (["Lu par le premier", "Lu par personne"], ["Lu par le premier", "Lu par personne"], True)
    ]
