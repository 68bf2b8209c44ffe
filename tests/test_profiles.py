"""Public profiles: what a member's page shows to whom, handles and mentions that link to it."""

from __future__ import annotations

import re

from forum.discussions import moderation
from forum.discussions import services as discussions
from forum.markup import render_markdown
from forum.people.services import POSTS_PER_PAGE
from tests.conftest import login_as
from tests.factories import (
    add_member,
    make_group,
    make_meeting,
    make_pledge,
    make_project,
    make_thread,
    make_user,
)
from tests.test_speed import measure


def test_a_profile_shows_name_handle_groups_and_roles(client, db):
    ines = make_user(name="Inès Bernard", username="ines-b")
    group = make_group("ldh-clamart", name="LDH Clamart")
    add_member(ines, group, "coordinator")
    db.session.commit()
    page = client.get("/users/ines-b").get_data(as_text=True)
    assert "Inès Bernard" in page and "@ines-b" in page
    assert 'href="/groups/ldh-clamart/"' in page and "Coordinat" in page
    assert 'src="/users/ines-b/avatar.svg" alt=""' in page


def test_an_unknown_or_deleted_member_is_404(client, db):
    from forum.accounts import services as accounts

    gone = make_user(username="gone")
    accounts.delete_account(gone, "correct horse battery staple")
    db.session.commit()
    assert client.get("/users/nobody").status_code == 404
    assert client.get("/users/gone").status_code == 404
    assert client.get(f"/users/deleted-{gone.id}").status_code == 404
    assert client.get("/users/" + "a" * 300).status_code == 404


def test_a_suspended_member_is_shown_marked(client, db):
    make_user(username="suspendu", suspended=True)
    db.session.commit()
    response = client.get("/users/suspendu")
    assert response.status_code == 200
    assert "Compte suspendu" in response.get_data(as_text=True)


def test_the_handle_is_case_insensitive_and_redirects_to_its_spelling(client, db):
    make_user(username="ines-b")
    db.session.commit()
    response = client.get("/users/INES-B")
    assert response.status_code == 301 and response.headers["Location"].endswith("/users/ines-b")


def test_only_posts_the_viewer_may_read_are_listed(client, db):
    author, coordinator = make_user(username="auteur"), make_user()
    group = make_group()
    add_member(coordinator, group, "coordinator")
    thread = discussions.create_thread(author, group, title="Visible", body="Premier texte")
    hidden = discussions.reply(author, thread, body="Texte caché par la modération")
    deleted = discussions.reply(author, thread, body="Texte supprimé")
    secret = discussions.create_thread(author, group, title="Fil masqué", body="Dans un fil masqué")
    moderation.hide_post(coordinator, hidden, category="spam")
    discussions.delete_post(author, deleted)
    moderation.set_thread_hidden(coordinator, secret, True, "hors sujet")
    db.session.commit()
    page = client.get("/users/auteur").get_data(as_text=True)
    assert "Premier texte" in page
    for absent in ("caché par la modération", "Texte supprimé", "Fil masqué"):
        assert absent not in page
    login_as(client, author)  # the author reads their hidden post; the hidden thread, no
    page = client.get("/users/auteur").get_data(as_text=True)
    assert "caché par la modération" in page and "Fil masqué" not in page
    login_as(app_client := client.application.test_client(), coordinator)
    page = app_client.get("/users/auteur").get_data(as_text=True)
    assert "Fil masqué" in page and "Texte supprimé" not in page


def test_posts_are_paginated(client, db):
    author = make_user(username="bavarde")
    group = make_group()
    thread = make_thread(author, group, title="Long fil")
    for n in range(POSTS_PER_PAGE + 5):
        discussions.reply(author, thread, body=f"Message numéro {n}")
    db.session.commit()
    first = client.get("/users/bavarde").get_data(as_text=True)
    assert "Message numéro 24" in first and "Message numéro 0<" not in first
    assert 'href="/users/bavarde?page=2"' in first
    second = client.get("/users/bavarde?page=2").get_data(as_text=True)
    assert "Message numéro 0" in second
    assert client.get("/users/bavarde?page=99").status_code == 200
    assert client.get("/users/bavarde?page=abc").status_code == 200


