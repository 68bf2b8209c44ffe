"""The guide's pages: a commune's guide, its print page and exports, its history; the
forms to propose a change; the reviewers' queue and their decisions."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from forum.db import utcnow
from forum.extensions import db
from forum.forms import ActionForm, form_status
from forum.groups.models import Commune
from forum.guide import bp, exports, services
from forum.guide.forms import FIELD_LABELS, KIND_LABELS, EntryForm, RefuseForm, RemovalForm
from forum.guide.models import Proposal, Resource
from forum.guide.phones import tel_uri
from forum.guide.rules import reviews
from forum.guide.services import GuideError
from forum.permissions import can, require, require_visible, signed_in_user


def _commune(insee: str) -> Commune:
    return db.first_or_404(select(Commune).where(Commune.insee == insee))


def _entry(entry_id: int, action: str) -> Resource:
    resource = db.session.scalar(
        select(Resource).where(Resource.id == entry_id, Resource.removed_at.is_(None))
    )
    return require_visible(resource, action)


def _proposal(proposal_id: int, action: str = "guide.view_proposal") -> Proposal:
    return require_visible(services.load_proposal(proposal_id), action)


def _show_error(form, exc: GuideError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and isinstance(field.errors, list | tuple):
        field.errors = [*field.errors, exc.message]
    else:
        flash(str(exc.message), "error")


def _paris_days():
    """`day(moment)`: the long date in Europe/Paris, formatted once per day shown (a guide
    of hundreds of entries checked on a few days formats a few dates, not hundreds)."""
    from flask_babel import format_date, to_user_timezone

    formatted: dict = {}

    def day(moment) -> str:
        local = to_user_timezone(moment).date()
        if local not in formatted:
            formatted[local] = format_date(local, "long")
        return formatted[local]

    return day


def _context() -> dict:
    return {
        "kind_labels": KIND_LABELS,
        "field_labels": FIELD_LABELS,
        "tel_uri": tel_uri,
        "cutoff": services.stale_cutoff(),
        "day": _paris_days(),
    }


# --- Reading -----------------------------------------------------------------------------


@bp.route("/communes/<insee>/guide")
def show_guide(insee: str):
    """The commune's solidarity guide: its entries by kind, those to check marked."""
    commune = _commune(insee)
    require("guide.view", commune)
    viewer = signed_in_user()
    reviewer = viewer is not None and reviews(viewer, commune)
    return render_template(
        "guide/show.html",
        commune=commune,
        entries=services.guide_entries(commune),
        reviewer=reviewer,
        pending=services.pending_count(commune) if reviewer else 0,
        mine=services.my_pending(viewer, commune),
        action_form=ActionForm(formdata=None) if reviewer else None,
        **_context(),
    )


@bp.route("/communes/<insee>/guide/print")
def print_guide(insee: str):
    """The guide on one or two A4 sheets: large type, no navigation."""
    commune = _commune(insee)
    require("guide.view", commune)
    return render_template(
        "guide/print.html",
        commune=commune,
        entries=services.guide_entries(commune),
        printed_at=utcnow(),
        **_context(),
    )


def _export(commune: Commune) -> tuple[list[str], list[list[str]]]:
    headers = [
        _("Kind of service"),
        _("Name"),
        _("Address"),
        _("Opening hours"),
        _("Phone"),
        _("Languages spoken"),
        _("Conditions"),
        _("Last checked on"),
        _("Checked by"),
        _("To check"),
    ]
    body = exports.rows(
        services.guide_entries(commune), services.stale_cutoff(), KIND_LABELS, _("yes")
    )
    return headers, body


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/communes/<insee>/guide.csv")
def export_csv(insee: str):
    """The guide as CSV for a French spreadsheet."""
    commune = _commune(insee)
    require("guide.view", commune)
    headers, body = _export(commune)
    response = _download(
        exports.to_csv(headers, body), "text/csv", f"guide-solidarite-{commune.insee}.csv"
    )
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    return response


@bp.route("/communes/<insee>/guide.ods")
def export_ods(insee: str):
    """The guide as an OpenDocument spreadsheet, for the town hall."""
    commune = _commune(insee)
    require("guide.view", commune)
    headers, body = _export(commune)
    title = _("Solidarity guide of %(commune)s", commune=commune.name)
    return _download(
        exports.to_ods(title, commune.name, headers, body),
        exports.ODS_MIMETYPE,
        f"guide-solidarite-{commune.insee}.ods",
    )


@bp.route("/communes/<insee>/guide/history")
def show_history(insee: str):
    """Every change made to the commune's guide: who, when, what changed."""
    commune = _commune(insee)
    require("guide.view", commune)
    listing = services.history(commune, request.args.get("page", 1, type=int))
    return render_template("guide/history.html", commune=commune, listing=listing, **_context())


# --- Proposing ---------------------------------------------------------------------------


def _proposed(proposal: Proposal, commune: Commune):
    if proposal.status == "accepted":
        flash(_("Your change is in the guide."), "success")
    else:
        flash(
            _("Thank you: the coordinators of the commune's groups will read your proposal."),
            "success",
        )
    return redirect(url_for("guide.show_guide", insee=commune.insee), code=303)


