"""Search page."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from forum.extensions import db
from forum.forms import choices
from forum.groups.models import Group
from forum.permissions import can, require
from forum.search import bp, services
from forum.search.forms import SearchForm


@bp.route("/search")
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
    return render_template(
        "search/results.html",
        form=form,
        group=group,
        results=results,
        problem=problem,
        per_page=services.PER_PAGE,
    )
