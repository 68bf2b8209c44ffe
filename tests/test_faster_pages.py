"""What makes rendered pages cheaper must not change them: links built from a URL's shape
are url_for's, to the character."""

from __future__ import annotations

import pytest
from flask import url_for

from forum.templating import path_for


@pytest.mark.parametrize(
    ("endpoint", "values"),
    [
        ("discussions.permalink", {"post_id": 7}),
        ("discussions.permalink", {"post_id": 2147483647}),
        ("discussions.edit", {"post_id": 12345}),
        ("discussions.history", {"post_id": 1}),
        ("discussions.show_thread", {"thread_id": 42}),
        ("people.profile", {"username": "nadia-b"}),
        ("people.avatar", {"username": "nadia_b.2"}),
        ("groups.show_group", {"slug": "ldh-clamart"}),
        # Values url_for quotes: path_for leaves them to it.
        ("people.profile", {"username": "zoé à/b"}),
        ("groups.show_group", {"slug": "a b?c#d"}),
    ],
)
def test_path_for_writes_what_url_for_writes(app, endpoint, values):
    with app.test_request_context("/"):
        assert path_for(endpoint, **values) == url_for(endpoint, **values)
        # The second time from the shape kept for the request: still the same.
        assert path_for(endpoint, **values) == url_for(endpoint, **values)
        other = {k: (v + 1 if isinstance(v, int) else v + "x") for k, v in values.items()}
        assert path_for(endpoint, **other) == url_for(endpoint, **other)


def test_a_name_links_to_the_profile_and_a_deleted_account_is_plain_text(app):
    from types import SimpleNamespace

    from flask import render_template_string

    page = (
        '{% from "_macros/people.html" import person %}'
        "{{ person(a) }}|{{ person(a, size=32) }}|{{ person(a, avatar=false) }}|{{ person(d) }}"
    )
    alive = SimpleNamespace(display_name="Zoé <b>", username="zoe", is_deleted=False)
    gone = SimpleNamespace(display_name="compte supprimé", username="x", is_deleted=True)
    with app.test_request_context("/"):
        text = render_template_string(page, a=alive, d=gone)
    img = '<img class="avatar" src="/users/zoe/avatar.svg" alt="" width="{0}" height="{0}">'
    assert text.split("|") == [
        f'<a class="person" href="/users/zoe">{img.format(24)}Zoé &lt;b&gt;</a>',
        f'<a class="person" href="/users/zoe">{img.format(32)}Zoé &lt;b&gt;</a>',
        '<a class="person" href="/users/zoe">Zoé &lt;b&gt;</a>',
        '<span class="person">compte supprimé</span>',
    ]