def test_meetings_shown_are_public_upcoming_and_answered_yes(client, db):
    from forum.meetings import services as meetings

    member = make_user(username="venue")
    group = make_group()
    add_member(member, group)
    public = make_meeting(group, title="Réunion publique")
    private = make_meeting(group, title="Réunion des membres", visibility="members")
    maybe = make_meeting(group, title="Réunion peut-être")
    past = make_meeting(group, title="Réunion passée", days=-3)
    for meeting in (public, private):
        meetings.answer(member, meeting, "yes")
    meetings.answer(member, maybe, "maybe")
    from forum.meetings.models import MeetingAnswer

    db.session.add(MeetingAnswer(meeting_id=past.id, user_id=member.id, status="yes"))
    db.session.commit()
    page = client.get("/users/venue").get_data(as_text=True)
    assert "Réunion publique" in page
    for absent in ("Réunion des membres", "Réunion peut-être", "Réunion passée"):
        assert absent not in page


def test_a_pledge_is_shown_only_with_the_name_and_only_its_forms_of_help(client, db):
    shown, discreet = make_user(username="visible"), make_user(username="discrete")
    project = make_project(title="Un toit pour quinze familles")
    make_pledge(shown, project, hours=7, message="Mon message privé", show_name=True)
    make_pledge(discreet, project, show_name=False)
    db.session.commit()
    page = client.get("/users/visible").get_data(as_text=True)
    assert "Un toit pour quinze familles" in page and "Transport" in page
    section = page[page.index('id="pledges-title"') : page.index('id="posts-title"')]
    assert "Mon message privé" not in page and "7" not in re.sub(r"<[^>]+>", "", section)
    assert "heure" not in section.lower()
    assert "Un toit pour quinze familles" not in client.get("/users/discrete").get_data(
        as_text=True
    )


def test_a_profile_runs_a_fixed_number_of_statements(app, db):
    author = make_user(username="mesure")
    group = make_group()
    add_member(author, group)
    project = make_project()
    make_pledge(author, project, show_name=True)
    make_meeting(group)
    db.session.commit()
    counts = []
    for _round in range(2):
        thread = make_thread(author, group)
        for n in range(30):
            discussions.reply(author, thread, body=f"Réponse {n}")
        db.session.commit()
        count, writes, _response = measure(app.test_client(), db, "/users/mesure")
        assert writes == []
        counts.append(count)
    assert counts[0] == counts[1] <= 6, counts


def test_mentions_link_to_profiles_and_unknown_ones_stay_text(app, db):
    make_user(username="ines-b")
    db.session.commit()
    html = render_markdown("Merci @ines-b et @personne, voir `@ines-b`").html
    assert '<a href="/users/ines-b" rel="nofollow ugc noopener"><span class="mention">@ines-b' in (
        html
    )
    assert "@personne" in html and 'href="/users/personne"' not in html
    assert html.count("<a ") == 1  # nothing in code


def test_mentions_resolve_in_one_query_per_render(app, db):
    from tests.test_speed import statements

    for n in range(5):
        make_user(username=f"voisin-{n}")
    db.session.commit()
    text = " ".join(f"@voisin-{n}" for n in range(5)) + " @inconnu"
    with statements(db) as seen:
        html = render_markdown(text).html
    assert len(seen) == 1 and html.count('<span class="mention">') == 5


def test_a_post_links_its_author_and_mentions(client, db):
    author, other = make_user(username="auteur", name="Auteur"), make_user(username="autre")
    group = make_group()
    thread = discussions.create_thread(author, group, title="Fil", body="Bonjour @autre")
    db.session.commit()
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert 'href="/users/auteur"' in page and 'href="/users/autre"' in page
    assert 'src="/users/auteur/avatar.svg"' in page
    assert other.username == "autre"


def test_the_group_page_links_thread_authors_with_their_avatars(client, db):
    author = make_user(username="auteur", name="Auteur <b>gras</b>")
    group = make_group("entraide")
    discussions.create_thread(author, group, title="Fil", body="Bonjour")
    db.session.commit()
    page = client.get("/groups/entraide/").get_data(as_text=True)
    assert '<a class="person" href="/users/auteur"><img class="avatar"' in page
    assert "Auteur &lt;b&gt;gras&lt;/b&gt;" in page and "<b>gras" not in page


def test_a_mention_of_an_earlier_handle_still_notifies(client, db):
    from sqlalchemy import select

    from forum.accounts import changes
    from forum.notifications.models import Notification

    ines, author = make_user(username="ines"), make_user()
    changes.change_handle(ines, "ines-b")
    group = make_group()
    discussions.create_thread(author, group, title="Fil", body="Tu viens @ines ?")
    db.session.commit()
    assert db.session.scalars(select(Notification.user_id)).all() == [ines.id]
