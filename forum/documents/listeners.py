"""The docuthèque follows the transactions and the requests:
- a file stored by a transaction that rolls back is removed from the storage; files of
  purged documents are removed once the purge committed (session hooks);
- the text of new files is read once the upload's request committed (`after_request`).
"""

from __future__ import annotations

import logging

from flask import g
from sqlalchemy import event
from sqlalchemy.orm import Session

from forum.documents.storage import storage
from forum.extensions import db

log = logging.getLogger(__name__)


def register_inline_reader(app) -> None:
    """Once a request that stored files has committed, read their text (bounded)."""
    from forum.documents.services import extract_due

    @app.after_request
    def _read_after_commit(response):
        due = g.pop("documents_to_read", None)
        if due and app.config["DOCUMENTS_READ_INLINE"]:
            try:
                db.session.rollback()  # only what the view committed is read
                extract_due(due)
            except Exception:  # noqa: BLE001 - the page stands; `flask documents read` retries
                log.exception("reading the text of documents failed")
                db.session.rollback()
        return response


def _forget_stored(session: Session) -> None:
    keys = session.info.pop("documents_stored", None)
    if keys:
        for key in keys:
            try:
                storage().delete(key)
            except Exception:  # noqa: BLE001 - the orphan sweep of `flask purge` retries
                log.exception("could not remove stored file %s", key)


def _after_commit(session: Session) -> None:
    session.info.pop("documents_stored", None)
    for key in session.info.pop("documents_unstored", None) or []:
        try:
            storage().delete(key)
        except Exception:  # noqa: BLE001
            log.exception("could not remove purged file %s", key)


def _after_rollback(session: Session) -> None:
    session.info.pop("documents_unstored", None)
    _forget_stored(session)


def connect_session_hooks() -> None:
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
