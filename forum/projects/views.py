"""A project's public page, a member's pledge, and the coordinators' pages."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from forum.extensions import csrf, db
from forum.forms import choices, form_status
from forum.permissions import LOGIN, can, refusal, require, require_visible, signed_in_user
from forum.projects import bp, checks, coordination, editing, figures, services
from forum.projects.forms import (
    AVAILABILITY_LABELS,
    STATUS_LABELS,
    FilterForm,
    MessageForm,
    PledgeForm,
    ProjectTextForm,
    StatusForm,
    add_blank_help_kind_rows,
    help_kind_edits,
    help_kind_rows,
    report_edit_error,
)
from forum.projects.models import Pledge, PledgeStatus, Project


def _project(slug: str) -> Project:
    return require_visible(services.load_project(slug), "project.view")


@bp.route("/projects/<slug>/")
def show_project(slug: str):
    """A project: its goal, pledge totals by form of help and commune, progress, news."""
    project = _project(slug)
    viewer = signed_in_user()
    news = figures.latest_news(project, viewer)
    return render_template(
        "projects/show.html",
        project=project,
        figures=figures.project_figures(project),
        families=figures.family_totals(project),
        news=news,
        news_thread=project.news_thread
        if project.news_thread is not None and can("thread.view", project.news_thread)
        else None,
        mine=services.current_pledge(viewer, project),
        coordinator=viewer is not None and can("project.see_pledges", project),
        editor=viewer is not None and can("project.edit_text", project),
        hours_min=figures.HOURS_MIN_PLEDGES,
    )


# --- A member's pledge --------------------------------------------------------------------


def _pledge_form(project: Project, pledge: Pledge | None) -> PledgeForm:
    form = PledgeForm(formdata=None if request.method == "GET" else request.form)
    form.help_kinds.choices = choices(
        (k.key, k.label) for k in services.offered_help_kinds(project, pledge)
    )
    communes = services.project_communes()
    form.commune.choices = choices(
        [("", _("Choose your commune"))] + [(c.insee, c.name) for c in communes]
    )
    if request.method == "GET" and pledge is not None:
        form.help_kinds.data = [k.key for k in pledge.help_kinds]
        form.hours_per_month.data = pledge.hours_per_month
        form.commune.data = pledge.commune.insee
        form.availability.data = pledge.availability
        form.threshold.data = pledge.threshold
        form.message.data = pledge.message
        form.show_name.data = pledge.show_name
    return form


@bp.route("/projects/<slug>/pledge", methods=["GET", "POST"])
def pledge(slug: str):
    """Make or change one's pledge."""
    project = _project(slug)
    reason = refusal(current_user, "project.pledge", project)
    if reason == LOGIN:
        require("project.pledge", project)  # to the sign-in page, and back here
    mine = services.current_pledge(current_user, project)
    if reason:
        # Closed project, unconfirmed address, suspended account: say why; a standing
        # pledge can still be withdrawn.
        problem = getattr(reason, "message", None) or _("You cannot pledge here.")
        return render_template(
            "projects/pledge.html", project=project, form=None, mine=mine, problem=problem
        ), 403
    form = _pledge_form(project, mine)
    if form.validate_on_submit():
        data = services.PledgeData(
            help_kinds=list(form.help_kinds.data or []),
            hours_per_month=form.hours_per_month.data,
            commune=form.commune.data,
            availability=list(form.availability.data or []),
            message=form.message.data or "",
            show_name=form.show_name.data,
            threshold=form.threshold.data,
        )
        try:
            saved, created = services.save_pledge(current_user, project, data)
        except services.PledgeError as exc:
            db.session.rollback()
            target = getattr(form, exc.field, None) if exc.field else None
            if target is not None:
                target.errors = [*target.errors, exc.message]
            else:
                form.form_errors.append(exc.message)
        else:
            db.session.commit()
            if created:
                flash(
                    _("Thank you: your pledge is recorded. A confirmation e-mail is on its way."),
                    "success",
                )
            else:
                flash(_("Your pledge is changed."), "success")
            if saved.is_waiting:
                flash(
                    _("It will count once %(num)s others have pledged too.", num=saved.threshold),
                    "info",
                )
            return redirect(url_for("projects.show_project", slug=project.slug))
    status = form_status()
    return render_template(
        "projects/pledge.html", project=project, form=form, mine=mine, problem=None
    ), status


@bp.route("/projects/<slug>/pledge/withdraw", methods=["POST"])
def withdraw(slug: str):
    """Withdraw one's pledge (its history stays)."""
    project = _project(slug)
    require("project.withdraw", project)
    if services.withdraw_pledge(current_user, project) is None:
        flash(_("You have no pledge to this project."), "info")
    else:
        db.session.commit()
        flash(_("Your pledge is withdrawn. You can pledge again at any time."), "info")
    return redirect(url_for("projects.show_project", slug=project.slug))


