"""Search page."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import select

from forum.extensions import db, limiter
from forum.forms import choices
from forum.groups.models import Group
from forum.permissions import can, require
from forum.search import bp, services
from forum.search.forms import SearchForm


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


@bp.route("/search")
@search_limit
def show_results():
    """Full-text search over threads and posts, everywhere or in one group (`?group=slug`)."""
    group = None
    slug = request.args.get("group", "").strip()
    if slug:
        group = db.first_or_404(select(Group).where(Group.slug == slug))
        require("group.view", group)
    form = SearchForm(formdata=request.args)
    groups = db.session.scalars(select(Group).order_by(Group.name))
    readable = [(g.slug, g.name) for g in groups if can("group.view", g)]
    form.group.choices = choices([("", _("All groups")), *readable])
    results = problem = None
    if form.q.data and form.q.data.strip() and form.validate():
        try:
            results = services.search(
                form.q.data, group=group, page=request.args.get("page", 1, type=int)
            )
        except services.QueryError as error:
            problem = error.message
    from forum.documents.search import search_documents
    from forum.permissions import signed_in_user

    # The docuthèque's matches, each shown only to whoever may see the document.
    document_hits = []
    if results is not None:
        document_hits = search_documents(form.q.data, signed_in_user(), group=group)
    return render_template(
        "search/results.html",
        document_hits=document_hits,
        form=form,
        group=group,
        results=results,
        problem=problem,
        per_page=services.PER_PAGE,
    )