@bp.route("/communes/<insee>/guide/propose", methods=["GET", "POST"])
def propose_entry(insee: str):
    """Propose a new entry for the commune's guide."""
    commune = _commune(insee)
    require("guide.propose", commune)
    form = EntryForm()
    if form.validate_on_submit():
        try:
            proposal = services.propose_new(
                current_user, commune, form.values(), form.note.data or ""
            )
        except GuideError as exc:
            _show_error(form, exc)
        else:
            db.session.commit()
            return _proposed(proposal, commune)
    status = form_status()
    return render_template(
        "guide/propose.html", commune=commune, form=form, entry=None, **_context()
    ), status


@bp.route("/guide/entries/<int:entry_id>/edit", methods=["GET", "POST"])
def propose_edit(entry_id: int):
    """Propose new values for an entry (the form starts from the guide's)."""
    entry = _entry(entry_id, "guide.propose_change")
    form = EntryForm(obj=entry) if request.method == "GET" else EntryForm()
    if form.validate_on_submit():
        try:
            proposal = services.propose_edit(
                current_user, entry, form.values(), form.note.data or ""
            )
        except GuideError as exc:
            _show_error(form, exc)
        else:
            db.session.commit()
            return _proposed(proposal, entry.commune)
    status = form_status()
    return render_template(
        "guide/propose.html", commune=entry.commune, form=form, entry=entry, **_context()
    ), status


@bp.route("/guide/entries/<int:entry_id>/remove", methods=["GET", "POST"])
def propose_removal(entry_id: int):
    """Propose that an entry leave the guide."""
    entry = _entry(entry_id, "guide.propose_change")
    form = RemovalForm()
    if form.validate_on_submit():
        try:
            proposal = services.propose_removal(current_user, entry, form.note.data or "")
        except GuideError as exc:
            _show_error(form, exc)
        else:
            db.session.commit()
            return _proposed(proposal, entry.commune)
    status = form_status()
    return render_template(
        "guide/remove.html", commune=entry.commune, form=form, entry=entry, **_context()
    ), status


@bp.route("/guide/entries/<int:entry_id>/check", methods=["POST"])
def check_entry(entry_id: int):
    """Say the entry is still right today (the commune's reviewers)."""
    entry = _entry(entry_id, "guide.check")
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    services.check(current_user, entry)
    db.session.commit()
    flash(_("Marked as checked today."), "success")
    return redirect(
        url_for("guide.show_guide", insee=entry.commune.insee) + f"#entry-{entry.id}", code=303
    )


# --- Reviewing ---------------------------------------------------------------------------


@bp.route("/communes/<insee>/guide/proposals")
def list_proposals(insee: str):
    """The proposals waiting for a decision (the commune's reviewers)."""
    commune = _commune(insee)
    require("guide.review", commune)
    return render_template(
        "guide/proposals.html",
        commune=commune,
        proposals=services.pending_proposals(commune),
        action_form=ActionForm(formdata=None),
        refuse_form=RefuseForm(formdata=None),
        **_context(),
    )


@bp.route("/guide/proposals/<int:proposal_id>")
def show_proposal(proposal_id: int):
    """One proposal: what it changes, and what became of it."""
    proposal = _proposal(proposal_id)
    return _render_proposal(proposal)


def _render_proposal(proposal: Proposal, refuse_form: RefuseForm | None = None, status=200):
    decides = can("guide.decide", proposal)
    return render_template(
        "guide/proposal.html",
        commune=proposal.commune,
        proposal=proposal,
        decides=decides,
        action_form=ActionForm(formdata=None) if decides else None,
        refuse_form=refuse_form or (RefuseForm(formdata=None) if decides else None),
        **_context(),
    ), status


@bp.route("/guide/proposals/<int:proposal_id>/accept", methods=["POST"])
def accept_proposal(proposal_id: int):
    """Accept a proposal: the guide changes, the proposer is told."""
    proposal = _proposal(proposal_id, "guide.decide")
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    return _decided(
        proposal,
        lambda: services.accept(current_user, proposal),
        _("Accepted: the guide is updated and the proposer is told."),
        "success",
    )


@bp.route("/guide/proposals/<int:proposal_id>/refuse", methods=["POST"])
def refuse_proposal(proposal_id: int):
    """Refuse a proposal, with a reason for the proposer."""
    proposal = _proposal(proposal_id, "guide.decide")
    form = RefuseForm()
    if not form.validate_on_submit():
        return _render_proposal(proposal, form, status=400)
    return _decided(
        proposal,
        lambda: services.refuse(current_user, proposal, form.reason.data or ""),
        _("Refused: the proposer is told."),
        "info",
    )


def _decided(proposal: Proposal, decide, message: str, category: str):
    """Apply a reviewer's decision: back to the list, or to the proposal saying why not."""
    proposal_id, insee = proposal.id, proposal.commune.insee
    try:
        decide()
    except GuideError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("guide.show_proposal", proposal_id=proposal_id), code=303)
    db.session.commit()
    flash(message, category)
    return redirect(url_for("guide.list_proposals", insee=insee), code=303)
