"""Site administration of people: the user list, suspensions, the site-wide report queue."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.admin import bp
from forum.admin.forms import UserSuspensionForm
from forum.discussions import moderation
from forum.discussions.models import Post
from forum.extensions import db
from forum.groups.models import Membership
from forum.pagination import PageOf, clamp_page

USERS_PER_PAGE = 50
REPORTS_SHOWN = 200
QUERY_MAX = 100


def _page() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 7 else 1


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_users(query: str, page: int) -> tuple[PageOf, dict[int, int]]:
    """One page of live accounts matching `query` (e-mail, name or handle, anywhere in
    them, case-insensitive), by name; with each one's number of posts."""
    where = [User.deleted_at.is_(None)]
    if query:
        like = f"%{_escape_like(query.lower())}%"
        where.append(
            or_(
                func.lower(User.email).like(like, escape="\\"),
                func.lower(User.display_name).like(like, escape="\\"),
                func.lower(User.username).like(like, escape="\\"),
            )
        )
    total = db.session.scalar(select(func.count(User.id)).where(*where)) or 0
    page, _pages = clamp_page(page, total, USERS_PER_PAGE)
    users = db.session.scalars(
        select(User)
        .options(selectinload(User.memberships).joinedload(Membership.group))
        .where(*where)
        .order_by(func.lower(User.display_name), User.id)
        .limit(USERS_PER_PAGE)
        .offset((page - 1) * USERS_PER_PAGE)
    ).all()
    ids = [u.id for u in users]
    counts = (
        dict(
            db.session.execute(
                select(Post.author_id, func.count(Post.id))
                .where(Post.author_id.in_(ids), Post.deleted_at.is_(None))
                .group_by(Post.author_id)
            ).all()
        )
        if ids
        else {}
    )
    return PageOf.build(list(users), page, total, USERS_PER_PAGE), counts


@bp.route("/users")
def users():
    """Every account, searchable, with groups, roles, posts and last sign-in."""
    query = " ".join(request.args.get("q", "").split())[:QUERY_MAX]
    listing, post_counts = search_users(query, _page())
    return render_template(
        "admin/users.html",
        listing=listing,
        post_counts=post_counts,
        query=query,
        form=UserSuspensionForm(formdata=None),
    )


@bp.route("/users/<int:user_id>/suspension", methods=["POST"])
def suspend_user(user_id: int):
    """Suspend an account with a reason, or lift its suspension."""
    user = db.get_or_404(User, user_id)
    if user.is_deleted:
        abort(404)
    form = UserSuspensionForm()
    if form.validate_on_submit():
        if user.id == current_user.id and form.action.data == "suspend":
            form.action.errors.append(_("You cannot suspend your own account."))
        else:
            accounts.set_suspended(
                user, form.action.data == "suspend", actor=current_user, reason=form.reason.data
            )
            db.session.commit()
            flash(_("Account of %(name)s updated.", name=user.display_name), "success")
            return redirect(url_for("admin.users", q=request.args.get("q") or None))
    return render_template("admin/suspend.html", user=user, form=form), 400


@bp.route("/reports")
def reports():
    """The open reports of every group, oldest first."""
    return render_template(
        "admin/reports.html", flags=moderation.open_flags(None, limit=REPORTS_SHOWN)
    )
