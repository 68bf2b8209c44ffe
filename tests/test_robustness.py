"""No request a client can make gets a 500: every GET route, with ids beyond the database's
integers and NUL bytes in its path and query string, for a visitor, a member and an admin.
Run on PostgreSQL too (FORUM_TEST_DATABASE_URI), where both used to raise."""

from __future__ import annotations

import contextlib
import re
from urllib.parse import quote

import pytest
from sqlalchemy import event

from forum.discussions import services as discussions
from forum.extensions import db as _db
from tests.conftest import login_as, post_form
from tests.factories import add_member, make_group, make_meeting, make_user

# Beyond SQLite's 64-bit integers, and just beyond PostgreSQL's 32-bit `integer`.
HUGE_IDS = ("99999999999999999999999", "2147483648")
NUL = "%00"
QUERY_ARGS = {
    "q": "logement" + NUL,
    "page": "2" + NUL,
    "next": "/" + NUL,
    "group": "entraide" + NUL,
    "draft": "abc" + NUL,
}
HUGE_QUERY_ARGS = ("page", "quote")
ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _valid_values(ids: dict[str, int]) -> dict[str, str]:
    """A value for each URL argument that names something that exists (or could)."""
    return {
        "thread_id": str(ids["thread"]),
        "post_id": str(ids["post"]),
        "notification_id": "1",
        "meeting_id": str(ids.get("meeting", 1)),
        "slug": "entraide",
        "insee": "92023",
        "token": "abcdef",
        "filename": "css/site.css",
        "username": ids["member"].username,
        "user_id": str(ids["member"].id),
        "public_id": "abcdefgh12345678",
        "entry_id": "1",
        "proposal_id": "1",
        "document_id": "1",
    }


def _build(rule: str, values: dict[str, str]) -> str:
    return ARGUMENT.sub(lambda m: values[m.group(2)], rule)


def _urls(app, ids: dict[str, int]) -> list[str]:
    """Every GET route with each argument broken in turn, and with broken query args."""
    valid = _valid_values(ids)
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        arguments = {m.group(2): m.group(1) or "default" for m in ARGUMENT.finditer(rule.rule)}
        for name, converter in arguments.items():
            broken = [quote(valid[name][:3], safe="/") + NUL + valid[name][3:]]
            if converter == "int":
                broken = list(HUGE_IDS)
            for value in broken:
                urls.append(_build(rule.rule, {**valid, name: value}))
        base = _build(rule.rule, valid)
        for arg, value in QUERY_ARGS.items():
            urls.append(f"{base}?{arg}={value}")
        for arg in HUGE_QUERY_ARGS:
            urls.extend(f"{base}?q=logement&{arg}={value}" for value in HUGE_IDS)
    return urls


@pytest.fixture
def world(app, db):
    member, admin, author = make_user(), make_user(admin=True), make_user()
    group = make_group("entraide")
    add_member(member, group)
    thread = discussions.create_thread(author, group, title="Logement", body="Un logement.")
    reply = discussions.reply(author, thread, body="Une réponse.")
    meeting = make_meeting(group)
    db.session.commit()
    return {
        "member": member,
        "admin": admin,
        "thread": thread.id,
        "post": reply.id,
        "meeting": meeting.id,
    }


def test_no_get_route_answers_500_to_huge_ids_or_nul_bytes(app, world):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # an error is a 500 page, as in production
    clients = {"visitor": app.test_client()}
    for role in ("member", "admin"):
        clients[role] = app.test_client()
        login_as(clients[role], world[role])
    urls = _urls(app, world)
    assert len(urls) > 50  # the sweep found the routes
    failures = []
    for role, client in clients.items():
        for url in urls:
            with client.get(url) as response:  # closes the static files' streams
                if response.status_code >= 500:
                    failures.append(f"{role} {url} -> {response.status_code}")
    assert not failures, "\n".join(failures)


