"""The contact log's pages for a group (its households, the overdue threshold, a new
household, the keepers, the consent sheet) and what every contact-log page shares: the
loaders, the 404 rule, `no-store`. One household's pages are in `household_views.py`.

Only the group's keepers and coordinators reach them; everyone else, visitors and site
admins included, gets 404. Every page sends `Cache-Control: no-store`. These forms keep no
draft when a session ends (the families' words never land in the drafts table): a refused
post shows the typed text back on the resubmit page only.
"""

from __future__ import annotations

import re

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from forum.contactlog import bp, listing, services
from forum.contactlog.forms import (
    CHANNEL_LABELS,
    CLOSE_LABELS,
    CONSENT_LABELS,
    LIVING_LABELS,
    NEED_LABELS,
    OUTCOME_LABELS,
    PHASE_LABELS,
    KeeperForm,
    NewHouseholdForm,
    ThresholdForm,
)
from forum.contactlog.models import Household
from forum.contactlog.services import ContactLogError
from forum.extensions import db
from forum.forms import ActionForm, form_status
from forum.groups.models import Group, Role
from forum.permissions import can, refusal, signed_in_user

CONSENT_LANGUAGES = ("fr", "ro", "bg")
_PRIVATE_PATH = re.compile(r"^/(households/|groups/[^/]+/households(/|$))")


@bp.after_app_request
def _no_store(response):
    """Nothing of the contact log is kept by a browser or a proxy (the back button, a
    shared computer): this runs after the site's own cache policy and overrides it."""
    if _PRIVATE_PATH.match(request.path):
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("ETag", None)
    return response


class _Said(dict):
    """A kind of labels (lazy strings), each translated on first use and then kept for
    the request: a household page names the channel of each of its 20 contacts."""

    def __init__(self, source: dict) -> None:
        super().__init__()
        self.source = source

    def __missing__(self, key):
        text = self[key] = str(self.source[key])
        return text


def _labels() -> dict:
    return {
        "living": _Said(LIVING_LABELS),
        "channel": _Said(CHANNEL_LABELS),
        "outcome": _Said(OUTCOME_LABELS),
        "need": _Said(NEED_LABELS),
        "phase": _Said(PHASE_LABELS),
        "consent": _Said(CONSENT_LABELS),
        "close": _Said(CLOSE_LABELS),
    }


def _deny_unless(action: str, obj) -> None:
    """404 for anyone the rule refuses, whatever the reason (visitors included): nobody
    outside the keepers learns that a contact log or a household exists."""
    reason = refusal(signed_in_user(), action, obj)
    if reason is not None:
        abort(404)


def _group(slug: str, action: str = "contactlog.view") -> Group:
    group = db.session.scalar(select(Group).where(Group.slug == slug))
    if group is None:
        abort(404)
    _deny_unless(action, group)
    return group


def _household(public_id: str, action: str = "household.view") -> Household:
    """The one loader: 404 when missing, of another group, or not for this user."""
    household = services.load_household(public_id)
    if household is None:
        abort(404)
    _deny_unless(action, household)
    return household


