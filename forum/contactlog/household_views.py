"""The contact log's pages about one household: its contacts, needs, phases, referents and
hand-overs, its facts, closing, export and erasure.

They share the loaders, the 404 rule and `Cache-Control: no-store` of `views.py` (the
group's pages); like them, these forms keep no draft (a refused post shows the typed text
back on the resubmit page only).
"""

from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forum.contactlog import bp, casework, listing, matching, services
from forum.contactlog.forms import (
    CloseForm,
    ContactForm,
    HouseholdForm,
    NeedForm,
    PhaseForm,
    ReassignForm,
    user_ids,
)
from forum.contactlog.models import Household
from forum.contactlog.services import ContactLogError
from forum.contactlog.views import _back, _household, _labels, _show_error
from forum.extensions import db
from forum.forms import ActionForm, choices
from forum.permissions import can, signed_in_user


def _contact_form(household: Household, formdata=True, keepers=None) -> ContactForm:
    form = ContactForm() if formdata else ContactForm(formdata=None)
    viewer = signed_in_user()
    if keepers is None:
        keepers = listing.group_keepers(household.group)
    form.participants.choices = choices(
        (str(u.id), u.display_name) for u in keepers if viewer is None or u.id != viewer.id
    )
    if not formdata:
        form.happened_on.data = services.today()
    return form


def _render_household(household: Household, contact_form=None, status: int = 200, **forms):
    viewer = signed_in_user()
    page = listing.household_page(household, viewer, request.args.get("page", 1, type=int))
    keepers = listing.group_keepers(household.group)  # once: both forms offer them
    reassign_form = None
    if can("household.reassign", household, viewer):
        reassign_form = forms.get("reassign_form") or ReassignForm(
            formdata=None, referents=[str(u.id) for u in household.referents]
        )
        reassign_form.referents.choices = choices((str(u.id), u.display_name) for u in keepers)
    open_kinds = [n.kind for n in page.needs if n.is_open]
    failed = forms.get("helper_form")  # a message refused: it comes back as typed
    match = failed.need.data if failed is not None else request.args.get("match")
    helpers = helper_forms = None
    if match in open_kinds:
        from forum.contactlog.helper_views import helper_forms_for

        helpers = matching.helpers_for(household, match)
        helper_forms = helper_forms_for(helpers, match, failed)
    html = render_template(
        "contactlog/show.html",
        household=household,
        group=household.group,
        page=page,
        form=contact_form or _contact_form(household, formdata=False, keepers=keepers),
        need_form=forms.get("need_form") or NeedForm(formdata=None),
        phase_form=forms.get("phase_form") or PhaseForm(formdata=None, started_on=services.today()),
        close_form=CloseForm(formdata=None),
        edit_form=forms.get("edit_form"),
        reassign_form=reassign_form,
        helpers=helpers,
        helper_forms=helper_forms,
        match=match,
        action_form=ActionForm(formdata=None),
        labels=_labels(),
    )
    # The view is recorded and committed once the page is rendered (and before it is sent:
    # no page without its audit entry). Committing earlier would expire every row loaded
    # and make the page load the household and its group again.
    services.record_view(viewer, household)
    db.session.commit()
    return html, status


@bp.route("/households/<public_id>")
def show_household(public_id: str):
    """One household: hand-over notes first, then its contacts, needs and path."""
    household = _household(public_id)
    edit_form = None
    if request.args.get("edit") == "1":
        edit_form = HouseholdForm(formdata=None, obj=household)
    return _render_household(household, edit_form=edit_form)


@bp.route("/households/<public_id>/contacts", methods=["POST"])
def log_contact(public_id: str):
    """Log a contact or a failed attempt."""
    household = _household(public_id, "household.log_contact")
    form = _contact_form(household)
    if form.validate():
        try:
            casework.log_contact(
                signed_in_user(),
                household,
                casework.ContactData(
                    happened_on=form.happened_on.data,
                    channel=form.channel.data,
                    outcome=form.outcome.data,
                    summary=form.summary.data or "",
                    agreed=form.agreed.data or "",
                    needs=list(form.needs.data or []),
                    next_contact_on=form.next_contact_on.data,
                    participant_ids=user_ids(form.participants.data),
                ),
            )
        except ContactLogError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The contact is logged."), "success")
            return _back(household)
    return _render_household(household, form, status=400)