def test_a_huge_quote_id_is_ignored(app, world):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    login_as(client, world["member"])
    for value in HUGE_IDS:
        assert client.get(f"/threads/{world['thread']}?quote={value}").status_code == 200


def test_db_int_refuses_what_the_database_cannot_hold():
    from werkzeug.datastructures import MultiDict

    from forum.urls import db_int

    args = MultiDict({"ok": "2147483647", "big": "2147483648", "huge": HUGE_IDS[0], "neg": "-3"})
    assert args.get("ok", type=db_int) == 2**31 - 1
    assert args.get("big", type=db_int) is None
    assert args.get("huge", 1, type=db_int) == 1
    assert args.get("neg", type=db_int) == -3


# --- The database goes down --------------------------------------------------------------


@contextlib.contextmanager
def database_down(app):
    """Every new connection goes where no database answers: a closed port on PostgreSQL, a
    missing directory on SQLite. The pool is emptied first, so no open connection is left."""
    engine = _db.engine

    def unreachable(dialect, conn_rec, cargs, cparams):
        if engine.dialect.name == "sqlite":
            cargs[0] = "/nonexistent-directory/forum.sqlite3"
        else:
            cparams.update(host="127.0.0.1", port=1)

    event.listen(engine, "do_connect", unreachable)
    _db.session.remove()
    engine.dispose()
    try:
        yield
    finally:
        event.remove(engine, "do_connect", unreachable)
        engine.dispose()


def test_a_signed_in_member_gets_the_503_page_when_the_database_is_down(app, world):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    member, visitor = app.test_client(), app.test_client()
    login_as(member, world["member"])
    assert world["member"].display_name in member.get("/").get_data(as_text=True)

    with database_down(app):
        for client, url, headers in [
            (member, "/", {}),
            (member, "/account/", {}),  # sign-in required: the user loader's query fails
            (member, f"/threads/{world['thread']}", {}),
            (visitor, "/", {}),
            (member, "/nowhere", {}),  # an error page whose header reads the member
            (member, "/", {"Accept-Language": "en"}),
        ]:
            response = client.get(url, headers=headers)
            page = response.get_data(as_text=True)
            assert response.status_code == 503, (url, page[:300])
            english = headers.get("Accept-Language") == "en"
            heading = "unavailable for a moment" if english else "indisponible pour un moment"
            assert heading in page, url
            assert world["member"].display_name not in page
            assert "default-src 'self'" in response.headers["Content-Security-Policy"]
            assert response.headers["X-Frame-Options"] == "DENY"
            assert response.headers["Retry-After"].isdigit()

    assert member.get("/account/").status_code == 200  # back with the database


# --- What a URL may carry ----------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/a\r\nSet-Cookie: x=1", "/a\rb", "/a\x00", "/a\x7f", "/a\x85"],
)
def test_next_with_control_characters_is_refused(target):
    from forum.urls import safe_next

    assert safe_next(target) is None
    assert safe_next("/groups/entraide/?page=2#post-3") == "/groups/entraide/?page=2#post-3"


def test_a_signed_in_member_is_never_sent_to_a_split_or_foreign_location(app, world):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    member = app.test_client()
    login_as(member, world["member"])
    response = member.get("/auth/login?next=/%0D%0ASet-Cookie:%20x=1")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "x=1" not in response.headers.get("Set-Cookie", "")
    # A browser drops the tab and would follow "//evil.example" (urlsplit drops it too).
    response = member.get("/auth/login?next=/%09/evil.example")
    assert response.headers["Location"] == "/"


def test_a_nul_in_a_query_argument_is_dropped(client, world):
    page = client.get("/search?q=loge%00ment").get_data(as_text=True)
    text = " ".join(page.split())
    assert "1 fil trouvé · 2 messages" in text  # the thread, at its two posts
    assert client.get("/groups/entr%00aide/").status_code == 404
    # In a form field too: the address is read without it.
    response = post_form(client, "/auth/login", {"email": "a\x00@b.fr", "password": "x" * 12})
    assert response.status_code == 200
    assert "ne correspondent pas" in response.get_data(as_text=True)