@bp.route("/projects/<slug>/pledge/confirm/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof (the member may not be signed in), and all
# it can do is say that its owner's pledge still stands.
def confirm_pledge(slug: str, token: str):
    """GET asks (link scanners open links); POST, one click, says the pledge still stands."""
    # The token first: a bad link is a 400 whatever it names (as the unsubscribe links).
    found = checks.read_check_token(token, slug)
    if found is None:
        project = services.load_project(slug)
        return render_template("projects/confirm.html", project=project, pledge=None), 400
    project = found.project
    with force_locale(found.user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if request.method == "POST":
            checks.confirm_pledge(found)
            db.session.commit()
            return render_template(
                "projects/confirm.html", project=project, pledge=found, done=True
            )
        return render_template("projects/confirm.html", project=project, pledge=found, done=False)


# --- Coordinators ---------------------------------------------------------------------------


def _filters(project: Project, source) -> tuple[coordination.PledgeFilters, FilterForm]:
    form = FilterForm(formdata=source)
    form.help.choices = choices([("", _("Any"))] + [(k.key, k.label) for k in project.help_kinds])
    communes = services.project_communes()
    form.commune.choices = choices([("", _("Any"))] + [(c.insee, c.name) for c in communes])
    keys = {k.key for k in project.help_kinds}
    inseecodes = {c.insee for c in communes}
    filters = coordination.PledgeFilters(
        help_kind=form.help.data if form.help.data in keys else "",
        commune=form.commune.data if form.commune.data in inseecodes else "",
        availability=form.availability.data
        if form.availability.data in AVAILABILITY_LABELS
        else "",
    )
    return filters, form


def _render_pledges(project: Project, filters, filter_form, message_form, status=200):
    return render_template(
        "projects/pledges.html",
        project=project,
        listing=coordination.pledges_page(project, filters, request.args.get("page", 1, type=int)),
        filters=filters,
        filter_form=filter_form,
        message_form=message_form,
        status_labels=STATUS_LABELS,
        availability_labels=AVAILABILITY_LABELS,
        status_form=StatusForm(formdata=None),
    ), status


@bp.route("/projects/<slug>/pledges")
def list_pledges(slug: str):
    """The pledges in detail, filtered: coordinators of a taking-part group and admins."""
    project = _project(slug)
    require("project.see_pledges", project)
    filters, filter_form = _filters(project, request.args)
    message_form = MessageForm(formdata=None, **filters.args())
    return _render_pledges(project, filters, filter_form, message_form)


@bp.route("/projects/<slug>/pledges.csv")
def export_pledges(slug: str):
    """The filtered pledges as CSV for a French spreadsheet."""
    project = _project(slug)
    require("project.see_pledges", project)
    filters, _form = _filters(project, request.args)
    headers = [
        _("Name"),
        _("E-mail"),
        _("Commune"),
        _("Forms of help"),
        _("Hours a month"),
        _("Availability"),
        _("Only if this many others"),
        _("Follow-through"),
        _("Message"),
        _("Pledged on"),
        _("Changed on"),
        _("Confirmed on"),
    ]
    body = coordination.pledges_csv(
        project, filters, headers, {**STATUS_LABELS, **AVAILABILITY_LABELS}
    )
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="engagements-{project.slug}.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/projects/<slug>/pledges/message", methods=["POST"])
def message_pledgers(slug: str):
    """Write to every pledger in the filter, through the outbox."""
    project = _project(slug)
    require("project.message_pledgers", project)
    filters, filter_form = _filters(project, request.form)
    form = MessageForm()
    if form.validate_on_submit():
        count = coordination.message_pledgers(
            current_user, project, filters, subject=form.subject.data, body=form.body.data
        )
        db.session.commit()
        flash(_("Your message is on its way to %(num)s people.", num=count), "success")
        return redirect(url_for("projects.list_pledges", slug=project.slug, **filters.args()))
    return _render_pledges(project, filters, filter_form, form, status=400)


@bp.route("/projects/<slug>/pledges/<int:pledge_id>/status", methods=["POST"])
def mark_pledge(slug: str, pledge_id: int):
    """A coordinator marks a pledge active, fulfilled or lapsed."""
    project = _project(slug)
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or pledge.project_id != project.id:
        abort(404)
    require("project.manage_pledge", pledge)
    form = StatusForm()
    back = url_for("projects.list_pledges", slug=project.slug)
    if not form.validate_on_submit():
        flash(_("Choose a status from the list."), "error")
        return redirect(back)
    try:
        services.mark_pledge(current_user, pledge, PledgeStatus(form.status.data))
    except services.PledgeError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(back)
    db.session.commit()
    flash(_("The pledge is marked “%(status)s”.", status=STATUS_LABELS[pledge.status]), "success")
    return redirect(back)


# --- Editing the text ------------------------------------------------------------------------


@bp.route("/projects/<slug>/edit", methods=["GET", "POST"])
def edit_project(slug: str):
    """The coordinators of a taking-part group edit the goal, description, forms of help."""
    project = _project(slug)
    require("project.edit_text", project)
    if request.method == "GET":
        form = ProjectTextForm(
            formdata=None,
            data={
                "goal": project.goal,
                "description": project.description,
                "help_kinds": help_kind_rows(project.help_kinds),
            },
        )
        add_blank_help_kind_rows(form)
    else:
        form = ProjectTextForm()
    if form.validate_on_submit():
        data = editing.ProjectText(
            goal=form.goal.data or "",
            description=form.description.data or "",
            help_kinds=help_kind_edits(form),
        )
        try:
            editing.update_project_text(current_user, project, data)
        except editing.ProjectEditError as exc:
            db.session.rollback()
            project = _project(slug)
            report_edit_error(form, exc)
        else:
            db.session.commit()
            flash(_("The project is updated."), "success")
            return redirect(url_for("projects.show_project", slug=project.slug))
    status = form_status()
    return render_template("projects/edit.html", project=project, form=form), status
