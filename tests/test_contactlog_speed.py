"""The group's contact log and a household page run a fixed number of SQL statements
whatever the number of households and contacts (500 households of 20 contacts each), on any
page of the household's contacts; the list writes nothing, the household page writes only
its audit entry. Times are measured by hand: bench/contactlog_bench.py."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, update

from forum.contactlog import services
from forum.contactlog.models import Contact, ContactPerson, Household, HouseholdReferent, Need
from forum.groups.models import Role
from tests.conftest import login_as
from tests.factories import add_member, make_group, make_household, make_user
from tests.test_speed import measure

LIST_BUDGET = 9
PAGE_BUDGET = 13


def build(db, *, households: int, contacts: int):
    """A group with `households` households of `contacts` contacts each, written straight
    to the tables (the services' audit entries would cost seconds); two keepers."""
    group = make_group()
    keeper = make_user(name="Gardienne")
    other = make_user(name="Relais")
    add_member(keeper, group, Role.KEEPER)
    add_member(other, group, Role.KEEPER)
    first = make_household(group, keeper, pseudonym="Famille mesurée")
    today = services.today()
    rows = [
        {
            "group_id": group.id,
            "public_id": f"g{group.id}h{n:06d}",
            "pseudonym": f"Famille {n}",
            "languages": "romani",
            "consent_on": today - timedelta(days=400),
            "consent_how": "oral",
            "last_contact_on": today - timedelta(days=n % 60),
            "created_at": services.utcnow(),
            "updated_at": services.utcnow(),
        }
        for n in range(households - 1)
    ]
    if rows:
        db.session.execute(insert(Household), rows)
    ids = [
        first.id,
        *db.session.scalars(
            db.select(Household.id).where(Household.group_id == group.id, Household.id != first.id)
        ),
    ]
    db.session.execute(
        insert(HouseholdReferent),
        [{"household_id": h, "user_id": (keeper, other)[h % 2].id} for h in ids[1:]],
    )
    contact_rows = [
        {
            "household_id": h,
            "happened_on": today - timedelta(days=c),
            "channel": "visit",
            "outcome": "reached" if c % 4 else "no_answer",
            "summary": f"Résumé {h}-{c}",
            "agreed": "",
            "author_id": keeper.id,
            "created_at": services.utcnow(),
        }
        for h in ids
        for c in range(contacts)
    ]
    db.session.execute(insert(Contact), contact_rows)
    contact_ids = db.session.scalars(
        db.select(Contact.id).where(Contact.household_id == first.id)
    ).all()
    if contact_ids:
        db.session.execute(
            insert(ContactPerson),
            [{"contact_id": c, "user_id": u.id} for c in contact_ids for u in (keeper, other)],
        )
    db.session.execute(
        insert(Need),
        [{"household_id": h, "kind": "health", "opened_on": today, "details": ""} for h in ids],
    )
    db.session.execute(
        update(Household).where(Household.group_id == group.id).values(contact_count=contacts)
    )
    db.session.commit()
    return group, keeper, first


def more_contacts(db, household, author, n: int) -> None:
    """`n` older contacts for one household, straight to the table."""
    oldest = services.today() - timedelta(days=400)
    db.session.execute(
        insert(Contact),
        [
            {
                "household_id": household.id,
                "happened_on": oldest - timedelta(days=c),
                "channel": "phone",
                "outcome": "reached",
                "summary": f"Ancien {c}",
                "agreed": "",
                "author_id": author.id,
                "created_at": services.utcnow(),
            }
            for c in range(n)
        ],
    )
    db.session.commit()


def test_list_and_household_page_statements_do_not_grow(app, db):
    counts = {}
    for size, (households, contacts) in {"small": (2, 2), "big": (500, 20)}.items():
        group, keeper, first = build(db, households=households, contacts=contacts)
        if size == "big":  # the measured household: 50 contacts, three pages of them
            more_contacts(db, first, keeper, 30)
        client = app.test_client()
        login_as(client, keeper)
        url = f"/groups/{group.slug}/households/"
        n_list, writes, response = measure(client, db, url)
        assert writes == []
        assert "Famille" in response.get_data(as_text=True)
        n_mine, _w, _r = measure(client, db, url + "?mine=1&page=3")
        n_page, writes, response = measure(client, db, f"/households/{first.public_id}")
        assert len(writes) == 1 and "audit_entries" in writes[0]
        # An older page of contacts (20 a page: the big household has three), and a
        # page past the end (brought back to the last one).
        n_older, _w, _r = measure(client, db, f"/households/{first.public_id}?page=2")
        n_past, _w, _r = measure(client, db, f"/households/{first.public_id}?page=999")
        counts[size] = (n_list, n_mine, n_page, n_older, n_past)
    assert counts["small"] == counts["big"], counts
    n_list, n_mine, n_page, n_older, n_past = counts["big"]
    assert n_list <= LIST_BUDGET and n_mine <= LIST_BUDGET, counts
    assert n_page == n_older == n_past <= PAGE_BUDGET, counts
