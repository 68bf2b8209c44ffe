"""The docuthèque's pages run a fixed number of SQL statements whatever its size, and
nothing is written by a visitor's GET (bench/documents_bench.py measures 1,000 documents
and the download's memory)."""

from __future__ import annotations

import pytest

from forum.documents.models import DOCUMENTS_PER_PAGE, Document
from tests.conftest import login_as
from tests.factories import add_member, make_group, make_user
from tests.test_speed import measure

VISITOR_BUDGET = 5
MEMBER_BUDGET = 10


def build(db, count: int):
    group = make_group()
    member = make_user()
    add_member(member, group)
    for n in range(count):
        db.session.add(
            Document(
                group=group,
                title=f"Document {n}",
                kind="pdf" if n % 2 else "png",
                size=1000 + n,
                filename=f"d{n}.pdf",
                visibility=("public", "site", "group")[n % 3],
                tags=",rapport," if n % 4 else ",plan,",
                uploaded_by_id=member.id,
            )
        )
    db.session.commit()
    return group, member


def counts(app, db, count: int, member: bool) -> dict[str, int]:
    group, person = build(db, count)
    client = app.test_client()
    if member:
        login_as(client, person)
    last = max((count - 1) // DOCUMENTS_PER_PAGE + 1, 1)
    found = {}
    for name, url in {
        "first page": f"/groups/{group.slug}/documents/",
        "last page": f"/groups/{group.slug}/documents/?page={last}",
        "by tag and type": f"/groups/{group.slug}/documents/?tag=rapport&kind=pdf",
        "by date": f"/groups/{group.slug}/documents/?sort=date",
        "group page": f"/groups/{group.slug}/",
    }.items():
        statements, writes, _ = measure(client, db, url)
        assert writes == [], (name, writes)
        found[name] = statements
    return found


@pytest.mark.parametrize(("member", "budget"), [(False, VISITOR_BUDGET), (True, MEMBER_BUDGET)])
def test_the_docutheque_runs_the_same_statements_at_2_and_at_120_documents(app, db, member, budget):
    small, big = counts(app, db, 2, member), counts(app, db, 120, member)
    assert small == big, (small, big)
    assert max(big.values()) <= budget, big
