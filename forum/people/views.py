"""Public profiles and generated avatars."""

from __future__ import annotations

import hashlib

from flask import abort, make_response, redirect, render_template, request, url_for

from forum.people import bp, services
from forum.people.avatars import avatar_svg
from forum.permissions import signed_in_user

AVATAR_MAX_AGE = 60 * 60 * 24  # a renamed member's initials change within a day
HANDLE_MAX = 40


@bp.app_template_global()
def avatar_url(username: str) -> str:
    """The avatar's address, from the handle alone: no query."""
    from forum.templating import path_for

    return path_for("people.avatar", username=username)


def _page() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 7 else 1


@bp.route("/users/<username>")
def profile(username: str):
    """A member's public profile; an earlier handle redirects to the current one."""
    if len(username) > HANDLE_MAX:
        abort(404)
    member = services.find_member(username)
    if member is None:
        now = services.current_handle(username)
        if now is None:
            abort(404)
        return redirect(url_for("people.profile", username=now), 301)
    if member.username != username:
        return redirect(url_for("people.profile", username=member.username), 301)
    viewer = signed_in_user()
    posts = services.member_posts(member, viewer, _page())
    return render_template(
        "people/profile.html",
        member=member,
        posts=posts,
        excerpts={p.id: services.excerpt(p) for p in posts.items},
        meetings=services.member_meetings(member),
        pledges=services.shown_pledges(member),
    )


@bp.route("/users/<username>/avatar.svg")
def avatar(username: str):
    """The member's avatar: initials on a colour of their handle (cacheable)."""
    name = services.display_name_of(username) if len(username) <= HANDLE_MAX else None
    if name is None:
        abort(404)
    body = avatar_svg(name, username)
    response = make_response(body)
    response.mimetype = "image/svg+xml"
    response.headers["Cache-Control"] = f"public, max-age={AVATAR_MAX_AGE}"
    # An image: nothing in it may run or load, even opened on its own.
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:20])
    return response.make_conditional(request)
