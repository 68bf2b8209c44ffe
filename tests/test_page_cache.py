"""The anonymous page cache (forum/pagecache.py): what a visitor sees is never stale, and
nothing that belongs to one person is ever served to another."""

from __future__ import annotations

import secrets

import pytest
from flask import flash, render_template_string
from flask_wtf.csrf import generate_csrf

from forum import pagecache
from forum.discussions import moderation, services
from forum.extensions import db
from forum.groups.models import Role
from tests.conftest import login_as, post_form
from tests.factories import add_member, make_group, make_user
from tests.services import REDIS_URI, need, redis_available
from tests.test_speed import statements


@pytest.fixture
def cached(make_app):
    # Not the `db` fixture: it would push the app of the `app` fixture (cache off) on top.
    app = make_app(PAGE_CACHE=True)
    with app.app_context():
        yield app


def visit(app, db, url: str, **kwargs):
    """(statements sent, page text) of a visitor's GET without any cookie."""
    with statements(db) as seen:
        response = app.test_client().get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return len(seen), response.get_data(as_text=True)


def forum_with_a_thread(db):
    author, moderator = make_user(name="Autrice"), make_user(name="Modératrice")
    group, other = make_group(name="Groupe de départ"), make_group(name="Groupe d'arrivée")
    add_member(author, group)
    add_member(moderator, group, Role.COORDINATOR)
    add_member(moderator, other, Role.COORDINATOR)
    thread = services.create_thread(author, group, title="Le fil suivi", body="Premier message")
    post = services.reply(author, thread, body="Deuxième message")
    db.session.commit()
    return author, moderator, group, other, thread, post


def test_a_visitor_sees_each_change_at_once_and_an_unchanged_page_from_the_cache(cached):
    author, moderator, group, other, thread, post = forum_with_a_thread(db)
    url = f"/threads/{thread.id}?page=1"
    rendered, page = visit(cached, db, url)
    assert rendered > 0 and "Deuxième message" in page
    again, same = visit(cached, db, url)
    assert again == 0 and same == page  # from the cache: not a single statement

    member = cached.test_client()  # a reply through the real form, by a signed-in member
    login_as(member, author)
    answer = post_form(member, f"/threads/{thread.id}/posts", {"body": "Une réponse neuve"})
    assert answer.status_code == 302
    assert "Une réponse neuve" in visit(cached, db, url)[1]

    services.edit_post(author, post, body="Deuxième message, corrigé")
    db.session.commit()
    assert "Deuxième message, corrigé" in visit(cached, db, url)[1]

    moderation.hide_post(moderator, post, category="off_topic")
    db.session.commit()
    assert "Deuxième message, corrigé" not in visit(cached, db, url)[1]

    group_page = f"/groups/{group.slug}/"
    assert "Le fil suivi" in visit(cached, db, group_page)[1]
    assert visit(cached, db, group_page)[0] == 0
    moderation.move_thread(moderator, thread, other)
    db.session.commit()
    assert "Le fil suivi" not in visit(cached, db, group_page)[1]
    assert "Le fil suivi" in visit(cached, db, f"/groups/{other.slug}/")[1]
    assert "Groupe d&#39;arrivée" in visit(cached, db, url)[1]

    home = visit(cached, db, "/")[1]
    author.display_name = "Autrice renommée"  # no event, no timestamp: still a new version
    db.session.commit()
    assert "Autrice renommée" in visit(cached, db, "/")[1] != home


def test_a_member_never_gets_a_cached_page_nor_leaves_one(cached):
    author, _moderator, _group, _other, thread, _post = forum_with_a_thread(db)
    url = f"/threads/{thread.id}?page=1"
    visit(cached, db, url)  # kept for visitors
    member = cached.test_client()
    login_as(member, author)  # a sign-in changes nothing a visitor sees
    assert visit(cached, db, url)[0] == 0
    with statements(db) as seen:
        page = member.get(url).get_data(as_text=True)
    assert seen and 'action="/auth/logout"' in page and 'name="csrf_token"' in page
    # The member's page was not kept: the visitor's has no sign-out form, no token.
    count, visitor_page = visit(cached, db, url)
    assert count == 0
    assert 'action="/auth/logout"' not in visitor_page
    assert 'name="csrf_token"' not in visitor_page


