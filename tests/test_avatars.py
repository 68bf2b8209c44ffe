"""Generated avatars: SVG from the app, safe, cacheable, readable, computed without a query."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from forum.people.avatars import PALETTE, TEXT_COLOUR, avatar_svg, colour_for, contrast, initials
from tests.factories import make_user
from tests.test_speed import statements

SVG = "{http://www.w3.org/2000/svg}"


def test_the_avatar_is_svg_cacheable_and_locked_down(client, db):
    make_user(name="Inès Bernard", username="ines-b")
    db.session.commit()
    response = client.get("/users/ines-b/avatar.svg")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("image/svg+xml")
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers
    root = ET.fromstring(response.get_data(as_text=True))  # noqa: S314 - our own output
    assert root.tag == f"{SVG}svg"
    assert [child.tag for child in root] == [f"{SVG}rect", f"{SVG}text"]
    assert root.find(f"{SVG}text").text == "IB"
    etag = response.headers["ETag"]
    again = client.get("/users/ines-b/avatar.svg", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_an_unknown_member_has_no_avatar(client, db):
    assert client.get("/users/personne/avatar.svg").status_code == 404
    assert client.get("/users/" + "x" * 100 + "/avatar.svg").status_code == 404


def test_initials_are_escaped_and_nothing_runs(client, db):
    make_user(name="<script>alert(1)</script> &amp", username="piege")
    db.session.commit()
    body = client.get("/users/piege/avatar.svg").get_data(as_text=True)
    assert "<script" not in body
    root = ET.fromstring(body)  # noqa: S314 - our own output, well-formed
    assert root.find(f"{SVG}text").text == "P"  # no letter in the name: the handle's
    for element in root.iter():
        assert not any(name.startswith("on") for name in element.attrib)
    assert "href" not in body


def test_initials():
    assert initials("Inès Bernard", "ines-b") == "IB"
    assert initials("marie", "marie") == "M"
    assert initials("Jean-Pierre de la Fontaine", "jp") == "JD"
    assert initials("   ", "zoe") == "Z"
    assert initials("!!! ???", "") == "?"


def test_every_colour_holds_white_text_at_aa_contrast():
    for colour in PALETTE:
        assert contrast(colour, TEXT_COLOUR) >= 4.5, colour
    handles = {colour_for(f"membre-{n}") for n in range(500)}
    assert handles <= set(PALETTE) and len(handles) == len(PALETTE)
    assert colour_for("Ines-B") == colour_for("ines-b")
    assert 'fill="#ffffff"' in avatar_svg("A", "a")


def test_avatar_urls_on_pages_need_no_query(app, db):
    from flask import render_template_string

    with app.test_request_context(), statements(db) as seen:
        html = render_template_string("{{ avatar_url('ines-b') }}")
    assert html == "/users/ines-b/avatar.svg" and seen == []
