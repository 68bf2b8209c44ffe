"""A commune's guide page runs a fixed number of SQL statements whatever the number of
entries (and of the people who checked them); so do its print page and exports."""

from __future__ import annotations

import pytest

from forum.db import utcnow
from forum.groups.models import Role
from forum.guide.models import Resource
from tests.conftest import login_as
from tests.factories import add_member, make_commune, make_group, make_user
from tests.test_speed import measure

VISITOR_BUDGET = 2  # the commune, its entries with who checked them
COORDINATOR_BUDGET = 7  # + the account, the communes it reviews, pending, own, unread
KINDS = ("food", "shelter", "health", "legal", "canteen", "hygiene", "french", "other")
URLS = (
    "/communes/{insee}/guide",
    "/communes/{insee}/guide/print",
    "/communes/{insee}/guide.csv",
    "/communes/{insee}/guide.ods",
    "/communes/{insee}/",
)


def build(db, insee: str, entries: int):
    commune = make_commune(insee, f"Commune {insee}")
    group = make_group(commune=commune)
    checkers = [make_user(name=f"Vérificatrice {i}") for i in range(max(entries // 4, 1))]
    coordinator = make_user(name="Coordinatrice")
    add_member(coordinator, group, Role.COORDINATOR)
    for n in range(entries):
        db.session.add(
            Resource(
                commune_id=commune.id,
                kind=KINDS[n % len(KINDS)],
                name=f"Service {n}",
                phone="01 46 12 34 56",
                conditions="Sans rendez-vous.",
                checked_at=utcnow() if n % 2 else None,
                checked_by_id=checkers[n % len(checkers)].id if n % 2 else None,
            )
        )
    db.session.commit()
    return coordinator


def counts(app, db, insee: str, entries: int, signed_in: bool) -> dict[str, int]:
    coordinator = build(db, insee, entries)
    client = app.test_client()
    if signed_in:
        login_as(client, coordinator)
    found = {}
    for url in URLS:
        count, writes, response = measure(client, db, url.format(insee=insee))
        assert writes == []
        if not signed_in:  # a visitor's reading leaves no cookie (no session, no token)
            assert "Set-Cookie" not in response.headers, url
        found[url] = count
    return found


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "coordinator"])
def test_the_guide_runs_the_same_statements_for_one_entry_or_forty(app, db, signed_in):
    small = counts(app, db, "92023", 1, signed_in)
    big = counts(app, db, "92048", 40, signed_in)
    assert small == big, (small, big)
    budget = COORDINATOR_BUDGET if signed_in else VISITOR_BUDGET
    assert big["/communes/{insee}/guide"] <= budget, big