def test_a_request_with_a_session_is_rendered_and_never_kept(cached):
    _author, _moderator, _group, _other, thread, _post = forum_with_a_thread(db)
    url = f"/threads/{thread.id}?page=1"
    visit(cached, db, url)
    browser = cached.test_client()
    with browser.session_transaction() as saved:  # a flash waits in this browser's session
        saved["_flashes"] = [("info", "Un message pour vous seul")]
    with statements(db) as seen:
        page = browser.get(url).get_data(as_text=True)
    assert seen and "Un message pour vous seul" in page
    assert "Un message pour vous seul" not in visit(cached, db, url)[1]


@pytest.mark.parametrize("writes", ["flash", "csrf"])
def test_a_page_that_writes_the_session_is_not_kept(cached, monkeypatch, writes):
    """A view of a cached endpoint that flashes or makes a CSRF token for a cookie-less
    visitor: its page goes to that visitor only, and the next one gets a page of their own."""
    rendered = []

    @cached.route("/__session_page")
    def session_page():
        rendered.append(1)
        if writes == "flash":
            flash("Pour ce visiteur seulement")
            return render_template_string("{{ get_flashed_messages()|join }}")
        token = generate_csrf()
        return render_template_string('<input name="csrf_token" value="{{ t }}">', t=token)

    monkeypatch.setattr(pagecache, "CACHED_ENDPOINTS", {"session_page"})
    first = cached.test_client().get("/__session_page")
    assert "Set-Cookie" in first.headers
    second = cached.test_client().get("/__session_page")
    assert len(rendered) == 2
    if writes == "csrf":
        assert first.get_data() != second.get_data()  # each visitor's own token


