"""Speed rules that a test can hold: a fixed number of SQL statements per page whatever the
data, nothing written by a visitor's GET, and conditional requests (ETag, 304).

The benchmark (bench/forum_bench.py) measures the rest by hand."""

from __future__ import annotations

import contextlib
import re

import pytest
from sqlalchemy import event, select

from forum.discussions import moderation, services
from forum.discussions.models import THREADS_PER_PAGE, Post
from forum.groups.models import Role
from tests.conftest import login_as
from tests.factories import add_member, make_group, make_user

VISITOR_BUDGET = 5  # the limit for a visitor's thread, group or home page
MEMBER_BUDGET = 10  # a member's page runs a few more: their account, roles, read marks, …
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@contextlib.contextmanager
def statements(db):
    """Every SQL statement the block sends, as text."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def measure(client, db, url: str):
    """(number of statements, the statements that write, the response) of one GET."""
    with statements(db) as seen:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(seen), [s for s in seen if WRITES.match(s)], response


def build(db, *, posts: int, threads: int, authors: int):
    """A group with `threads` threads; the first one has `posts` posts by `authors` people."""
    people = [make_user(name=f"Auteur {i}") for i in range(authors)]
    group = make_group()
    for person in people:
        add_member(person, group)
    add_member(make_user(name="Coordinatrice"), group, Role.COORDINATOR)
    first = services.create_thread(people[0], group, title="Le fil mesuré", body="Message 1")
    for n in range(2, posts + 1):
        services.reply(people[n % authors], first, body=f"Message **{n}**")
    for n in range(1, threads):
        services.create_thread(people[n % authors], group, title=f"Fil {n}", body="Bonjour")
    reader = make_user(name="Lectrice")
    add_member(reader, group)
    db.session.commit()
    return group, first, reader


SIZES = {
    "small": {"posts": 1, "threads": 1, "authors": 1},
    "big": {"posts": 60, "threads": 65, "authors": 6},
}


def visitor_counts(app, db, size: str) -> dict[str, int]:
    group, thread, _ = build(db, **SIZES[size])
    pages = thread.page_count
    group_pages = (SIZES[size]["threads"] - 1) // THREADS_PER_PAGE + 1
    counts = {}
    for name, url in {
        "thread, first page": f"/threads/{thread.id}?page=1",
        "thread, last page": f"/threads/{thread.id}?page={pages}",
        "thread, no page": f"/threads/{thread.id}",
        "group, first page": f"/groups/{group.slug}/",
        "group, last page": f"/groups/{group.slug}/?page={group_pages}",
        "home": "/",
    }.items():
        client = app.test_client()  # a new visitor each time: no cookie at all
        count, writes, response = measure(client, db, url)
        assert writes == [], (name, writes)
        assert "Set-Cookie" not in response.headers, (name, response.headers["Set-Cookie"])
        counts[name] = count
    return counts


def test_a_visitor_page_runs_few_statements_the_same_whatever_the_size(app, db):
    """1 post against 60 posts on 3 pages by 6 authors; 1 thread against 65 on 3 pages."""
    small, big = visitor_counts(app, db, "small"), visitor_counts(app, db, "big")
    assert small == big, (small, big)
    assert max(big.values()) <= VISITOR_BUDGET, big
    # The thread with its group, then its posts; the group with what its page lists beside
    # its threads (documents, meetings, projects), its threads, its open decisions.
    assert big["thread, first page"] == 2 and big["group, first page"] == 3, big


def member_counts(app, db, size: str) -> dict[str, int]:
    group, thread, reader = build(db, **SIZES[size])
    client = app.test_client()
    login_as(client, reader)
    pages = thread.page_count
    group_pages = (SIZES[size]["threads"] - 1) // THREADS_PER_PAGE + 1
    counts = {}
    urls = {
        # First reading (the read mark is created), then reading again (nothing to write).
        "thread, first page": f"/threads/{thread.id}?page=1",
        "thread, first page again": f"/threads/{thread.id}?page=1",
        "thread, last page": f"/threads/{thread.id}?page={pages}",
        "thread, last page again": f"/threads/{thread.id}?page={pages}",
        "group, first page": f"/groups/{group.slug}/",
        "group, last page": f"/groups/{group.slug}/?page={group_pages}",
        "home": "/",
    }
    for name, url in urls.items():
        count, writes, response = measure(client, db, url)
        assert "ETag" not in response.headers
        assert response.headers["Cache-Control"].startswith("private")
        counts[name] = count
        counts[f"{name} (writes)"] = len(writes)
    return counts


def test_a_member_page_runs_the_same_statements_whatever_the_size(app, db):
    small, big = member_counts(app, db, "small"), member_counts(app, db, "big")
    # A one-page thread's "last page" is its first page, read already: compare like with like.
    assert small["thread, first page"] == big["thread, first page"], (small, big)
    assert small["thread, first page again"] == big["thread, first page again"], (small, big)
    assert big["thread, last page"] == big["thread, first page"], (small, big)
    assert big["thread, last page again"] == big["thread, first page again"], (small, big)
    assert small["group, first page"] == big["group, first page"] == big["group, last page"]
    # The home page's latest discussions come with the member's unread marks.
    assert small["home"] == big["home"], (small, big)
    assert max(v for k, v in big.items() if "writes" not in k) <= MEMBER_BUDGET, big
    # Reading writes the read mark once; reading again writes nothing.
    assert big["thread, first page (writes)"] == 1
    assert big["thread, first page again (writes)"] == 0
    assert big["group, first page (writes)"] == 0
    assert big["home (writes)"] == 0


def titles(page: str) -> list[str]:
    return re.findall(r'<a href="/threads/\d+">([^<]+)</a>', page)


def test_group_pages_list_every_thread_once_in_order_from_either_end(client, db):
    """The later pages are read from the end of the activity index: check the seams."""
    author = make_user()
    coordinator = make_user()
    group = make_group()
    add_member(coordinator, group, Role.COORDINATOR)
    made = [
        services.create_thread(author, group, title=f"Fil {n:02d}", body="Bonjour")
        for n in range(1, 72)
    ]
    moderation.set_pinned(coordinator, made[10], True)
    moderation.set_thread_hidden(coordinator, made[20], True, "Hors sujet")
    services.reply(author, made[5], body="Relance")  # the oldest but one comes back up
    db.session.commit()

    expected = ["Fil 11", "Fil 06"] + [
        f"Fil {n:02d}" for n in range(71, 0, -1) if n not in (6, 11, 21)
    ]
    seen = []
    for page in (1, 2, 3):
        seen += titles(client.get(f"/groups/{group.slug}/?page={page}").get_data(as_text=True))
    assert seen == expected
    # Out of range: the nearest page.
    last = client.get(f"/groups/{group.slug}/?page=99").get_data(as_text=True)
    assert titles(last) == expected[60:]
    # Called alone, the service counts the threads itself; the pages are the same.
    listing = services.group_threads(group, 3, None)
    assert (listing.page, listing.pages, listing.total) == (3, 3, 70)
    assert [row.thread.title for row in listing.items] == expected[60:]

    login_as(client, coordinator)  # moderators see the hidden thread in its place
    seen = []
    for page in (1, 2, 3):
        seen += titles(client.get(f"/groups/{group.slug}/?page={page}").get_data(as_text=True))
    assert len(seen) == 71 and seen[:2] == ["Fil 11", "Fil 06"]
    assert seen.index("Fil 21") == seen.index("Fil 22") + 1


# --- Conditional requests -----------------------------------------------------------------


def revalidate(client, url: str):
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    return etag


def test_visitors_pages_answer_304_until_something_changes(client, db):
    author = make_user()
    moderator = make_user()
    group = make_group()
    add_member(moderator, group, Role.COORDINATOR)
    thread = services.create_thread(author, group, title="Un fil", body="Premier")
    post = services.reply(author, thread, body="Deuxième")
    db.session.commit()
    url = f"/threads/{thread.id}?page=1"

    etag = revalidate(client, url)
    assert revalidate(client, url) == etag  # the same page twice: the same validator
    etags = {etag}
    for change in (
        lambda: services.reply(author, thread, body="Troisième"),
        lambda: services.edit_post(author, post, body="Deuxième, corrigé"),  # thread unchanged
        lambda: moderation.hide_post(moderator, post, category="off_topic"),
        lambda: setattr(author, "display_name", "Nouveau nom"),  # no timestamp changes
    ):
        change()
        db.session.commit()
        etag = revalidate(client, url)
        assert etag not in etags  # each change shows: never a stale 304
        etags.add(etag)
    moderation.restore_post(moderator, post)  # back as it was before it was hidden
    db.session.commit()
    assert revalidate(client, url) not in (etag,)

    for other in (f"/groups/{group.slug}/", "/"):
        revalidate(client, other)
    # The language is part of the page, and the response says so.
    english = client.get(url, headers={"Accept-Language": "en"})
    assert english.headers["ETag"] not in etags and "Accept-Language" in english.headers["Vary"]


def test_signed_in_pages_are_private_and_carry_no_validator(client, db):
    author = make_user()
    group = make_group()
    thread = services.create_thread(author, group, title="Un fil", body="Premier")
    db.session.commit()
    url = f"/threads/{thread.id}?page=1"
    etag = client.get(url).headers["ETag"]

    login_as(client, author)
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_the_group_page_reads_its_counts_and_coordinators_from_indexes(app, client, db):
    """The statement the visitor's group page really sends counts its visible threads from
    the activity index alone, reading no thread row, and finds the coordinators by the
    (group_id, role) index, reading no other membership (checked where the plan is fixed:
    SQLite; PostgreSQL's planner picks by table size; the bench measures)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's plan depends on the table's size: see bench/")

    group, _, _ = build(db, posts=1, threads=3, authors=1)
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(f"/groups/{group.slug}/").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    [(overview, parameters)] = [(s, p) for s, p in sent if "FROM groups" in s and "count" in s]
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {overview}", parameters).all()
    plan = " ".join(str(row[3]) for row in rows)
    assert "USING COVERING INDEX ix_threads_group_activity" in plan, plan
    assert "USING INDEX ix_memberships_group_role (group_id=? AND role=?)" in plan, plan
    assert "SCAN memberships" not in plan and "MATERIALIZE" not in plan, plan


def test_reactions_cost_one_statement_whatever_the_thread(app, db):
    """A member's thread page with reactions: a 2-post thread and page 3 of a 90-post one
    (every post with reactions of both kinds, some the reader's) run as many statements."""
    from forum.reactions.models import Reaction

    counts = {}
    for name, posts, page in (("small", 2, 1), ("big", 90, 3)):
        group, thread, reader = build(db, posts=posts, threads=1, authors=3)
        fans = [make_user() for _ in range(3)]
        for post in db.session.scalars(
            select(Post).where(Post.thread_id == thread.id).order_by(Post.number)
        ):
            db.session.add_all(
                [Reaction(post_id=post.id, user_id=fan.id, kind="thanks") for fan in fans]
                + [
                    Reaction(post_id=post.id, user_id=who.id, kind="plus_one")
                    for who in (fans[0], reader)
                ]
            )
        db.session.commit()
        client = app.test_client()
        login_as(client, reader)
        measure(client, db, f"/threads/{thread.id}?page={page}")  # the first read writes
        count, writes, response = measure(client, db, f"/threads/{thread.id}?page={page}")
        assert writes == []
        assert response.get_data(as_text=True).count('aria-pressed="true"') == (
            2 if name == "small" else 20
        )
        counts[name] = count
    assert counts["small"] == counts["big"] <= MEMBER_BUDGET, counts
