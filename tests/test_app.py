"""The application shell: settings, health, headers, error pages."""

from __future__ import annotations

import os
import stat

import pytest

from forum import create_app


def test_home_lists_groups_by_commune(client, db):
    from tests.factories import make_commune, make_group

    meudon = make_commune("92048", "Meudon")
    make_group("solidarite-meudon", name="Solidarité Meudon", commune=meudon)
    make_group("romeurope-sud", name="Romeurope Sud 92", commune=None)
    db.session.commit()

    page = client.get("/").get_data(as_text=True)

    assert "Groupes locaux par commune" in page
    assert "Meudon" in page and "/groups/solidarite-meudon/" in page
    assert "Tout le territoire" in page and "/groups/romeurope-sud/" in page


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_is_down(tmp_path):
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "k" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing-dir/db.sqlite3",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def test_every_page_carries_the_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here


def test_hsts_is_sent_over_https(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_have_no_inline_script(client):
    for url in ("/", "/auth/login", "/auth/register", "/nope"):
        page = client.get(url).get_data(as_text=True)
        assert "<script" not in page, url
        assert " style=" not in page and "onclick" not in page, url


@pytest.mark.parametrize(
    ("method", "url", "status", "french"),
    [
        ("get", "/nowhere", 404, "Page introuvable"),
        ("get", "/auth/logout", 405, "Cette action n'est pas disponible ici"),
        ("get", "/groups/no-such-group/", 404, "Page introuvable"),
    ],
)
def test_error_pages_are_friendly_and_french(client, method, url, status, french):
    response = getattr(client, method)(url)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert french in page
    assert 'href="/"' in page  # a way back


def test_error_pages_follow_the_browser_language(client):
    response = client.get("/nowhere", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert "Page not found" in response.get_data(as_text=True)


def test_a_two_megabyte_body_gets_the_413_page(client):
    response = client.post(
        "/auth/login", data={"email": "a@b.fr", "password": "x" * (2 * 1024 * 1024)}
    )
    assert response.status_code == 413
    assert "trop volumineux" in response.get_data(as_text=True)


def test_an_unexpected_error_gets_the_500_page(make_app):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Un problème est survenu de notre côté" in page
    assert "secret detail" not in page and "Traceback" not in page


def test_production_refuses_to_start_without_a_secret(tmp_path):
    with pytest.raises(RuntimeError, match="FORUM_SECRET_KEY"):
        create_app({"ENV": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_cookies_are_secure(tmp_path):
    app = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "s" * 40,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_the_development_secret_is_generated_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("FORUM_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"

    def build():
        from flask import Flask

        from forum.config import load_config

        app = Flask("forum", instance_path=str(instance), instance_relative_config=True)
        load_config(app, None)
        return app

    first, second = build(), build()
    secret_file = instance / "secret_key"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 40
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert first.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert first.config["OUTBOX_SEND_INLINE"] is True  # no mail server: mails go to the log


def test_settings_come_from_forum_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("FORUM_MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("FORUM_MAIL_PORT", "2525")
    monkeypatch.setenv("FORUM_BASE_URL", "https://toits.example.org/")
    monkeypatch.setenv("FORUM_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/3")
    app = create_app({"SECRET_KEY": "k" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["MAIL_SERVER"] == "smtp.example.org"
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["BASE_URL"] == "https://toits.example.org"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"
    assert app.config["OUTBOX_SEND_INLINE"] is False  # a real server: the sender delivers


@pytest.mark.parametrize(
    ("code", "english", "french"),
    [
        (400, "This request could not be understood", "Cette demande n'a pas pu être comprise"),
        (403, "You cannot do this", "Vous ne pouvez pas faire cela"),
        (429, "Too many attempts", "Trop de tentatives"),
    ],
)
def test_each_error_page_speaks_the_users_language(make_app, code, english, french):
    from flask import abort

    app = make_app()

    @app.route("/fails")
    def fails():
        abort(code)

    client = app.test_client()
    assert french in client.get("/fails").get_data(as_text=True)
    page = client.get("/fails", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert english in page


@pytest.mark.parametrize(
    ("page", "pages", "shown"),
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (1, 84, [1, 2, 3, None, 84]),
        (5, 84, [1, 2, 3, 4, 5, 6, 7, None, 84]),  # a gap of one page shows the page
        (6, 84, [1, None, 4, 5, 6, 7, 8, None, 84]),
        (84, 84, [1, None, 82, 83, 84]),
    ],
)
def test_page_links_show_both_ends_and_the_pages_around(page, pages, shown):
    from forum.templating import page_numbers

    assert page_numbers(page, pages) == shown
