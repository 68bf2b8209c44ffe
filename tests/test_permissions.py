"""Who may see and do what: every rule of forum.permissions, role by role.

Two checks: a role × URL → status matrix through the real pages, and the agreement of the
query criteria (`visible_posts`, `visible_threads`) with the predicates, row by row, so
that listings, feeds, search and exports never show what a page would refuse."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.discussions import moderation, services
from forum.discussions.models import Post, Thread
from forum.extensions import db as _db
from forum.groups.models import Role
from forum.permissions import can, visible_posts, visible_threads
from tests.conftest import login_as
from tests.factories import add_member, make_commune, make_group, make_user

ROLES = (
    "visitor",
    "unverified",
    "suspended",
    "outsider",
    "member",
    "author",
    "coordinator",
    "coordinator_elsewhere",
    "admin",
)


@pytest.fixture
def world(db):
    clamart = make_group("ldh-clamart", commune=make_commune("92023", "Clamart"))
    meudon = make_group("solidarite-meudon", commune=make_commune("92048", "Meudon"))
    people = {
        "visitor": None,
        "unverified": make_user(verified=False),
        "suspended": make_user(suspended=True),
        "outsider": make_user(),
        "member": make_user(),
        "author": make_user(),
        "coordinator": make_user(),
        "coordinator_elsewhere": make_user(),
        "admin": make_user(admin=True),
    }
    for who in ("suspended", "member", "author"):
        add_member(people[who], clamart, Role.MEMBER)
    add_member(people["coordinator"], clamart, Role.COORDINATOR)
    add_member(people["coordinator_elsewhere"], meudon, Role.COORDINATOR)
    mod = people["coordinator"]
    author = people["author"]
    open_thread = services.create_thread(author, clamart, title="Fil ouvert", body="Début")
    plain = services.reply(author, open_thread, body="Un message")
    hidden = services.reply(author, open_thread, body="Un message masqué")
    moderation.hide_post(mod, hidden, category="spam")
    deleted = services.reply(author, open_thread, body="Un message supprimé")
    services.delete_post(author, deleted)
    locked = services.create_thread(author, clamart, title="Fil verrouillé", body="Clos")
    moderation.set_locked(mod, locked, True)
    secret = services.create_thread(author, clamart, title="Fil masqué", body="Caché")
    moderation.set_thread_hidden(mod, secret, True, "Hors sujet")
    db.session.commit()
    return {
        "people": people,
        "open": open_thread,
        "plain": plain,
        "hidden": hidden,
        "deleted": deleted,
        "locked": locked,
        "secret": secret,
        "secret_post": services.post_by_number(secret, 1),
    }


# url template -> expected status per role ("302" for visitors: sign in first)
EVERYONE = dict.fromkeys(ROLES, 200)
MODERATORS = {
    **dict.fromkeys(ROLES, 404),
    "coordinator": 200,
    "admin": 200,
}
MATRIX = {
    "/threads/{open}": EVERYONE,
    "/threads/{secret}": MODERATORS,
    "/posts/{plain}/history": EVERYONE,
    "/posts/{hidden}/history": {**MODERATORS, "author": 200},
    "/posts/{deleted}/history": dict.fromkeys(ROLES, 404),
    "/posts/{secret_post}/history": MODERATORS,
    "/posts/{plain}/flag": {
        **dict.fromkeys(ROLES, 200),
        "visitor": 302,
        "unverified": 403,
        "suspended": 403,
        "author": 403,
    },
    "/posts/{hidden}/flag": {
        **dict.fromkeys(ROLES, 404),
        "author": 403,
        "coordinator": 403,
        "admin": 403,
    },
    "/posts/{deleted}/flag": dict.fromkeys(ROLES, 404),
    "/posts/{plain}/edit": {
        **dict.fromkeys(ROLES, 403),
        "visitor": 302,
        "author": 200,
        "coordinator": 200,
        "admin": 200,
    },
    "/posts/{hidden}/edit": {
        **dict.fromkeys(ROLES, 404),
        "author": 403,
        "coordinator": 200,
        "admin": 200,
    },
    "/posts/{deleted}/edit": dict.fromkeys(ROLES, 404),
    "/threads/{open}/move": {
        **dict.fromkeys(ROLES, 403),
        "visitor": 302,
        "coordinator": 200,
        "admin": 200,
    },
    "/groups/ldh-clamart/flags": {
        **dict.fromkeys(ROLES, 403),
        "visitor": 302,
        "coordinator": 200,
        "admin": 200,
    },
    "/groups/ldh-clamart/audit": {
        **dict.fromkeys(ROLES, 403),
        "visitor": 302,
        "coordinator": 200,
        "admin": 200,
    },
    "/admin/audit": {**dict.fromkeys(ROLES, 404), "visitor": 302, "admin": 200},
    "/groups/ldh-clamart/threads/new": {
        **dict.fromkeys(ROLES, 200),
        "visitor": 302,
        "unverified": 403,
        "suspended": 403,
    },
}


@pytest.mark.parametrize("who", ROLES)
def test_every_rule_answers_each_role_as_it_should(app, world, who):
    client = app.test_client()
    if world["people"][who] is not None:
        login_as(client, world["people"][who])
    ids = {k: v.id for k, v in world.items() if k != "people"}
    wrong = []
    for template, expected in MATRIX.items():
        url = template.format(**ids)
        status = client.get(url).status_code
        if status != expected[who]:
            wrong.append(f"{url}: {status}, expected {expected[who]}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("who", ROLES)
def test_replying_is_decided_by_the_same_rules_with_their_reasons(app, world, who):
    user = world["people"][who]
    may_post = who not in ("visitor", "unverified", "suspended")
    assert can("thread.reply", world["open"], user=user) is may_post
    moderator = who in ("coordinator", "admin")
    assert can("thread.reply", world["locked"], user=user) is (may_post and moderator)
    assert can("thread.reply", world["secret"], user=user) is moderator


@pytest.mark.parametrize("who", ROLES)
def test_query_criteria_agree_with_the_rules(app, db, world, who):
    """What a listing may show is exactly what the page would show, row by row."""
    user = world["people"][who]
    for group in ("ldh-clamart",):
        posts = db.session.scalars(select(Post).join(Thread)).all()
        shown = set(
            db.session.scalars(select(Post.id).join(Thread).where(*visible_posts(user))).all()
        )
        readable = {p.id for p in posts if can("post.read", p, user=user)}
        assert shown == readable, (who, group)
        threads = db.session.scalars(select(Thread)).all()
        listed = set(db.session.scalars(select(Thread.id).where(*visible_threads(user))).all())
        assert listed == {t.id for t in threads if can("thread.view", t, user=user)}, who
    # And the states are really there: nobody reads a deleted post.
    assert world["deleted"].id not in shown


def test_a_suspended_coordinator_moderates_nothing(app, db, world):
    coordinator = world["people"]["coordinator"]
    coordinator.suspended_at = world["plain"].created_at
    _db.session.commit()
    assert not can("post.read", world["hidden"], user=coordinator)
    assert world["secret_post"].id not in set(
        db.session.scalars(select(Post.id).join(Thread).where(*visible_posts(coordinator))).all()
    )


def test_the_access_key_changes_with_everything_the_criteria_read(db):
    """permissions.per_access keeps statements per access_key: users with the same groups
    and roles share one; a role, a group, admin rights or a suspension make another."""
    from forum.db import utcnow
    from forum.groups.services import set_role
    from forum.permissions import access_key

    first, second, third = make_user(), make_user(), make_user()
    clamart, meudon = make_group(name="Clamart"), make_group(name="Meudon")
    for user in (first, second, third):
        add_member(user, clamart)
    db.session.flush()
    assert access_key(first) == access_key(second) != access_key(None)

    keys = {access_key(first)}
    add_member(third, meudon)
    db.session.flush()
    keys.add(access_key(third))
    set_role(second, clamart, Role.KEEPER)
    db.session.flush()
    keys.add(access_key(second))
    first.is_admin = True
    keys.add(access_key(first))
    first.is_admin, first.suspended_at = False, utcnow()
    keys.add(access_key(first))
    assert len(keys) == 5
