"""Threads and replies: reading, writing, editing, drafts, moderation, permissions."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from forum.audit.models import AuditEntry
from forum.discussions import drafts, moderation, services
from forum.discussions.models import Flag, Post, Thread
from forum.groups.models import Role
from tests.conftest import csrf_token, login_as, post_form
from tests.factories import add_member, make_group, make_user


@pytest.fixture
def group(db):
    return make_group("ldh-clamart", name="Section LDH de Clamart")


def start(author, group, title="Un logement pour cet hiver", body="Premier message"):
    return services.create_thread(author, group, title=title, body=body)


def thread_url(thread, **q):
    query = "&".join(f"{k}={v}" for k, v in q.items())
    return f"/threads/{thread.id}" + (f"?{query}" if query else "")


def test_a_member_starts_a_thread_and_it_is_listed(client, db, group):
    user = make_user(name="Nadia")
    db.session.commit()
    login_as(client, user)

    response = post_form(
        client,
        "/groups/ldh-clamart/threads/new",
        {"title": "Réunion avec la mairie", "body": "On se retrouve **jeudi**."},
    )
    assert response.status_code == 302
    thread = db.session.scalar(select(Thread))
    assert response.headers["Location"] == f"/threads/{thread.id}"
    page = client.get(f"/threads/{thread.id}?page=1").get_data(as_text=True)
    assert "Réunion avec la mairie" in page and "<strong>jeudi</strong>" in page
    listing = client.get("/groups/ldh-clamart/").get_data(as_text=True)
    assert "Réunion avec la mairie" in listing and "Nadia" in listing


@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("ab", "texte", "entre 3 et 150"),
        ("x" * 151, "texte", "entre 3 et 150"),
        ("Un bon titre", "", "Ce champ est requis"),
        ("Un bon titre", "y" * 50_001, "entre 1 et 50000"),
    ],
)
def test_thread_limits_keep_what_was_typed(client, db, group, title, body, message):
    user = make_user()
    db.session.commit()
    login_as(client, user)
    response = post_form(client, "/groups/ldh-clamart/threads/new", {"title": title, "body": body})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page.replace("\u202f", " ").replace("\xa0", " ") or message in page
    if 3 <= len(title) <= 150:
        assert f'value="{title}"' in page
    assert db.session.scalar(select(func.count(Thread.id))) == 0


def test_replies_are_numbered_paginated_and_permalinked(client, db, group):
    author = make_user()
    thread = start(author, group)
    posts = [services.reply(author, thread, body=f"Réponse {i}") for i in range(2, 46)]
    db.session.commit()

    assert [p.number for p in posts[:3]] == [2, 3, 4]
    assert thread.post_count == 45 and thread.page_count == 3
    page2 = client.get(thread_url(thread, page=2)).get_data(as_text=True)
    assert "Réponse 21" in page2 and "Réponse 40" in page2
    assert "Réponse 20<" not in page2 and "Réponse 41" not in page2
    target = posts[-1]  # number 45: page 3
    response = client.get(f"/posts/{target.id}")
    assert response.headers["Location"] == f"/threads/{thread.id}?page=3#post-{target.id}"


def test_a_member_lands_on_the_first_unread_post(client, db, group):
    author, reader = make_user(), make_user()
    thread = start(author, group)
    for i in range(2, 26):
        services.reply(author, thread, body=f"Message {i}")
    services.read_up_to(reader, thread, 22)
    db.session.commit()
    login_as(client, reader)

    response = client.get(thread_url(thread))
    post23 = services.post_by_number(thread, 23)
    assert response.headers["Location"] == f"/threads/{thread.id}?page=2#post-{post23.id}"
    client.get(thread_url(thread, page=2))  # reading the last page marks everything read
    assert client.get(thread_url(thread)).status_code == 200


def test_unread_marker_on_the_group_page(client, db, group):
    author, reader = make_user(), make_user()
    read_thread = start(author, group, title="Fil déjà lu")
    start(author, group, title="Fil nouveau")
    services.read_up_to(reader, read_thread, 1)
    db.session.commit()
    login_as(client, reader)
    page = client.get("/groups/ldh-clamart/").get_data(as_text=True)
    rows = re.findall(
        r"<tr( class=\"unread\")?>\s*<td>.*?<a href=\"/threads/\d+\">([^<]+)</a>", page, re.S
    )
    assert ("", "Fil déjà lu") in rows and (' class="unread"', "Fil nouveau") in rows


def test_preview_shows_the_rendered_text_without_posting(client, db, group):
    user = make_user()
    thread = start(user, group)
    db.session.commit()
    login_as(client, user)
    response = post_form(
        client,
        f"/threads/{thread.id}/posts",
        {"body": "Texte **gras**", "preview": "1"},
        form_url=thread_url(thread, page=1),
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<strong>gras</strong>" in page and "Texte **gras**</textarea>" in page
    assert db.session.scalar(select(func.count(Post.id))) == 1


def test_quote_prefills_the_reply(client, db, group):
    author = make_user(username="claire")
    thread = start(author, group, body="Il faut écrire au préfet.")
    db.session.commit()
    login_as(client, make_user())
    first = services.post_by_number(thread, 1)
    page = client.get(thread_url(thread, page=1, quote=first.id)).get_data(as_text=True)
    quote = f"&gt; **@claire**, [message n° 1](/posts/{first.id}) :\n&gt; Il faut écrire au préfet."
    assert quote in page


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("locked", "Ce fil est verrouillé"),
        ("unverified", "Confirmez votre adresse e-mail pour publier"),
        ("suspended", "Votre compte est suspendu"),
    ],
)
def test_refused_replies_say_why_and_keep_the_text(client, db, group, state, message):
    author = make_user()
    thread = start(author, group)
    user = make_user(verified=state != "unverified", suspended=state == "suspended")
    if state == "locked":
        moderation.set_locked(author, thread, True)
    db.session.commit()
    login_as(client, user)
    response = post_form(
        client,
        f"/threads/{thread.id}/posts",
        {"body": "Mon long message important"},
        form_url=thread_url(thread, page=1),
    )
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert message in page
    assert "Mon long message important</textarea>" in page
    assert db.session.scalar(select(func.count(Post.id))) == 1


def test_a_hidden_thread_answers_404_except_to_moderators(app, db, group):
    author, coordinator = make_user(), make_user()
    add_member(coordinator, group, Role.COORDINATOR)
    thread = start(author, group)
    moderation.set_thread_hidden(coordinator, thread, True, "hors sujet")
    db.session.commit()
    visitor = app.test_client()
    assert visitor.get(thread_url(thread, page=1)).status_code == 404
    member = app.test_client()
    login_as(member, author)
    assert member.get(thread_url(thread, page=1)).status_code == 404
    mod = app.test_client()
    login_as(mod, coordinator)
    assert mod.get(thread_url(thread, page=1)).status_code == 200


def test_edit_keeps_every_earlier_version(client, db, group):
    user = make_user()
    thread = start(user, group, body="Version une")
    db.session.commit()
    login_as(client, user)
    post = services.post_by_number(thread, 1)
    for text in ("Version deux", "Version trois"):
        response = post_form(client, f"/posts/{post.id}/edit", {"body": text})
        assert response.status_code == 302
    history = client.get(f"/posts/{post.id}/history").get_data(as_text=True)
    assert (
        history.index("Version trois")
        < history.index("Version deux")
        < history.index("Version une")
    )
    assert "modifié" in client.get(thread_url(thread, page=1)).get_data(as_text=True)


def test_an_author_deletes_a_post_softly(client, db, group):
    user = make_user()
    thread = start(user, group)
    post = services.reply(user, thread, body="Message à retirer")
    db.session.commit()
    login_as(client, user)
    response = post_form(
        client, f"/posts/{post.id}/delete", {}, form_url=thread_url(thread, page=1)
    )
    assert response.status_code == 302
    page = client.get(thread_url(thread, page=1)).get_data(as_text=True)
    assert "Message à retirer" not in page and "supprimé par son auteur" in page
    # Its text is gone everywhere a post can be shown: history, quote, report form, feeds.
    assert client.get(f"/posts/{post.id}/history").status_code == 404
    assert client.get(f"/posts/{post.id}/flag").status_code == 404
    quoting = client.get(thread_url(thread, page=1, quote=post.id)).get_data(as_text=True)
    assert "Message à retirer" not in quoting
    assert "Message à retirer" not in client.get(f"/threads/{thread.id}/feed.atom").get_data(
        as_text=True
    )
    # It still has its place: the permalink leads there.
    assert client.get(f"/posts/{post.id}").status_code == 302


def test_a_deleted_post_is_gone_for_moderators_too_and_says_who_deleted_it(client, db, group):
    author, coordinator, reader = make_user(), make_user(), make_user()
    add_member(coordinator, group, "coordinator")
    thread = start(author, group)
    post = services.reply(author, thread, body="Propos à retirer")
    db.session.commit()
    login_as(client, coordinator)
    assert post_form(client, f"/posts/{post.id}/delete", {}, form_url="/").status_code == 302
    page = client.get(thread_url(thread, page=1)).get_data(as_text=True)
    assert "supprimé par la modération" in page and "Propos à retirer" not in page
    # Nobody edits or reads a deleted post, a moderator included.
    assert client.get(f"/posts/{post.id}/edit").status_code == 404
    assert client.get(f"/posts/{post.id}/history").status_code == 404
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "post.delete"))
    assert (entry.actor_id, entry.target_id, entry.group_id) == (coordinator.id, post.id, group.id)
    login_as(app_client := client.application.test_client(), reader)
    assert "supprimé par la modération" in app_client.get(thread_url(thread, page=1)).get_data(
        as_text=True
    )


def test_a_reply_survives_an_expired_session(app, db, group):
    user = make_user()
    thread = start(user, group)
    db.session.commit()
    client = app.test_client()
    long_text = "Compte rendu de la visite au terrain des 50 arpents. " * 100
    token = csrf_token(client)  # visitors' thread pages carry no token (no cookie)
    # The session has ended: the browser is not signed in any more.
    response = client.post(
        f"/threads/{thread.id}/posts", data={"csrf_token": token, "body": long_text}
    )
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/auth/login?next=")
    next_url = re.search(r"next=([^&]+)", login_url).group(1)
    from urllib.parse import unquote

    next_url = unquote(next_url)
    login_as(client, user)
    page = client.get(next_url).get_data(as_text=True)
    assert long_text.strip()[:500].replace("'", "&#39;") in page
    # The draft is given once.
    assert long_text.strip()[:200].replace("'", "&#39;") not in client.get(next_url).get_data(
        as_text=True
    )


def test_a_new_thread_survives_an_expired_session(app, db, group):
    user = make_user()
    db.session.commit()
    client = app.test_client()
    token = csrf_token(client, "/auth/login")
    response = client.post(
        "/groups/ldh-clamart/threads/new",
        data={"csrf_token": token, "title": "Titre gardé", "body": "Corps gardé"},
    )
    from urllib.parse import unquote

    next_url = unquote(re.search(r"next=([^&]+)", response.headers["Location"]).group(1))
    login_as(client, user)
    page = client.get(next_url).get_data(as_text=True)
    assert 'value="Titre gardé"' in page and "Corps gardé</textarea>" in page


def test_an_edit_survives_an_expired_session(app, db, group):
    user = make_user()
    thread = start(user, group)
    post = services.reply(user, thread, body="Première version")
    db.session.commit()
    client = app.test_client()
    token = csrf_token(client, "/auth/login")
    response = client.post(
        f"/posts/{post.id}/edit", data={"csrf_token": token, "body": "Version corrigée, longue"}
    )
    from urllib.parse import unquote

    next_url = unquote(re.search(r"next=([^&]+)", response.headers["Location"]).group(1))
    assert next_url.startswith(f"/posts/{post.id}/edit?draft=")
    login_as(client, user)
    page = client.get(next_url).get_data(as_text=True)
    assert "Version corrigée, longue</textarea>" in page
    # Nothing was saved behind the author's back, and the draft is given once.
    assert db.session.get(type(post), post.id).body == "Première version"
    assert "Première version</textarea>" in client.get(next_url).get_data(as_text=True)


def test_a_draft_is_given_once_and_only_where_it_was_written(db, group):
    user = make_user()
    thread = start(user, group)
    post = services.post_by_number(thread, 1)
    reply = drafts.save_draft(user, body="Réponse", thread=thread)
    edit = drafts.save_draft(user, body="Correction", post=post)
    db.session.commit()
    # A reply's draft is not an edit's, nor a new thread's, and the other way round.
    assert drafts.claim_draft(reply.token, user, post=post) is None
    assert drafts.claim_draft(reply.token, user, group=group) is None
    assert drafts.claim_draft(edit.token, user, thread=thread) is None
    assert drafts.claim_draft(edit.token, user, post=post).body == "Correction"
    db.session.commit()
    assert drafts.claim_draft(edit.token, user, post=post) is None  # given once
    assert drafts.claim_draft(reply.token, user, thread=thread).body == "Réponse"


def test_a_draft_is_not_given_to_someone_else(app, db, group):
    owner, other = make_user(), make_user()
    thread = start(owner, group)
    draft = drafts.save_draft(owner, body="Texte privé", thread=thread)
    db.session.commit()
    client = app.test_client()
    login_as(client, other)
    page = client.get(thread_url(thread, page=1, draft=draft.token)).get_data(as_text=True)
    assert "Texte privé" not in page


# --- Moderation and permissions --------------------------------------------------------


@pytest.fixture
def cast(db, group):
    meudon = make_group("solidarite-meudon", name="Solidarité Meudon")
    people = {
        "author": make_user(),
        "member": make_user(),
        "coordinator": make_user(),
        "other_coordinator": make_user(),
        "admin": make_user(admin=True),
    }
    add_member(people["author"], group, Role.MEMBER)
    add_member(people["member"], group, Role.MEMBER)
    add_member(people["coordinator"], group, Role.COORDINATOR)
    add_member(people["coordinator"], meudon, Role.COORDINATOR)
    add_member(people["other_coordinator"], meudon, Role.COORDINATOR)
    thread = start(people["author"], group)
    post = services.reply(people["author"], thread, body="Un message discutable")
    db.session.commit()
    return people, thread, post, meudon


EXPECTED = {
    # (action, who): allowed?
    "edit": {"author", "coordinator", "admin"},
    "hide": {"coordinator", "admin"},
    "lock": {"coordinator", "admin"},
}


@pytest.mark.parametrize(
    "who", ["visitor", "author", "member", "coordinator", "other_coordinator", "admin"]
)
def test_who_may_edit_hide_and_lock(app, db, cast, who):
    """Each answer is checked by its effect: an allowed action changed the post or thread,
    a refused one changed nothing (a redirect alone proves nothing)."""
    people, thread, post, _ = cast
    client = app.test_client()
    if who != "visitor":
        login_as(client, people[who])

    form = thread_url(thread, page=1) if who != "visitor" else "/auth/login"  # visitors: no token
    edit = post_form(client, f"/posts/{post.id}/edit", {"body": "Changé"}, form_url=form)
    hide = post_form(client, f"/posts/{post.id}/hide", {"category": "spam"}, form_url=form)
    lock = post_form(client, f"/threads/{thread.id}/lock", {}, form_url=form)

    db.session.expire_all()
    changed = {
        "edit": db.session.get(Post, post.id).body == "Changé",
        "hide": db.session.get(Post, post.id).is_hidden,
        "lock": db.session.get(Thread, thread.id).is_locked,
    }
    for action, response in (("edit", edit), ("hide", hide), ("lock", lock)):
        allowed = who in EXPECTED[action]
        assert changed[action] is allowed, (action, who)
        if who == "visitor":
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
        elif allowed:
            assert response.status_code == 302, (action, who)
        else:
            assert response.status_code == 403, (action, who, response.status_code)


def test_a_reporters_words_stay_with_the_moderators(app, db, cast):
    people, thread, post, _ = cast
    member = app.test_client()
    login_as(member, people["member"])
    form = member.get(f"/posts/{post.id}/flag").get_data(as_text=True)
    assert 'name="category"' in form and "jamais publié" in form
    response = post_form(
        member, f"/posts/{post.id}/flag", {"category": "abusive", "reason": "Propos blessants"}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Flag.category)) == "abusive"

    mod = app.test_client()
    login_as(mod, people["coordinator"])
    thread_page = mod.get(thread_url(thread, page=1)).get_data(as_text=True)
    assert "1 signalement en attente" in thread_page
    queue = mod.get("/groups/ldh-clamart/flags").get_data(as_text=True)
    assert "Propos blessants" in queue and "Un message discutable" in queue
    # The hiding form is not filled with the reporter's words.
    assert 'value="Propos blessants"' not in queue
    post_form(
        mod,
        f"/posts/{post.id}/hide",
        {
            "category": "abusive",
            "note": "Merci de rester courtois",
            "back": "/groups/ldh-clamart/flags",
        },
        form_url="/groups/ldh-clamart/flags",
    )
    assert "Aucun signalement" in mod.get("/groups/ldh-clamart/flags").get_data(as_text=True)

    visitor = app.test_client().get(thread_url(thread, page=1)).get_data(as_text=True)
    assert "Un message discutable" not in visitor and "Propos blessants" not in visitor
    assert "masqué par la modération" in visitor and "injurieux" in visitor
    assert "Merci de rester courtois" in visitor
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "post.hide"))
    assert (entry.actor_id, entry.detail) == (people["coordinator"].id, "abusive")

    post_form(mod, f"/posts/{post.id}/restore", {}, form_url=thread_url(thread, page=1))
    assert "Un message discutable" in app.test_client().get(thread_url(thread, page=1)).get_data(
        as_text=True
    )


def test_each_role_sees_the_posts_it_may_see_and_the_tools_it_may_use(app, db, cast):
    """A thread page with a visible, a hidden and a deleted post, read by a visitor, a member
    and a moderator: each sees what the rules give them, and only the forms they may send."""
    people, thread, post, _ = cast
    hidden = services.reply(people["author"], thread, body="Un texte masqué")
    gone = services.reply(people["member"], thread, body="Un texte retiré")
    moderation.hide_post(people["coordinator"], hidden, category="spam")
    services.delete_post(people["member"], gone)
    db.session.commit()
    url = thread_url(thread, page=1)

    def article(html: str, p: Post) -> str:
        start = html.index(f'id="post-{p.id}"')
        return html[start : html.index("</article>", start)]

    visitor = app.test_client().get(url).get_data(as_text=True)
    assert "Un message discutable" in article(visitor, post)
    assert "Un texte masqué" not in visitor and "Un texte retiré" not in visitor
    assert "masqué par la modération" in article(visitor, hidden)
    assert "supprimé par son auteur" in article(visitor, gone)
    assert "<form" not in article(visitor, post) and "Signaler" not in visitor

    member = app.test_client()
    login_as(member, people["member"])
    page = member.get(url).get_data(as_text=True)
    mine = article(page, post)
    assert f'action="/posts/{post.id}/reactions"' in mine and "Signaler" in mine
    assert "Un texte masqué" not in page and "/hide" not in page and "/restore" not in page

    mod = app.test_client()
    login_as(mod, people["coordinator"])
    page = mod.get(url).get_data(as_text=True)
    # The hidden text behind a disclosure, and the form that shows it again.
    shown = article(page, hidden)
    assert "Un texte masqué" in shown and "réservé aux modérateurs" in shown
    assert f'action="/posts/{hidden.id}/restore"' in shown
    # A visible post carries the hiding form with its reasons; a deleted one has no tools.
    assert f'action="/posts/{post.id}/hide"' in article(page, post)
    assert 'name="category" value="spam"' in article(page, post)
    assert "<form" not in article(page, gone) and "Un texte retiré" not in page


def test_each_report_is_its_own_row_and_a_member_has_one_open(app, db, cast):
    people, thread, post, _ = cast
    for who, reason in (("member", "Premier"), ("coordinator", "Second")):
        moderation.flag_post(people[who], post, category="spam", reason=reason)
    # The same member again while theirs waits: nothing more, nothing overwritten.
    assert moderation.flag_post(people["member"], post, category="other", reason="Encore") is None
    db.session.commit()
    assert sorted(db.session.scalars(select(Flag.reason))) == ["Premier", "Second"]
    moderation.dismiss_flags(people["coordinator"], post)
    db.session.commit()
    # Once resolved, a new report is a new row; the first one is kept.
    assert moderation.flag_post(people["member"], post, category="spam", reason="Revoilà")
    db.session.commit()
    assert db.session.scalar(select(func.count(Flag.id))) == 3


def test_the_flag_queue_is_for_coordinators_only(app, cast):
    people, *_ = cast
    client = app.test_client()
    login_as(client, people["member"])
    assert client.get("/groups/ldh-clamart/flags").status_code == 403
    login_as(app.test_client(), people["other_coordinator"])
    other = app.test_client()
    login_as(other, people["other_coordinator"])
    assert other.get("/groups/ldh-clamart/flags").status_code == 403


def test_moving_a_thread_needs_coordination_of_both_groups(app, db, cast):
    people, thread, _, meudon = cast
    client = app.test_client()
    login_as(client, people["coordinator"])
    response = post_form(client, f"/threads/{thread.id}/move", {"group": "solidarite-meudon"})
    assert response.status_code == 302
    db.session.refresh(thread)
    assert thread.group_id == meudon.id

    other = app.test_client()
    login_as(other, people["other_coordinator"])
    # Coordinates Meudon, not LDH Clamart: cannot move it back there.
    response = post_form(other, f"/threads/{thread.id}/move", {"group": "ldh-clamart"})
    assert response.status_code == 400
    db.session.refresh(thread)
    assert thread.group_id == meudon.id


def test_locked_and_pinned_threads(app, db, cast):
    people, thread, _, _ = cast
    other = start(people["author"], thread.group, title="Un autre fil")
    db.session.commit()
    mod = app.test_client()
    login_as(mod, people["coordinator"])
    post_form(mod, f"/threads/{thread.id}/pin", {}, form_url=thread_url(thread, page=1))
    listing = app.test_client().get("/groups/ldh-clamart/").get_data(as_text=True)
    assert listing.index(thread.title) < listing.index(other.title)  # pinned first
    assert "Épinglé" in listing

    # Locked: a member cannot reply, and is told why; the moderators still can.
    post_form(mod, f"/threads/{thread.id}/lock", {}, form_url=thread_url(thread, page=1))
    member = app.test_client()
    login_as(member, people["member"])
    page = member.get(thread_url(thread, page=1)).get_data(as_text=True)
    assert "Verrouillé" in page and "Ce fil est verrouillé" in page
    refused = post_form(member, f"/threads/{thread.id}/posts", {"body": "Trop tard"}, form_url="/")
    assert refused.status_code == 403 and "Trop tard" in refused.get_data(as_text=True)
    answered = post_form(
        mod, f"/threads/{thread.id}/posts", {"body": "Fil clos, merci."}, form_url="/"
    )
    assert answered.status_code == 302
    # Unlocked: the member replies again.
    post_form(mod, f"/threads/{thread.id}/unlock", {}, form_url="/")
    again = post_form(member, f"/threads/{thread.id}/posts", {"body": "Merci"}, form_url="/")
    assert again.status_code == 302
    db.session.expire_all()
    bodies = db.session.scalars(select(Post.body).where(Post.thread_id == thread.id)).all()
    assert "Trop tard" not in bodies and {"Fil clos, merci.", "Merci"} <= set(bodies)


def test_new_accounts_may_post_few_links(app, db, group):
    thread_author = make_user()
    thread = start(thread_author, group)
    newcomer = make_user()
    db.session.commit()
    client = app.test_client()
    login_as(client, newcomer)
    body = " ".join(f"https://example.org/{i}" for i in range(5))
    response = post_form(
        client, f"/threads/{thread.id}/posts", {"body": body}, form_url=thread_url(thread, page=1)
    )
    assert response.status_code == 400
    assert "au plus 2 liens" in response.get_data(as_text=True)


def test_the_flood_limit_answers_429_and_keeps_the_text(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_POST="2 per minute",
        RATELIMIT_POST_NEW_ACCOUNT="2 per minute",
    )
    from forum.extensions import db

    with app.app_context():
        group = make_group("ldh-clamart")
        user = make_user()
        thread = start(user, group)
        db.session.commit()
        client = app.test_client()
        login_as(client, user)
        statuses = []
        for i in range(3):
            response = post_form(
                client,
                f"/threads/{thread.id}/posts",
                {"body": f"Message numéro {i}"},
                form_url=thread_url(thread, page=1),
            )
            statuses.append(response.status_code)
        assert statuses == [302, 302, 429]
        page = response.get_data(as_text=True)
        assert "Trop de tentatives" in page and "Message numéro 2</textarea>" in page


def test_edits_and_their_previews_count_against_the_flood_limit(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_POST="2 per minute",
        RATELIMIT_POST_NEW_ACCOUNT="2 per minute",
    )
    from forum.extensions import db

    with app.app_context():
        user = make_user()
        thread = start(user, make_group("ldh-clamart"))
        post = services.post_by_number(thread, 1)
        db.session.commit()
        client = app.test_client()
        login_as(client, user)
        url = f"/posts/{post.id}/edit"
        preview = post_form(client, url, {"body": "Essai", "preview": "1"})
        saved = post_form(client, url, {"body": "Version deux"})
        refused = post_form(client, url, {"body": "Version trois, refusée"})
        assert (preview.status_code, saved.status_code, refused.status_code) == (200, 302, 429)
        assert "Version trois, refusée</textarea>" in refused.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(Post, post.id).body == "Version deux"
