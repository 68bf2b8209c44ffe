"""The docuthèque's rules, role by role: who may see, upload, change and restore, and
`visible_documents(user)` agreeing with `document.view` row by row."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.db import utcnow
from forum.documents.models import Document
from forum.documents.rules import visible_documents
from forum.groups.models import Role
from forum.permissions import can, refusal
from tests.factories import add_member, make_group, make_user

ROLES = ("visitor", "account", "member", "keeper", "coordinator", "admin", "suspended", "other")


@pytest.fixture
def world(app, db):
    group, other_group = make_group("entraide"), make_group("ailleurs")
    people = {
        "visitor": None,
        "account": make_user(),
        "member": make_user(),
        "keeper": make_user(),
        "coordinator": make_user(),
        "admin": make_user(admin=True),
        "suspended": make_user(suspended=True),
        "other": make_user(),  # coordinates another group
    }
    add_member(people["member"], group)
    add_member(people["keeper"], group, Role.KEEPER)
    add_member(people["coordinator"], group, Role.COORDINATOR)
    add_member(people["suspended"], group)
    add_member(people["other"], other_group, Role.COORDINATOR)
    documents = {}
    for visibility in ("public", "site", "group"):
        for deleted in (False, True):
            doc = Document(
                group=group,
                title=f"{visibility} {deleted}",
                visibility=visibility,
                kind="pdf",
                size=1,
                filename="a.pdf",
                uploaded_by_id=people["member"].id,
                deleted_at=utcnow() if deleted else None,
            )
            db.session.add(doc)
            documents[(visibility, deleted)] = doc
    db.session.commit()
    return {"group": group, "people": people, "documents": documents}


SEES = {
    # (visibility, deleted): the roles that see the document
    ("public", False): set(ROLES),
    ("site", False): set(ROLES) - {"visitor"},
    ("group", False): {"member", "keeper", "coordinator", "admin", "suspended"},
    ("public", True): {"coordinator", "admin"},
    ("site", True): {"coordinator", "admin"},
    ("group", True): {"coordinator", "admin"},
}


@pytest.mark.parametrize("who", ROLES)
def test_who_sees_which_document(world, who):
    user = world["people"][who]
    for key, doc in world["documents"].items():
        assert can("document.view", doc, user=user) is (who in SEES[key]), (who, key)


@pytest.mark.parametrize("who", ROLES)
def test_the_query_criteria_agree_with_the_rule(db, world, who):
    """Lists and search show exactly what the pages show (deleted ones: only on their
    own page, for the coordinators who may restore them)."""
    user = world["people"][who]
    listed = set(db.session.scalars(select(Document.id).where(*visible_documents(user))))
    viewable = {
        d.id
        for d in world["documents"].values()
        if can("document.view", d, user=user) and not d.is_deleted
    }
    assert listed == viewable, who


@pytest.mark.parametrize(
    ("who", "upload", "change", "restore"),
    [
        # A deleted document does not exist for whoever may not restore it.
        ("visitor", "login", "login", "hidden"),
        ("account", "forbidden", "forbidden", "hidden"),
        ("member", None, None, "hidden"),  # the uploader
        ("keeper", None, "forbidden", "hidden"),
        ("coordinator", None, None, None),
        ("admin", None, None, None),
        ("suspended", "forbidden", "forbidden", "hidden"),
        ("other", "forbidden", "forbidden", "hidden"),
    ],
)
def test_who_uploads_changes_and_restores(world, who, upload, change, restore):
    user = world["people"][who]
    public = world["documents"][("public", False)]
    deleted = world["documents"][("public", True)]
    assert refusal(user, "document.upload", world["group"]) == upload
    assert refusal(user, "document.edit", public) == change
    assert refusal(user, "document.restore", deleted) == restore


def test_an_archived_group_takes_no_upload_and_no_change(db, world):
    world["group"].archived_at = utcnow()
    db.session.commit()
    coordinator = world["people"]["coordinator"]
    assert refusal(coordinator, "document.upload", world["group"]) == "forbidden"
    assert refusal(coordinator, "document.edit", world["documents"][("public", False)]) == (
        "forbidden"
    )
    assert can("document.view", world["documents"][("public", False)], user=None)
