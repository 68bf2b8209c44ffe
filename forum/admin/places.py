"""Site administration of places: editing and archiving communes and groups."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.admin import bp
from forum.admin.forms import ArchiveForm, CommuneEditForm, GroupEditForm
from forum.extensions import db
from forum.forms import choices
from forum.groups import services as groups
from forum.groups.models import Commune, Group
from forum.groups.services import group_or_404


def _commune_or_404(insee: str) -> Commune:
    return db.first_or_404(select(Commune).where(Commune.insee == insee))


def _commune_choices(form: GroupEditForm, current: Commune | None) -> None:
    communes = db.session.scalars(select(Commune).order_by(Commune.name)).all()
    form.commune.choices = choices(
        [("", _("Whole territory (no single commune)"))]
        + [
            (c.insee, f"{c.name} ({c.insee})")
            for c in communes
            if not c.is_archived or (current is not None and c.id == current.id)
        ]
    )


@bp.route("/groups", methods=["GET"])
def list_groups():
    """Every group, archived ones marked, with links to edit them."""
    rows = db.session.scalars(
        select(Group).options(joinedload(Group.commune)).order_by(Group.name)
    ).all()
    return render_template(
        "admin/groups.html", groups=rows, archive_form=ArchiveForm(formdata=None)
    )


@bp.route("/groups/<slug>/edit", methods=["GET", "POST"])
def edit_group(slug: str):
    """Change a group's name, commune and description."""
    group = group_or_404(slug)
    form = GroupEditForm(obj=group)
    _commune_choices(form, group.commune)
    if not form.is_submitted():
        form.commune.data = group.commune.insee if group.commune else ""
    if form.validate_on_submit():
        commune = (
            db.session.scalar(select(Commune).where(Commune.insee == form.commune.data))
            if form.commune.data
            else None
        )
        groups.update_group(
            current_user,
            group,
            name=form.name.data,
            commune=commune,
            description=form.description.data or "",
        )
        db.session.commit()
        flash(_("Group %(name)s updated.", name=group.name), "success")
        return redirect(url_for("admin.list_groups"))
    status = 400 if form.errors else 200
    return render_template("admin/group_edit.html", group=group, form=form), status


@bp.route("/groups/<slug>/archive", methods=["POST"])
def archive_group(slug: str):
    """Archive a group (read-only, still public), or bring it back."""
    group = group_or_404(slug)
    form = ArchiveForm()
    if not form.validate_on_submit():
        abort(400)
    archived = form.action.data == "archive"
    groups.set_group_archived(current_user, group, archived)
    db.session.commit()
    if archived:
        flash(_("Group %(name)s archived: it is read-only.", name=group.name), "success")
    else:
        flash(_("Group %(name)s is open again.", name=group.name), "success")
    return redirect(url_for("admin.list_groups"))


@bp.route("/communes", methods=["GET"])
def list_communes():
    """Every commune, archived ones marked, with links to edit them."""
    rows = db.session.scalars(select(Commune).order_by(Commune.name)).all()
    return render_template(
        "admin/communes.html", communes=rows, archive_form=ArchiveForm(formdata=None)
    )


@bp.route("/communes/<insee>/edit", methods=["GET", "POST"])
def edit_commune(insee: str):
    """Change a commune's name and department."""
    commune = _commune_or_404(insee)
    form = CommuneEditForm(obj=commune)
    if form.validate_on_submit():
        groups.update_commune(
            current_user, commune, name=form.name.data, department=form.department.data
        )
        db.session.commit()
        flash(_("Commune %(name)s updated.", name=commune.name), "success")
        return redirect(url_for("admin.list_communes"))
    status = 400 if form.errors else 200
    return render_template("admin/commune_edit.html", commune=commune, form=form), status


@bp.route("/communes/<insee>/archive", methods=["POST"])
def archive_commune(insee: str):
    """Archive a commune (still shown, marked), or bring it back."""
    commune = _commune_or_404(insee)
    form = ArchiveForm()
    if not form.validate_on_submit():
        abort(400)
    archived = form.action.data == "archive"
    groups.set_commune_archived(current_user, commune, archived)
    db.session.commit()
    if archived:
        flash(_("Commune %(name)s archived.", name=commune.name), "success")
    else:
        flash(_("Commune %(name)s is open again.", name=commune.name), "success")
    return redirect(url_for("admin.list_communes"))
