"""Declarative base, UTC timestamps and small column helpers shared by every model."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, types
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (called per row, never at import)."""
    return datetime.now(UTC)


class UTCDateTime(types.TypeDecorator):
    """Stores UTC, always returns aware UTC datetimes, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect, coltype):
        """On SQLite, the stored text ("2026-12-01 10:48:31.123456", UTC) read straight
        into an aware datetime, in one call: parsing it naive, then adding the zone, cost
        two (a group page reads some 500 dates)."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        parse = datetime.fromisoformat

        def process(value):
            if value is None:
                return None
            if isinstance(value, str):
                try:
                    return parse(value + "+00:00")
                except ValueError:  # a text that carries its own offset
                    return parse(value).astimezone(UTC)
            return self.process_result_value(value, dialect)

        return process


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def insert_ignoring_duplicate(model, **values) -> int:
    """INSERT … ON CONFLICT DO NOTHING: a double click or a concurrent request is no error.
    Returns how many rows were inserted (0 or 1)."""
    from forum.extensions import db

    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    if "created_at" in model.__table__.c:
        values.setdefault("created_at", utcnow())
    # RETURNING tells whether the row went in: psycopg's rowcount says -1 here.
    key = next(iter(model.__table__.primary_key.columns))
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(key)
    return 1 if db.session.execute(statement).first() is not None else 0


class Listed:
    """A row read as plain values where a page needs no ORM object (a thread in a list, a
    post of a thread page: loading 20 or 30 of them as ORM objects cost twice what their
    statement did). `FIELDS` names the row's first values; keyword arguments, the rest."""

    __slots__ = ()
    FIELDS: tuple[str, ...] = ()

    def __init__(self, row, **others) -> None:
        for name, value in zip(self.FIELDS, row[: len(self.FIELDS)], strict=True):
            setattr(self, name, value)
        for name, value in others.items():
            setattr(self, name, value)


def json_list(query, fields: tuple[str, ...], order: tuple[tuple[str, bool], ...], dialect: str):
    """The rows of `query` as one JSON array of arrays of `fields`, a scalar subquery: a
    short list a page shows beside its main row (a group's latest documents, next meetings,
    projects) rides in that row's statement instead of costing a statement of its own.

    `query` is correlated to the outer row, selects `fields` and the columns named in
    `order` (name, descending), and is ordered by them and limited; PostgreSQL's json_agg
    is told the order again, SQLite's json_group_array keeps the subquery's. Read the value
    back with `json_rows`."""
    from sqlalchemy import func, select
    from sqlalchemy.dialects.postgresql import aggregate_order_by

    rows = query.subquery("listed")
    values = [rows.c[name] for name in fields]
    if dialect == "postgresql":
        keys = [rows.c[name].desc() if down else rows.c[name] for name, down in order]
        value = func.json_agg(aggregate_order_by(func.json_build_array(*values), *keys))
    else:
        value = func.json_group_array(func.json_array(*values))
    return select(value).select_from(rows).scalar_subquery()


def json_rows(value, fields: tuple[str, ...]) -> list[dict]:
    """The rows of a `json_list` value, each a dict of its fields (none for SQL NULL)."""
    import json

    if isinstance(value, str):
        value = json.loads(value)
    return [
        dict(zip(fields, row, strict=True)) for row in value or [] if row and row[0] is not None
    ]


def json_datetime(value: str | None) -> datetime | None:
    """A UTCDateTime read from JSON: SQLite's stored text or PostgreSQL's ISO 8601, aware."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
