"""Rate limits: memory by default, Redis shared by several processes."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from forum.extensions import limiter
from tests.conftest import CSRF_RE, csrf_token
from tests.services import REDIS_URI, need, redis_available


def attempt_login(client, email="a@b.fr", address="127.0.0.1"):
    environ = {"REMOTE_ADDR": address}
    token = csrf_token_from(client, environ)
    return client.post(
        "/auth/login",
        data={"csrf_token": token, "email": email, "password": "wrong pass 1"},
        environ_base=environ,
    )


def csrf_token_from(client, environ) -> str:
    page = client.get("/auth/login", environ_base=environ).get_data(as_text=True)
    return CSRF_RE.search(page).group(1)


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
from tests.test_ratelimit import attempt_login
settings, count, email, address = json.loads(sys.argv[1])
app = create_app(settings)
with app.app_context():
    db.create_all()
client = app.test_client()
statuses = [attempt_login(client, email, address).status_code for _ in range(count)]
print(json.dumps(statuses))
"""


def other_worker(settings: dict, tmp_path, count: int, email="a@b.fr", address="127.0.0.1"):
    """Login attempts made by another process (another gunicorn worker); their statuses."""
    db_uri = f"sqlite:///{tmp_path}/w.sqlite3"
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            WORKER,
            json.dumps([{**settings, "SQLALCHEMY_DATABASE_URI": db_uri}, count, email, address]),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(other.stdout.strip().splitlines()[-1])


def redis_storage() -> str:
    """A database of its own on the server. Each test counts under addresses and accounts of
    its own (`unique`), so runs that share the server at once never touch each other's
    counters, and nothing needs emptying. (Flask-Limiter keeps the first key prefix it was
    given in a process, so the prefix stays the default.)"""
    need(redis_available(), "Redis is not reachable on 127.0.0.1:6379")
    return REDIS_URI.rsplit("/", 1)[0] + "/13"


def unique() -> tuple[str, str, str]:
    """Two addresses (IPv6 documentation range) and an e-mail no other run uses."""
    tag = uuid.uuid4().hex
    return f"2001:db8::{tag[:4]}:{tag[4:8]}", f"2001:db8::{tag[8:12]}:{tag[12:16]}", f"{tag}@b.fr"


@pytest.mark.redis
def test_two_processes_share_their_counters_through_redis(make_app, tmp_path):
    settings = {
        "ENV": "testing",
        "SECRET_KEY": "k" * 40,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_storage(),
        "RATELIMIT_LOGIN": "4 per minute",
    }
    address, _, email = unique()
    # Another process (another gunicorn worker) makes three attempts from the same address...
    assert other_worker(settings, tmp_path, 3, email, address) == [200, 200, 200]
    # ...so this process has one attempt left, then gets the 429 page.
    client = make_app(**settings).test_client()
    assert attempt_login(client, email, address).status_code == 200
    refused = attempt_login(client, email, address)
    assert refused.status_code == 429
    assert "Trop de tentatives" in refused.get_data(as_text=True)


def test_login_attempts_are_limited_per_account_from_any_address(make_app):
    from tests.conftest import login_as
    from tests.factories import make_user

    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_LOGIN="100 per minute",
        RATELIMIT_LOGIN_ACCOUNT="3 per hour",
    )
    with app.app_context():
        claire = make_user("claire@example.org")
        # Signing in does not count: only failed attempts do.
        for _ in range(3):
            login_as(app.test_client(), claire)
    client = app.test_client()
    addresses = [f"198.51.100.{n}" for n in range(1, 5)]
    # The same account from four addresses, typed differently: it is one account.
    emails = ["claire@example.org", "Claire@Example.org", " CLAIRE@example.org ", claire.email]
    statuses = [
        attempt_login(client, e, a).status_code for e, a in zip(emails, addresses, strict=True)
    ]
    assert statuses == [200, 200, 200, 429]
    # Another account from the same address is not held back.
    assert attempt_login(client, "paul@example.org", addresses[-1]).status_code == 200


@pytest.mark.redis
def test_the_per_account_limit_is_shared_through_redis(make_app, tmp_path):
    settings = {
        "ENV": "testing",
        "SECRET_KEY": "k" * 40,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_storage(),
        "RATELIMIT_LOGIN": "100 per minute",
        "RATELIMIT_LOGIN_ACCOUNT": "3 per hour",
    }
    first, second, email = unique()
    # A worker takes three wrong passwords for one account from one address...
    assert other_worker(settings, tmp_path, 3, email, first) == [200] * 3
    # ...and this worker refuses a fourth from another address, whatever the case typed.
    client = make_app(**settings).test_client()
    refused = attempt_login(client, email.upper(), second)
    assert refused.status_code == 429
    assert attempt_login(client, "other-" + email, second).status_code == 200


def test_production_refuses_to_count_in_memory_unless_told_to(tmp_path):
    from forum import create_app

    base = {"ENV": "production", "SECRET_KEY": "s" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    with pytest.raises(RuntimeError, match="redis"):
        create_app(base)
    # memory:// chosen on purpose (one process) is allowed.
    app = create_app({**base, "RATELIMIT_STORAGE_URI": "memory://"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_in_development_the_limits_count_in_memory(tmp_path):
    from forum import create_app
    from forum.extensions import db

    app = create_app(
        {
            "SECRET_KEY": "k" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/dev.sqlite3",
            "RATELIMIT_LOGIN": "2 per minute",
        }
    )
    with app.app_context():
        db.create_all()
    client = app.test_client()
    assert [attempt_login(client).status_code for _ in range(3)] == [200, 200, 429]


def test_when_the_limits_storage_stops_answering_limits_still_hold_in_memory(make_app):
    """The rate limits' Redis does not answer (nothing listens on port 1): signing in and
    searching still work, and each process still counts, in its own memory, with the same
    limits: the eleventh wrong password in a minute from one address is refused."""
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
        PROPAGATE_EXCEPTIONS=False,  # a storage error would be a 500 page, as in production
    )
    client = app.test_client()
    address = "2001:db8::7:1"
    try:
        statuses = [
            attempt_login(client, f"u{n}@example.org", address).status_code for n in range(11)
        ]
        assert 500 not in statuses, statuses
        assert statuses[:10] == [200] * 10 and statuses[10] == 429, statuses
        assert client.get("/search?q=logement").status_code == 200
    finally:
        # The suite's apps share one Limiter object, which now believes its storage dead:
        # the next test's app (memory://) must not start on the fallback.
        limiter._storage_dead = False
