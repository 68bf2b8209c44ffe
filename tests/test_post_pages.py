"""A post's own pages and links: quotes that lead to the quoted post, the history saying
who edited, deleting after a confirmation page of its own."""

from __future__ import annotations

import re

from forum.discussions import services
from forum.discussions.models import POSTS_PER_PAGE
from forum.groups.models import Role
from tests.conftest import login_as, post_form
from tests.factories import add_member, make_group, make_user


def textarea(page: str) -> str:
    import html

    return html.unescape(re.search(r"<textarea[^>]*>\r?\n?(.*?)</textarea>", page, re.S).group(1))


def test_a_quote_links_to_the_post_it_quotes_on_its_page(client, db):
    claire = make_user(username="claire")
    reader = make_user(username="reader")
    group = make_group()
    thread = services.create_thread(claire, group, title="Un long fil", body="Message 1")
    for n in range(2, POSTS_PER_PAGE + 3):
        services.reply(claire, thread, body=f"Message {n}")
    quoted = services.post_by_number(thread, 3)
    db.session.commit()
    login_as(client, reader)

    page = client.get(f"/threads/{thread.id}?page=1&quote={quoted.id}").get_data(as_text=True)
    body = textarea(page)
    assert body.startswith(f"> **@claire**, [message n° 3](/posts/{quoted.id}) :\n> Message 3")
    response = post_form(
        client,
        f"/threads/{thread.id}/posts",
        {"body": body + "Je suis d’accord."},
        form_url=f"/threads/{thread.id}?page=1",
    )
    assert response.status_code == 302
    reply = services.post_by_number(thread, POSTS_PER_PAGE + 3)
    # The rendered quote carries the link; the quoted member is mentioned (a profile link).
    assert f'<a href="/posts/{quoted.id}" rel="nofollow ugc noopener">message n° 3</a>' in (
        reply.body_html
    )
    assert '<a href="/users/claire"' in reply.body_html
    # The link finds the quoted post on its page.
    response = client.get(f"/posts/{quoted.id}")
    assert response.headers["Location"] == f"/threads/{thread.id}?page=1#post-{quoted.id}"


def test_the_quote_is_worded_in_the_replying_members_language(client, db):
    author = make_user(username="claire")
    thread = services.create_thread(author, make_group(), title="Un fil", body="Bonjour")
    first = services.post_by_number(thread, 1)
    db.session.commit()
    login_as(client, make_user(locale="en"))
    page = client.get(f"/threads/{thread.id}?page=1&quote={first.id}").get_data(as_text=True)
    assert textarea(page).startswith(f"> **@claire**, [message #1](/posts/{first.id}) :")


def test_the_history_says_who_edited_the_author_or_the_moderation(client, db):
    author = make_user()
    coordinator = make_user()
    group = make_group()
    add_member(coordinator, group, Role.COORDINATOR)
    thread = services.create_thread(author, group, title="Un fil", body="Version une")
    post = services.post_by_number(thread, 1)
    services.edit_post(author, post, body="Version deux")
    db.session.commit()

    def current(page: str) -> str:
        return page.split('id="current-title"', 1)[1].split("</section>", 1)[0]

    page = client.get(f"/posts/{post.id}/history").get_data(as_text=True)
    assert "Modifié par son auteur" in current(page)
    services.edit_post(coordinator, post, body="Version trois")
    db.session.commit()
    page = client.get(f"/posts/{post.id}/history").get_data(as_text=True)
    assert "Modifié par la modération" in current(page)
    earlier = page.split('id="current-title"', 1)[1].split("</section>", 1)[1]
    # The earlier versions say who replaced each: the moderation, then the author.
    assert earlier.index("Remplacée par la modération") < earlier.index("Version deux")
    assert earlier.index("Version deux") < earlier.index("Remplacée par son auteur")
    # Never edited: nothing to say.
    other = services.reply(author, thread, body="Jamais modifié")
    db.session.commit()
    page = client.get(f"/posts/{other.id}/history").get_data(as_text=True)
    assert "Modifié par" not in page


def test_deleting_asks_on_a_page_of_its_own_then_deletes(client, db):
    author = make_user()
    thread = services.create_thread(author, make_group(), title="Un fil", body="Bonjour")
    post = services.reply(author, thread, body="Une erreur de ma part")
    db.session.commit()
    login_as(client, author)

    page = client.get(f"/threads/{thread.id}?page=1").get_data(as_text=True)
    assert f'<a href="/posts/{post.id}/delete">Supprimer</a>' in page  # a link, not a form
    confirm = client.get(f"/posts/{post.id}/delete")
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert "Supprimer ce message ?" in text and "Une erreur de ma part" in text
    assert "message d’ouverture" not in text
    assert f'<a href="/posts/{post.id}">Le garder</a>' in text
    db.session.refresh(post)
    assert post.deleted_at is None  # asking changed nothing

    response = post_form(client, f"/posts/{post.id}/delete", {})
    assert response.status_code == 302
    db.session.refresh(post)
    assert post.is_deleted
    # Once deleted, there is nothing left to confirm.
    assert client.get(f"/posts/{post.id}/delete").status_code == 404


def test_deleting_the_opening_post_says_the_replies_stay(client, db):
    author = make_user()
    other = make_user()
    thread = services.create_thread(author, make_group(), title="Un fil", body="Bonjour")
    services.reply(other, thread, body="Une réponse")
    services.reply(other, thread, body="Une autre")
    db.session.commit()
    opening = services.post_by_number(thread, 1)
    login_as(client, author)
    text = client.get(f"/posts/{opening.id}/delete").get_data(as_text=True)
    assert "C’est le message d’ouverture du fil" in text
    assert "ses 2 réponses" in text
    post_form(client, f"/posts/{opening.id}/delete", {})
    page = client.get(f"/threads/{thread.id}?page=1").get_data(as_text=True)
    assert "Ce message a été supprimé par son auteur." in page
    assert "Une réponse" in page and "Une autre" in page


def test_only_who_may_delete_sees_the_confirmation(client, db):
    author = make_user()
    thread = services.create_thread(author, make_group(), title="Un fil", body="Bonjour")
    post = services.post_by_number(thread, 1)
    db.session.commit()
    assert client.get(f"/posts/{post.id}/delete").status_code == 302  # sign in first
    login_as(client, make_user())
    assert client.get(f"/posts/{post.id}/delete").status_code == 403
    assert post_form(client, f"/posts/{post.id}/delete", {}, form_url="/").status_code == 403
