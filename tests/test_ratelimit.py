"""Rate limits: memory by default, Redis shared by several processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import csrf_token
from tests.services import REDIS_URI, need, redis_available


def attempt_login(client):
    token = csrf_token(client)
    return client.post(
        "/auth/login", data={"csrf_token": token, "email": "a@b.fr", "password": "wrong pass 1"}
    )


def test_register_and_forgot_are_limited(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_REGISTER="2 per minute", RATELIMIT_FORGOT="2 per minute"
    )
    client = app.test_client()
    for url in ("/auth/register", "/auth/forgot"):
        statuses = []
        for _ in range(3):
            token = csrf_token(client, url)
            statuses.append(client.post(url, data={"csrf_token": token, "email": "x"}).status_code)
        assert statuses[-1] == 429, (url, statuses)


WORKER = """
import json, sys
from forum import create_app
from forum.extensions import db
from tests.conftest import csrf_token
settings = json.loads(sys.argv[1])
app = create_app(settings)
with app.app_context():
    db.create_all()
client = app.test_client()
statuses = []
for _ in range(int(sys.argv[2])):
    token = csrf_token(client)
    statuses.append(client.post("/auth/login", data={"csrf_token": token, "email": "a@b.fr",
                                "password": "wrong pass 1"}).status_code)
print(json.dumps(statuses))
"""


@pytest.mark.redis
def test_two_processes_share_their_counters_through_redis(make_app, tmp_path):
    need(redis_available(), "Redis is not reachable on 127.0.0.1:6379")
    import redis

    # A database of its own on the server, emptied of earlier runs' counters. (Flask-Limiter
    # keeps the first key prefix it was given in a process, so the prefix stays the default.)
    storage = REDIS_URI.rsplit("/", 1)[0] + "/13"
    server = redis.Redis.from_url(storage)
    for key in server.scan_iter("LIMITS:*"):
        server.delete(key)
    settings = {
        "ENV": "testing",
        "SECRET_KEY": "k" * 40,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_LOGIN": "4 per minute",
    }
    # Another process (another gunicorn worker) makes three attempts from the same address...
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            WORKER,
            json.dumps({**settings, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/w.sqlite3"}),
            "3",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert json.loads(other.stdout.strip().splitlines()[-1]) == [200, 200, 200]
    # ...so this process has one attempt left, then gets the 429 page.
    client = make_app(**settings).test_client()
    assert attempt_login(client).status_code == 200
    refused = attempt_login(client)
    assert refused.status_code == 429
    assert "Trop de tentatives" in refused.get_data(as_text=True)


def test_memory_storage_is_the_default(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