# --- A post's size -----------------------------------------------------------------------

BODY_MAX = 50_000
PATHOLOGICAL = {
    "a reference link used 16,000 times": "[a]: http://example.org/"
    + "x" * 900
    + "\n\n"
    + "[a]" * 16_000,
    "8,000 links": "[a](b)" * 8_000,
    "6,000 bare URLs": "a.co " * 6_000,
    "50,000 nested quotes": ">" * BODY_MAX,
    "quotes nested line after line": "".join(">" * i + " a\n" for i in range(1, 300)),
    "50,000 stars": "*" * BODY_MAX,
    "emphasis nested 20,000 deep": "*" * 20_000 + "a" + "*" * 20_000,
    "a table of 100 columns and 400 rows": "|a" * 100 + "|\n" + "|-" * 100 + "|\n" + "|\n" * 400,
    "12,500 mentions": "@ab " * 12_500,
    "50,000 ampersands": "&" * BODY_MAX,
}
# Those whose Markdown would render past the bound (RENDERED_MAX), which comes back as
# escaped text, paragraphs and lines only. They need not be of the longest size to prove it
# (the table and the URLs are smaller: they parse much faster).
PAST_THE_BOUND = {
    "a reference link used 16,000 times",
    "8,000 links",
    "6,000 bare URLs",
    "a table of 100 columns and 400 rows",
    "50,000 ampersands",
    "emphasis nested 20,000 deep",  # too deep (DEPTH_MAX), too many elements (ELEMENTS_MAX)
}


def test_emphasis_past_the_depth_bound_shows_as_text():
    from forum.markup import DEPTH_MAX, render_markdown

    # n stars on each side nest about n/2 emphases, inside a paragraph.
    shallow = render_markdown("*" * (DEPTH_MAX + 60) + "a" + "*" * (DEPTH_MAX + 60)).html
    assert shallow.count("<strong>") > 50
    deep = render_markdown("*" * (2 * DEPTH_MAX + 20) + "a" + "*" * (2 * DEPTH_MAX + 20)).html
    assert "<strong>" not in deep and deep.startswith("<p>***")


def test_escaped_text_survives_sanitizing_unchanged():
    from forum.markup import render_markdown

    html = render_markdown('<script>alert("x")</script> & \ue000 \ue002 <b>').html
    assert html == (
        "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; \ue000 \ue002 &lt;b&gt;</p>\n"
    )
    assert render_markdown("<" * 40_000).html == "<p>" + "&lt;" * 40_000 + "</p>\n"


def test_no_post_renders_to_megabytes():
    from forum.markup import render_markdown

    rendered = {}
    for name, body in PATHOLOGICAL.items():
        assert len(body) <= BODY_MAX, name
        rendered[name] = render_markdown(body).html
    too_big = {
        name: len(html) for name, html in rendered.items() if len(html) > 5 * BODY_MAX + 1_000
    }
    assert not too_big
    # Past the bound the text is shown as typed, escaped, its lines kept.
    for name in PAST_THE_BOUND:
        tags = set(re.findall(r"<(\w+)", rendered[name]))
        assert "p" in tags and tags <= {"p", "br"}, (name, tags)
    shown = rendered["a reference link used 16,000 times"]
    assert shown.startswith("<p>[a]: http://example.org/xxx") and "<a " not in shown
    assert "</p>\n<p>[a][a][a]" in shown
    # A long post with links is still Markdown.
    normal = ("Voir [le site](https://example.org) pour **plus**.\n\n" * 800)[:BODY_MAX]
    html = render_markdown(normal).html
    assert html.count('<a href="https://example.org" rel="nofollow ugc noopener">') == 800
    assert "<strong>plus</strong>" in html
