"""The contact log's free text is encrypted at rest (Fernet), on both engines: the raw
database holds no plaintext of a summary; `flask contactlog rotate-key` re-encrypts under
the newest key; after erasure and VACUUM the SQLite file holds no trace of the pseudonym."""

from __future__ import annotations

from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy import select, text

from forum.audit.models import AuditEntry
from forum.contactlog import crypto, services
from forum.contactlog.models import Contact, Household
from forum.groups.models import Role
from tests.conftest import ON_POSTGRES
from tests.factories import add_member, log_contact, make_group, make_household, make_user

SUMMARY = "Madame Zephyrine attend un rendez-vous à la PMI mardi"
PSEUDONYM = "Famille Quetzalcoatl"


def _setup(db):
    group = make_group()
    keeper = make_user()
    add_member(keeper, group, Role.KEEPER)
    household = make_household(group, keeper, pseudonym=PSEUDONYM, languages="bulgare")
    log_contact(household, keeper, summary=SUMMARY, needs=["health"])
    db.session.commit()
    return group, keeper, household


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _raw_rows(db) -> str:
    """Every row of the contact-log tables as the database returns them, through a raw
    DB-API connection (no SQLAlchemy type in the way)."""
    seen = []
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for name in ("households", "household_contacts", "household_needs", "audit_entries"):
            cursor.execute(f"SELECT * FROM {name}")  # noqa: S608 - fixed names
            seen.extend(repr(row) for row in cursor.fetchall())
    finally:
        raw.close()
    return "\n".join(seen)


def test_the_raw_database_holds_no_plaintext(app, db):
    _setup(db)
    rows = _raw_rows(db)
    assert "gAAAAA" in rows  # Fernet tokens
    for secret in (SUMMARY, "Zephyrine", PSEUDONYM, "Quetzalcoatl", "bulgare"):
        assert secret not in rows
    if not ON_POSTGRES:
        path = db.engine.url.database
        db.session.remove()
        db.engine.dispose()
        data = _read(path)
        for secret in (SUMMARY, "Zephyrine", "Quetzalcoatl"):
            assert secret.encode() not in data


def test_the_models_read_the_plain_text_back(app, db):
    _setup(db)
    db.session.expire_all()
    contact = db.session.scalar(select(Contact))
    assert contact.summary == SUMMARY
    assert db.session.scalar(select(Household)).pseudonym == PSEUDONYM


def test_rotation_re_encrypts_everything_under_the_newest_key(make_app):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app = make_app(CONTACTLOG_KEYS=old)
    with app.app_context():
        from forum.extensions import db

        _setup(db)
        before = db.session.execute(text("SELECT summary FROM household_contacts")).scalar()
        assert Fernet(old.encode()).decrypt(before.encode()).decode() == SUMMARY
        app.config["CONTACTLOG_KEYS"] = f"{new},{old}"
        app.extensions.pop("contactlog_fernet")
        result = app.test_cli_runner().invoke(args=["contactlog", "rotate-key"])
        assert result.exit_code == 0, result.output
        assert "re-encrypted" in result.output
        db.session.remove()
        after = db.session.execute(text("SELECT summary FROM household_contacts")).scalar()
        assert after != before
        assert Fernet(new.encode()).decrypt(after.encode()).decode() == SUMMARY
        pseudonym = db.session.execute(text("SELECT pseudonym FROM households")).scalar()
        assert Fernet(new.encode()).decrypt(pseudonym.encode()).decode() == PSEUDONYM
        # The old key can go now.
        app.config["CONTACTLOG_KEYS"] = new
        app.extensions.pop("contactlog_fernet")
        db.session.remove()
        assert db.session.scalar(select(Contact)).summary == SUMMARY


def test_the_embedded_default_generates_one_key_into_the_instance_folder(app):
    import os

    path = os.path.join(app.instance_path, crypto.KEY_FILE)
    token = crypto.encrypt("x")
    assert os.path.exists(path)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert crypto.fernet().decrypt(token.encode()) == b"x"
    assert isinstance(crypto.fernet(), MultiFernet)


def test_production_refuses_to_encrypt_without_keys(make_app):
    import pytest

    app = make_app()
    app.config["ENV"] = "production"
    with app.app_context(), pytest.raises(RuntimeError, match="FORUM_CONTACTLOG_KEYS"):
        crypto.fernet()


def test_every_read_and_write_is_audited_without_content(app, db, client):
    from tests.conftest import login_as

    group, keeper, household = _setup(db)
    login_as(client, keeper)
    assert client.get(f"/households/{household.public_id}").status_code == 200
    assert client.get(f"/households/{household.public_id}/export.json").status_code == 200
    db.session.expire_all()
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.target_type == "household").order_by(AuditEntry.id)
    ).all()
    actions = [e.action for e in entries]
    assert actions == [
        "household.create",
        "household.contact",
        "household.view",
        "household.export",
    ]
    assert all(e.actor_id == keeper.id and e.group_id == group.id for e in entries)
    assert all(PSEUDONYM not in (e.detail or "") for e in entries)


def test_erasure_and_vacuum_leave_no_trace_of_the_pseudonym(app, db):
    _group, keeper, household = _setup(db)
    hid = household.id
    services.erase_household(keeper, household)
    db.session.commit()
    assert db.session.scalar(select(Household)) is None
    assert db.session.scalar(select(Contact)) is None
    entries = db.session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.target_type == "household", AuditEntry.target_id == hid
        )
    ).all()
    assert "household.erase" in entries and "household.create" in entries
    if ON_POSTGRES:
        return
    path = db.engine.url.database
    db.session.remove()
    with db.engine.connect() as conn:
        conn.exec_driver_sql("VACUUM")
    db.engine.dispose()
    data = _read(path)
    assert PSEUDONYM.encode() not in data
    # Nor the token it was stored as (checked against what the keys would decrypt).
    assert b"Quetzalcoatl" not in data
