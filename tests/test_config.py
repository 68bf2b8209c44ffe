"""Settings: what the test suite reads, and what production refuses."""

from __future__ import annotations

import stat

from forum import create_app
from forum.extensions import db


def test_the_suite_ignores_the_developers_environment_and_instance_config(
    make_app, monkeypatch, tmp_path
):
    monkeypatch.setenv("FORUM_SITE_NAME", "Leaked from the shell")
    monkeypatch.setenv("FORUM_RATELIMIT_ENABLED", "true")
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    (instance / "config.py").write_text('SITE_NAME = "Leaked from instance/config.py"\n')

    app = make_app()

    assert app.config["SITE_NAME"] == "Toits solidaires"
    assert app.config["RATELIMIT_ENABLED"] is False
    page = app.test_client().get("/").get_data(as_text=True)
    assert "Leaked" not in page


def test_outside_the_suite_both_are_read(monkeypatch, tmp_path):
    monkeypatch.setenv("FORUM_BASE_URL", "https://from-the-shell.example.org")
    instance = tmp_path / "elsewhere"
    instance.mkdir()
    (instance / "config.py").write_text('SITE_NAME = "Toits du plateau"\n')

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=str(instance))

    assert app.config["SITE_NAME"] == "Toits du plateau"
    assert app.config["BASE_URL"] == "https://from-the-shell.example.org"


def test_the_instance_folder_and_sqlite_file_are_for_the_owner_only(tmp_path):
    instance = tmp_path / "fresh-instance"
    app = create_app({"SECRET_KEY": "k" * 40}, instance_path=str(instance))
    with app.app_context():
        db.create_all()
        db.engine.dispose()

    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE((instance / "forum.sqlite3").stat().st_mode) == 0o600


def test_a_sqlite_file_made_at_first_connect_is_for_the_owner_only(tmp_path):
    path = tmp_path / "later.sqlite3"
    app = create_app({"SECRET_KEY": "k" * 40, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    path.unlink()  # gone when the first connection comes: SQLite makes it again
    with app.app_context():
        db.create_all()
        db.engine.dispose()

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_pooled_connections_are_tested_before_use_on_a_server_database_only(tmp_path):
    """A PostgreSQL server that restarted dropped the pool's connections: each is tested
    before a request uses it, so that no visitor gets the error. A SQLite file cannot drop
    a connection, so its requests skip that statement. Options set by hand are kept."""
    settings = {"SECRET_KEY": "k" * 40}
    sqlite = create_app({**settings, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.db'}"})
    server = create_app(
        {**settings, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://forum@127.0.0.1/forum"}
    )
    chosen = create_app(
        {**settings, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SQLALCHEMY_ENGINE_OPTIONS": {}}
    )

    assert sqlite.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": False}
    assert server.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True}
    assert chosen.config["SQLALCHEMY_ENGINE_OPTIONS"] == {}
    with server.app_context():
        assert db.engine.pool._pre_ping is True
