"""Search page."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import select

from forum.discussions.models import Thread
from forum.discussions.services import THREAD_WITH_GROUP
from forum.extensions import db, limiter
from forum.forms import choices
from forum.groups.models import Group
from forum.groups.services import group_or_404
from forum.permissions import can, require, signed_in_user
from forum.search import bp, services
from forum.search.forms import SearchForm
from forum.search.sections import Asked, sections_for
from forum.search.threads import search_threads
from forum.urls import db_int

PARIS = ZoneInfo("Europe/Paris")


def _searcher_key() -> str:
    """Searches are counted per account, a visitor's per address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{get_remote_address()}"


def _no_query() -> bool:
    return not request.args.get("q", "").strip()  # the empty form costs nothing


search_limit = limiter.limit(
    lambda: current_app.config["RATELIMIT_SEARCH"], key_func=_searcher_key, exempt_when=_no_query
)


def _paris_midnight(day) -> datetime:
    """The start of a day in Europe/Paris, in UTC: the dates people type are Paris days."""
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)


def _scope_thread() -> Thread | None:
    """The thread of "n autres messages" (?thread=<id>): 404 unless visible."""
    thread_id = request.args.get("thread", type=db_int)
    if not thread_id:
        return None
    thread = db.session.get(Thread, thread_id, options=THREAD_WITH_GROUP)
    if thread is None or not can("thread.view", thread):
        abort(404)
    return thread


@bp.route("/search")
@search_limit
def show_results():
    """Full-text search over threads and posts, one result per thread (its best post),
    narrowed by group (`?group=slug`), author (`author=@handle`), dates (`since`,
    `until`), or to one thread's matches (`thread=<id>`)."""
    from forum.people.services import find_member

    group = None
    slug = request.args.get("group", "").strip()
    if slug:
        group = group_or_404(slug)
        require("group.view", group)
    thread = _scope_thread()
    form = SearchForm(formdata=request.args)
    groups = db.session.scalars(select(Group).order_by(Group.name))
    readable = [(g.slug, g.name) for g in groups if can("group.view", g)]
    form.group.choices = choices([("", _("All groups")), *readable])
    results = problem = None
    sections = []
    if form.q.data and form.q.data.strip() and form.validate():
        author = find_member(form.handle) if form.handle else None
        if form.handle and author is None:
            form.author.errors.append(_("No member goes by @%(handle)s.", handle=form.handle))
        else:
            since = _paris_midnight(form.since.data) if form.since.data else None
            until = (
                _paris_midnight(form.until.data + timedelta(days=1)) if form.until.data else None
            )
            filters = services.Filters(
                author_id=author.id if author else None,
                since=since,
                until=until,
                thread_id=thread.id if thread else None,
            )
            page = request.args.get("page", 1, type=int)
            try:
                parsed = services.parse_query(form.q.data)
                find = services.search if thread is not None else search_threads
                results = find(parsed, group=group, filters=filters, page=page)
            except services.QueryError as error:
                problem = error.message
            else:
                asked = Asked(parsed, form.q.data, group, author, since, until, page,
                              signed_in_user())  # fmt: skip
                sections = sections_for(asked)
    # What the links of the page keep (pagination, "n autres messages").
    kept = {
        name: value
        for name, value in (
            ("q", form.q.data),
            ("group", group.slug if group else None),
            ("author", form.author.data),
            ("since", request.args.get("since")),
            ("until", request.args.get("until")),
        )
        if value
    }
    return render_template(
        "search/results.html",
        form=form,
        group=group,
        thread=thread,
        results=results,
        problem=problem,
        per_page=services.PER_PAGE,
        kept=kept,
        sections=sections,
    )