def test_a_cached_page_keeps_the_security_headers_and_answers_304(cached):
    _author, _moderator, group, _other, _thread, _post = forum_with_a_thread(db)
    url = f"/groups/{group.slug}/"
    client = cached.test_client()
    fresh = client.get(url)
    hit = client.get(url)
    assert hit.get_data() == fresh.get_data()
    for name in ("Content-Security-Policy", "X-Frame-Options", "ETag", "Cache-Control", "Vary"):
        assert hit.headers[name] == fresh.headers[name], name
    assert hit.headers["Cache-Control"] == "no-cache"
    assert "Set-Cookie" not in hit.headers
    again = client.get(url, headers={"If-None-Match": hit.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_each_language_and_query_string_has_its_own_page(cached):
    _author, _moderator, group, _other, _thread, _post = forum_with_a_thread(db)
    url = f"/groups/{group.slug}/"
    french = visit(cached, db, url)[1]
    english = visit(cached, db, url, headers={"Accept-Language": "en"})[1]
    assert 'lang="fr"' in french and 'lang="en"' in english
    assert visit(cached, db, url, headers={"Accept-Language": "en"})[1] == english
    assert visit(cached, db, url + "?page=1")[0] > 0  # another address: rendered once
    assert visit(cached, db, url + "?page=1")[0] == 0
    for other in ("?page=1&x=1", "?x=1", "?page=abc", "?page=1&page=2"):
        visit(cached, db, url + other)
        assert visit(cached, db, url + other)[0] > 0, other  # never kept


def test_the_cache_can_be_turned_off(make_app):
    app = make_app(PAGE_CACHE=False)
    with app.app_context():
        _author, _moderator, group, _other, _thread, _post = forum_with_a_thread(db)
        assert pagecache.pages(app) is None
        visit(app, db, f"/groups/{group.slug}/")
        assert visit(app, db, f"/groups/{group.slug}/")[0] > 0


def test_a_read_mark_leaves_the_cached_pages_in_place(cached):
    author, _moderator, _group, _other, thread, _post = forum_with_a_thread(db)
    url = f"/threads/{thread.id}?page=1"
    reader = make_user()
    db.session.commit()
    member = cached.test_client()
    login_as(member, reader)
    visit(cached, db, url)
    member.get(url)  # writes the reader's read mark: nothing a visitor sees
    assert visit(cached, db, url)[0] == 0


def two_processes(make_app, **settings):
    """Two apps on one database and one instance folder: two workers of one site."""
    first, second = make_app(PAGE_CACHE=True, **settings), make_app(PAGE_CACHE=True, **settings)
    return first, second


def shared_invalidation(first, second) -> str:
    """The first process keeps a page; the second one writes; the first shows the change."""
    with first.app_context():
        author, _moderator, group, _other, thread, _post = forum_with_a_thread(db)
        thread_id, group_url = thread.id, f"/groups/{group.slug}/"
        url = f"/threads/{thread_id}?page=1"
        member = second.test_client()
        login_as(member, author)
        visit(first, db, url)
        assert visit(first, db, url)[0] == 0  # kept by the first process
    with second.app_context():  # the second one writes
        answer = post_form(member, f"/threads/{thread_id}/posts", {"body": "Écrit ailleurs"})
        assert answer.status_code == 302
    with first.app_context():
        count, page = visit(first, db, url)
        assert count > 0 and "Écrit ailleurs" in page
    return group_url


def test_two_processes_share_the_version_through_the_instance_folder(make_app):
    first, second = two_processes(make_app)
    assert isinstance(pagecache.pages(first), pagecache.MemoryPages)
    shared_invalidation(first, second)


@pytest.mark.redis
def test_two_processes_share_pages_and_version_in_redis(make_app):
    need(redis_available(), "Redis is not reachable on 127.0.0.1:6379")
    prefix = f"forum-test:pages:{secrets.token_hex(6)}:"
    first, second = two_processes(make_app, PAGE_CACHE_URI=REDIS_URI, PAGE_CACHE_PREFIX=prefix)
    store = pagecache.pages(first)
    assert isinstance(store, pagecache.RedisPages)
    try:
        group_url = shared_invalidation(first, second)
        with second.app_context():  # a page one process kept serves the other
            visit(second, db, group_url)
        with first.app_context():
            assert visit(first, db, group_url)[0] == 0
    finally:
        keys = list(store.client.scan_iter(prefix + "*"))
        if keys:
            store.client.delete(*keys)


@pytest.mark.redis
def test_when_redis_stops_answering_pages_are_rendered_and_it_is_said_once(
    make_app, caplog, monkeypatch
):
    """Redis down: visitors' pages are rendered as with the cache off, each request without
    a wait, and the log says so once, not once per request. When it answers again, the
    version moves on first: a reply posted during the outage shows at once."""
    need(redis_available(), "Redis is not reachable on 127.0.0.1:6379")
    prefix = f"forum-test:pages:{secrets.token_hex(6)}:"
    app = make_app(PAGE_CACHE=True, PAGE_CACHE_URI=REDIS_URI, PAGE_CACHE_PREFIX=prefix)
    store = pagecache.pages(app)
    answering = store.client
    now = [1000.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: now[0])
    try:
        with app.app_context():
            author, _moderator, _group, _other, thread, _post = forum_with_a_thread(db)
            url = f"/threads/{thread.id}?page=1"
            visit(app, db, url)
            assert visit(app, db, url)[0] == 0  # kept in Redis

            # Redis stops answering (nothing listens on port 1).
            import redis

            store.client = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_timeout=1)
            caplog.clear()
            for _ in range(5):
                count, page = visit(app, db, url)
                assert count > 0 and "Deuxième message" in page  # rendered
            warnings = [r for r in caplog.records if r.name == "forum.pagecache"]
            assert len(warnings) == 1 and "does not answer" in warnings[0].getMessage()

            # A reply during the outage: its version bump cannot reach Redis.
            services.reply(author, thread, body="Écrit pendant la panne")
            db.session.commit()

            # Redis answers again; the next visitor after RETRY_SECONDS sees the reply.
            store.client = answering
            now[0] += pagecache.RETRY_SECONDS + 1
            count, page = visit(app, db, url)
            assert count > 0 and "Écrit pendant la panne" in page
            assert visit(app, db, url)[0] == 0  # and the cache works again
    finally:
        keys = list(answering.scan_iter(prefix + "*"))
        if keys:
            answering.delete(*keys)
