"""Writing to a pledger who offered the help a household's need calls for (the household
page's "Who could help?"), through the site."""

from __future__ import annotations

from flask import flash
from flask_babel import gettext as _
from wtforms.fields.core import Label

from forum.contactlog import bp, matching
from forum.contactlog.forms import HelperMessageForm
from forum.contactlog.household_views import _render_household
from forum.contactlog.services import ContactLogError
from forum.contactlog.views import _back, _household, _show_error
from forum.extensions import db
from forum.permissions import signed_in_user


def _own_ids(form: HelperMessageForm, pledge_id: int | str) -> HelperMessageForm:
    """One form per helper on the page: their fields get ids of their own, so that each
    label names its own field."""
    for field in (form.body, form.reply_by_email):
        field.id = f"{field.name}-{pledge_id}"
        field.label = Label(field.id, field.label.text)
    return form


def helper_forms_for(helpers, need: str, failed: HelperMessageForm | None) -> dict:
    """{pledge_id: its form}: empty ones, and the refused one with what was typed."""
    forms = {}
    for helper in helpers:
        if failed is not None and failed.pledge_id.data == str(helper.pledge_id):
            forms[helper.pledge_id] = _own_ids(failed, helper.pledge_id)
        else:
            form = HelperMessageForm(formdata=None, need=need, pledge_id=str(helper.pledge_id))
            forms[helper.pledge_id] = _own_ids(form, helper.pledge_id)
    return forms


@bp.route("/households/<public_id>/helpers", methods=["POST"])
def write_to_helper(public_id: str):
    """Write to a pledger who offered the help a need calls for, through the site. A
    refused message comes back on the page, as typed, with the reason."""
    household = _household(public_id, "household.log_contact")
    form = HelperMessageForm()
    if form.validate():
        try:
            pledge_id = int(form.pledge_id.data)
        except (TypeError, ValueError):
            pledge_id = 0
        try:
            sent = matching.write_to_helper(
                signed_in_user(),
                household,
                form.need.data,
                pledge_id,
                body=form.body.data,
                reply_by_email=bool(form.reply_by_email.data),
            )
        except ContactLogError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            if sent:
                db.session.commit()
                flash(_("Your message is on its way."), "success")
                return _back(household)
            flash(_("This member cannot be written to any more."), "error")
    return _render_household(household, status=400, helper_form=form)
