"""`db upgrade` from an empty database gives exactly the models' schema, on both engines."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from forum import create_app
from forum.extensions import db
from forum.search.models import include_name
from tests.conftest import PostgresSchema, base_config


def schema_differences(app) -> list:
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}
        )
        return compare_metadata(context, db.metadata)


def check_upgrade_matches_models(app) -> None:
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert schema_differences(app) == []
    with app.app_context():
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
    assert schema_differences(app) == []


def test_upgrade_from_empty_on_sqlite(tmp_path):
    config = base_config(tmp_path, None)
    config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    check_upgrade_matches_models(create_app(config))


@pytest.mark.postgres
def test_upgrade_from_empty_on_postgresql(tmp_path):
    from tests.services import POSTGRES_URI, need, postgres_available

    need(postgres_available(), "PostgreSQL is not reachable on 127.0.0.1:5432")
    schema = PostgresSchema(POSTGRES_URI)
    try:
        config = base_config(tmp_path, None)
        config["SQLALCHEMY_DATABASE_URI"] = POSTGRES_URI
        config["SQLALCHEMY_ENGINE_OPTIONS"] = schema.engine_options()
        app = create_app(config)
        check_upgrade_matches_models(app)
        with app.app_context():
            db.engine.dispose()
    finally:
        schema.drop()


def test_existing_accounts_get_a_handle_when_upgrading(tmp_path):
    from sqlalchemy import text

    config = base_config(tmp_path, None)
    config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    app = create_app(config)
    with app.app_context():
        upgrade(revision="0001_foundation")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (email, display_name, password_hash, is_admin, "
                    "session_token, created_at) VALUES ('a@b.fr', 'Ancien', 'x', false, 't', "
                    "'2026-01-01 00:00:00')"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT username, notify_email FROM users")).one()
    # 0009 moves the old default ("immediate") to the new one.
    assert tuple(row) == ("membre-1", "default")