def _show_error(form, exc: ContactLogError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and isinstance(field.errors, list | tuple):
        field.errors = [*field.errors, exc.message]
    else:
        flash(str(exc.message), "error")


def _back(household: Household, anchor: str = ""):
    return redirect(
        url_for("contactlog.show_household", public_id=household.public_id) + anchor, code=303
    )


# --- The group's contact log ------------------------------------------------------------


@bp.route("/groups/<slug>/households/")
def list_households(slug: str):
    """The group's households, overdue first; `?mine=1` the viewer's own."""
    group = _group(slug)
    viewer = signed_in_user()
    mine = request.args.get("mine") == "1"
    closed = request.args.get("closed") == "1"
    households = listing.households_page(
        group, viewer, request.args.get("page", 1, type=int), mine=mine, closed=closed
    )
    coordinator = can("contactlog.indicators", group, viewer)
    return render_template(
        "contactlog/list.html",
        group=group,
        households=households,
        needs=listing.open_needs_by_kind(group),
        indicators=listing.indicators([group.id]) if coordinator else None,
        coordinator=coordinator,
        threshold_form=ThresholdForm(formdata=None, days=households.threshold),
        closed=closed,
        labels=_labels(),
    )


@bp.route("/groups/<slug>/households/threshold", methods=["POST"])
def set_threshold(slug: str):
    """Coordinators: after how many days without contact a household is overdue."""
    group = _group(slug, "contactlog.manage_keepers")
    form = ThresholdForm()
    if form.validate():
        services.set_overdue_days(signed_in_user(), group, form.days.data)
        db.session.commit()
        flash(_("The threshold is saved."), "success")
    else:
        flash(_("Give a number of days between 1 and 365."), "error")
    return redirect(url_for("contactlog.list_households", slug=group.slug), code=303)


@bp.route("/groups/<slug>/households/new", methods=["GET", "POST"])
def new_household(slug: str):
    """Open a household's record, with the family's consent."""
    group = _group(slug, "contactlog.add_household")
    form = NewHouseholdForm()
    if form.validate_on_submit():
        try:
            household = services.create_household(
                signed_in_user(),
                group,
                form.household_data(
                    consent=bool(form.consent.data),
                    consent_on=form.consent_on.data,
                    consent_how=form.consent_how.data or "",
                ),
            )
        except ContactLogError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The household is recorded."), "success")
            return _back(household)
    elif request.method == "GET":
        form.consent_on.data = services.today()
        form.adults.data = form.adults.data if form.adults.data is not None else 1
        form.children.data = 0
        form.children_in_school.data = 0
    status = form_status()
    return render_template("contactlog/new.html", group=group, form=form), status


@bp.route("/groups/<slug>/households/consent-sheet")
def consent_sheet(slug: str):
    """The consent sheet to print (one A4 page) in French, Romanian or Bulgarian."""
    group = _group(slug)
    lang = request.args.get("lang", "fr")
    if lang not in CONSENT_LANGUAGES:
        lang = "fr"
    return render_template(
        f"contactlog/consent_{lang}.html",
        group=group,
        lang=lang,
        languages=CONSENT_LANGUAGES,
        retention_months=current_app.config["CONTACTLOG_RETENTION_MONTHS"],
    )


@bp.route("/groups/<slug>/households/keepers", methods=["GET", "POST"])
def keepers(slug: str):
    """Coordinators grant and withdraw the keeper role (audit-logged by set_role)."""
    from forum.groups import services as groups

    group = _group(slug, "contactlog.manage_keepers")
    form = KeeperForm()
    if request.method == "POST":
        if form.validate():
            members = {u.id: (u, role) for u, role in listing.group_members(group)}
            try:
                user_id = int(form.user_id.data)
            except (TypeError, ValueError):
                user_id = 0
            entry = members.get(user_id)
            if entry is None or entry[1] == Role.COORDINATOR.value:
                flash(_("Choose a member of the group who is not a coordinator."), "error")
            else:
                user, _role = entry
                grant = form.grant.data == "1"
                groups.set_role(
                    user, group, Role.KEEPER if grant else Role.MEMBER, actor=signed_in_user()
                )
                # Withdrawn, they stop being a referent (forum/contactlog/listeners.py).
                db.session.commit()
                flash(
                    _("%(name)s now keeps the contact log.", name=user.display_name)
                    if grant
                    else _("%(name)s no longer keeps the contact log.", name=user.display_name),
                    "success",
                )
                return redirect(url_for("contactlog.keepers", slug=group.slug), code=303)
        else:
            flash(_("Your session expired before you sent this form: try again."), "error")
    return render_template(
        "contactlog/keepers.html",
        group=group,
        members=listing.group_members(group),
        action_form=ActionForm(formdata=None),
    )
