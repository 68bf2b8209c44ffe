"""Site administration of projects: the list, a new project, editing one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from forum.admin import bp
from forum.admin.forms import ProjectForm
from forum.extensions import db
from forum.forms import choices, form_status
from forum.groups.models import Group
from forum.projects import editing, services
from forum.projects.forms import (
    add_blank_help_kind_rows,
    help_kind_edits,
    help_kind_rows,
    report_edit_error,
)
from forum.projects.models import Project, ProjectStatus


def _status_labels() -> dict:
    return {
        ProjectStatus.OPEN.value: _("Open"),
        ProjectStatus.CLOSED.value: _("Closed"),
        ProjectStatus.FINISHED.value: _("Finished"),
    }


def _project_form(project: Project | None) -> ProjectForm:
    if request.method == "GET":
        data = {"help_kinds": help_kind_rows(project.help_kinds if project else [])}
        if project is not None:
            data.update(
                title=project.title,
                slug=project.slug,
                goal=project.goal,
                description=project.description,
                status=project.status,
                starts_on=project.starts_on,
                ends_on=project.ends_on,
                target_participants=project.target_participants,
                groups=[str(g.id) for g in project.groups],
                news_thread=project.news_thread_id,
            )
        form = ProjectForm(formdata=None, data=data)
        add_blank_help_kind_rows(form)
    else:
        form = ProjectForm()
    form.groups.choices = choices(
        (str(g.id), g.name) for g in db.session.scalars(select(Group).order_by(Group.name))
    )
    return form


def _data(form: ProjectForm) -> editing.ProjectData:
    return editing.ProjectData(
        title=form.title.data or "",
        slug=(form.slug.data or "").strip(),
        goal=form.goal.data or "",
        description=form.description.data or "",
        status=form.status.data,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        target_participants=form.target_participants.data or 0,
        group_ids=[int(g) for g in form.groups.data or () if str(g).isdigit()],
        news_thread_id=form.news_thread.data,
        help_kinds=help_kind_edits(form),
    )


@bp.route("/projects", methods=["GET"])
def list_projects():
    """Every project, with links to edit them."""
    rows = db.session.scalars(select(Project).order_by(Project.title)).all()
    return render_template("admin/projects.html", projects=rows, status_labels=_status_labels())


@bp.route("/projects/new", methods=["GET", "POST"])
def new_project():
    """Create a project: its text, status, dates, target, groups, forms of help, news."""
    form = _project_form(None)
    if form.validate_on_submit():
        try:
            project = editing.create_project_as(current_user, _data(form))
        except editing.ProjectEditError as exc:
            db.session.rollback()
            report_edit_error(form, exc)
        else:
            db.session.commit()
            flash(_("Project %(name)s created.", name=project.title), "success")
            return redirect(url_for("admin.list_projects"))
    status = form_status()
    return render_template("admin/project_edit.html", project=None, form=form), status


@bp.route("/projects/<slug>/edit", methods=["GET", "POST"])
def edit_project(slug: str):
    """Change everything about a project; retired forms of help keep their pledges."""
    project = services.load_project(slug)
    if project is None:
        abort(404)
    form = _project_form(project)
    if form.validate_on_submit():
        try:
            editing.update_project(current_user, project, _data(form))
        except editing.ProjectEditError as exc:
            db.session.rollback()
            project = services.load_project(slug)
            report_edit_error(form, exc)
        else:
            db.session.commit()
            flash(_("Project %(name)s updated.", name=project.title), "success")
            return redirect(url_for("admin.list_projects"))
    status = form_status()
    return render_template("admin/project_edit.html", project=project, form=form), status
