"""The same request sent several times at once: it succeeds once, and nothing is a 500.

Each request runs in its own thread with its own database session and connection (as
several gunicorn workers would), released together by a barrier."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from forum.discussions import services
from forum.discussions.models import Flag, Post, ReadState
from tests.conftest import CSRF_RE, login_as
from tests.factories import add_member, make_group, make_user


def at_once(count: int, send) -> list[int]:
    """Run `send()` in `count` threads released together; their status codes."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []
    lock = threading.Lock()

    def run():
        barrier.wait()
        status = send()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def setup(db):
    author, member = make_user(), make_user()
    group = make_group("ldh-clamart")
    add_member(member, group)
    thread = services.create_thread(author, group, title="Un fil", body="Premier message")
    post = services.reply(author, thread, body="Un message à signaler")
    db.session.commit()
    return thread, post, member


def signed_in(app, user, page: str):
    client = app.test_client()
    login_as(client, user)
    token = CSRF_RE.search(client.get(page).get_data(as_text=True)).group(1)
    return client, token


def test_six_reports_of_one_post_at_once_make_one(app, db):
    thread, post, member = setup(db)
    client, token = signed_in(app, member, f"/threads/{thread.id}?page=1")
    data = {"csrf_token": token, "category": "spam", "reason": "Publicité"}
    url = f"/posts/{post.id}/flag"  # read here: the threads have no app context
    statuses = at_once(6, lambda: client.post(url, data=data).status_code)
    assert statuses == [302] * 6
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Flag.id))) == 1


def test_sixteen_first_reads_of_a_thread_at_once(app, db):
    thread, _, member = setup(db)
    client = app.test_client()
    login_as(client, member)
    url = f"/threads/{thread.id}?page=1"
    statuses = at_once(16, lambda: client.get(url).status_code)
    assert statuses == [200] * 16
    db.session.expire_all()
    [state] = db.session.scalars(select(ReadState).where(ReadState.user_id == member.id)).all()
    assert state.last_read_number == thread.last_number


def test_five_identical_replies_at_once_post_one(app, db):
    thread, _, member = setup(db)
    client, _ = signed_in(app, member, f"/threads/{thread.id}?page=1")
    page = client.get(f"/threads/{thread.id}?page=1").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    import re

    key = re.search(r'name="submission" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="submission" value="([^"]+)"', page
    )
    assert key, "the reply form carries a one-time key"
    data = {"csrf_token": token, "submission": key.group(1), "body": "Je viens samedi."}
    statuses = at_once(5, lambda: client.post(f"/threads/{thread.id}/posts", data=data).status_code)
    assert statuses == [302] * 5
    db.session.expire_all()
    bodies = db.session.scalars(select(Post.body).where(Post.thread_id == thread.id)).all()
    assert bodies.count("Je viens samedi.") == 1
    # A new form (a new key) posts again: only the same form sent twice is one post.
    page = client.get(f"/threads/{thread.id}?page=1").get_data(as_text=True)
    again = re.search(r'name="submission" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="submission" value="([^"]+)"', page
    )
    client.post(f"/threads/{thread.id}/posts", data={**data, "submission": again.group(1)})
    db.session.expire_all()
    bodies = db.session.scalars(select(Post.body).where(Post.thread_id == thread.id)).all()
    assert bodies.count("Je viens samedi.") == 2