@bp.route("/households/<public_id>/edit", methods=["POST"])
def edit_household(public_id: str):
    """Change the household's facts."""
    household = _household(public_id, "household.edit")
    form = HouseholdForm()
    if form.validate():
        try:
            services.update_household(signed_in_user(), household, form.household_data())
        except ContactLogError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The household is updated."), "success")
            return _back(household)
    return _render_household(household, status=400, edit_form=form)


@bp.route("/households/<public_id>/needs", methods=["POST"])
def add_need(public_id: str):
    """Open a need by hand."""
    household = _household(public_id, "household.edit")
    form = NeedForm()
    if form.validate():
        try:
            casework.add_need(signed_in_user(), household, form.kind.data, form.details.data or "")
        except ContactLogError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            return _back(household, "#needs")
    return _render_household(household, status=400, need_form=form)


@bp.route("/households/<public_id>/needs/<int:need_id>/resolve", methods=["POST"])
def resolve_need(public_id: str, need_id: int):
    """Mark a need resolved."""
    household = _household(public_id, "household.edit")
    if ActionForm().validate():
        try:
            casework.resolve_need(signed_in_user(), household, need_id)
        except ContactLogError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
        else:
            db.session.commit()
    return _back(household, "#needs")


@bp.route("/households/<public_id>/phases", methods=["POST"])
def add_phase(public_id: str):
    """A new step of the household's path."""
    household = _household(public_id, "household.edit")
    form = PhaseForm()
    if form.validate():
        try:
            casework.add_phase(signed_in_user(), household, form.phase.data, form.started_on.data)
        except ContactLogError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            return _back(household, "#path")
    return _render_household(household, status=400, phase_form=form)


@bp.route("/households/<public_id>/close", methods=["POST"])
def close_household(public_id: str):
    """End the follow-up (or follow again with `reopen`)."""
    household = _household(public_id, "household.edit")
    form = CloseForm()
    if request.form.get("reopen") == "1" and ActionForm().validate():
        services.reopen_household(signed_in_user(), household)
        db.session.commit()
    elif form.validate():
        services.close_household(signed_in_user(), household, form.reason.data)
        db.session.commit()
        flash(_("The follow-up is closed."), "success")
    return _back(household)


@bp.route("/households/<public_id>/referents", methods=["POST"])
def reassign(public_id: str):
    """Coordinators: the household's referents, with a hand-over note."""
    household = _household(public_id, "household.reassign")
    form = ReassignForm()
    form.referents.choices = choices(
        (str(u.id), u.display_name) for u in listing.group_keepers(household.group)
    )
    if form.validate():
        try:
            casework.reassign(
                signed_in_user(),
                household,
                referent_ids=user_ids(form.referents.data),
                note=form.note.data or "",
            )
        except ContactLogError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The referents are saved."), "success")
            return _back(household)
    return _render_household(household, status=400, reassign_form=form)


@bp.route("/households/<public_id>/handovers/<int:handover_id>/read", methods=["POST"])
def read_handover(public_id: str, handover_id: int):
    """The new referent has read the hand-over note."""
    household = _household(public_id)
    if ActionForm().validate():
        try:
            casework.mark_handover_read(signed_in_user(), household, handover_id)
        except ContactLogError:
            db.session.rollback()
            abort(404)
        db.session.commit()
    return _back(household)


@bp.route("/households/<public_id>/export.json")
def export_household(public_id: str):
    """The household's whole record, as JSON (audit-logged)."""
    household = _household(public_id, "household.export")
    record = services.export_household(signed_in_user(), household)
    db.session.commit()
    body = json.dumps(record, ensure_ascii=False, indent=2)
    response = Response(body, content_type="application/json; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="menage-{household.public_id}.json"'
    )
    return response


@bp.route("/households/<public_id>/erase", methods=["POST"])
def erase_household(public_id: str):
    """Erase the household and everything recorded about it (the family's request)."""
    household = _household(public_id, "household.erase")
    group = household.group
    if not ActionForm().validate() or request.form.get("confirm") != "1":
        flash(_("Tick the box to confirm the erasure."), "error")
        return _back(household, "#erase")
    services.erase_household(signed_in_user(), household)
    db.session.commit()
    flash(_("The household's record is erased."), "success")
    return redirect(url_for("contactlog.list_households", slug=group.slug), code=303)
