"""`flask contactlog rotate-key`: every encrypted value re-encrypted under the newest key,
so that an older key can then be removed from FORUM_CONTACTLOG_KEYS."""

from __future__ import annotations

from sqlalchemy import Text, column, select, table, update

from forum.contactlog.crypto import rotate_token
from forum.extensions import db

# (table, key columns, encrypted columns): read and written as raw tokens.
ENCRYPTED = [
    ("households", ("id",), ("pseudonym", "languages")),
    ("household_contacts", ("id",), ("summary", "agreed")),
    ("household_needs", ("id",), ("details",)),
    ("household_handovers", ("id",), ("note",)),
]
BATCH = 500


def rotate_all() -> int:
    """Re-encrypt every token under the newest key; returns how many values changed."""
    count = 0
    for name, keys, columns in ENCRYPTED:
        raw = table(name, *(column(k) for k in keys), *(column(c, Text) for c in columns))
        last = 0
        while True:
            rows = db.session.execute(
                select(raw).where(raw.c.id > last).order_by(raw.c.id).limit(BATCH)
            ).all()
            if not rows:
                break
            for row in rows:
                values = {
                    c: rotate_token(getattr(row, c)) for c in columns if getattr(row, c) is not None
                }
                if values:
                    db.session.execute(update(raw).where(raw.c.id == row.id).values(**values))
                    count += len(values)
                last = row.id
    return count
