"""Site administration: communes, groups, roles, suspensions."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.admin import bp
from forum.admin.forms import CommuneForm, GroupForm, RoleForm, SuspendForm
from forum.extensions import db
from forum.forms import choices
from forum.groups import services as groups
from forum.groups.models import Commune, Group, Role
from forum.permissions import require


@bp.before_request
def _only_admins():
    require("site.administer")


def _choices(commune_form: GroupForm | None = None, role_form: RoleForm | None = None):
    communes = db.session.scalars(select(Commune).order_by(Commune.name)).all()
    all_groups = db.session.scalars(select(Group).order_by(Group.name)).all()
    if commune_form is not None:
        commune_form.commune.choices = choices(
            [("", _("Whole territory (no single commune)"))]
            + [(c.insee, f"{c.name} ({c.insee})") for c in communes if not c.is_archived]
        )
    if role_form is not None:
        role_form.group.choices = choices([(g.slug, g.name) for g in all_groups])
    return communes, all_groups


def _dashboard(status: int = 200, **bound):
    forms = {
        "commune_form": bound.get("commune_form") or CommuneForm(formdata=None),
        "group_form": bound.get("group_form") or GroupForm(formdata=None),
        "role_form": bound.get("role_form") or RoleForm(formdata=None),
        "suspend_form": bound.get("suspend_form") or SuspendForm(formdata=None),
    }
    communes, all_groups = _choices(forms["group_form"], forms["role_form"])
    user_count = db.session.scalar(select(func.count(User.id)).where(User.deleted_at.is_(None)))
    return (
        render_template(
            "admin/index.html",
            communes=communes,
            groups=all_groups,
            user_count=user_count,
            **forms,
        ),
        status,
    )


@bp.route("/")
def index():
    """The administration dashboard."""
    return _dashboard()


@bp.route("/communes", methods=["POST"])
def create_commune():
    """Add a commune."""
    form = CommuneForm()
    if form.validate_on_submit():
        try:
            groups.create_commune(
                insee=form.insee.data, name=form.name.data, department=form.department.data
            )
        except groups.DuplicateError:
            form.insee.errors.append(_("A commune with this INSEE code already exists."))
        else:
            db.session.commit()
            flash(_("Commune %(name)s added.", name=form.name.data), "success")
            return redirect(url_for("admin.index"))
    return _dashboard(400, commune_form=form)


@bp.route("/groups", methods=["POST"])
def create_group():
    """Add a local group."""
    form = GroupForm()
    _choices(commune_form=form)
    if form.validate_on_submit():
        commune = (
            db.session.scalar(select(Commune).where(Commune.insee == form.commune.data))
            if form.commune.data
            else None
        )
        try:
            group = groups.create_group(
                name=form.name.data,
                slug=form.slug.data or None,
                commune=commune,
                description=form.description.data or "",
            )
        except groups.DuplicateError:
            form.slug.errors.append(_("Another group already uses this address."))
        else:
            db.session.commit()
            flash(_("Group %(name)s created.", name=group.name), "success")
            return redirect(url_for("groups.show_group", slug=group.slug))
    return _dashboard(400, group_form=form)


@bp.route("/roles", methods=["POST"])
def set_role():
    """Give or take back a member's role in a group."""
    form = RoleForm()
    _choices(role_form=form)
    if form.validate_on_submit():
        user = accounts.find_by_email(form.email.data)
        group = db.session.scalar(select(Group).where(Group.slug == form.group.data))
        if user is None:
            form.email.errors.append(_("No account uses this address."))
        elif group is not None:
            role = None if form.role.data == "none" else Role(form.role.data)
            groups.set_role(user, group, role, actor=current_user)
            db.session.commit()
            flash(_("Role updated for %(name)s.", name=user.display_name), "success")
            return redirect(url_for("admin.index"))
    return _dashboard(400, role_form=form)


@bp.route("/users/suspension", methods=["POST"])
def suspension():
    """Suspend an account or lift its suspension."""
    form = SuspendForm()
    if form.validate_on_submit():
        user = accounts.find_by_email(form.email.data)
        if user is None:
            form.email.errors.append(_("No account uses this address."))
        else:
            accounts.set_suspended(user, form.action.data == "suspend", actor=current_user)
            db.session.commit()
            flash(_("Account of %(name)s updated.", name=user.display_name), "success")
            return redirect(url_for("admin.index"))
    return _dashboard(400, suspend_form=form)
