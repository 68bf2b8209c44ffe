"""Meetings: planning, the list and the calendar, answers, minutes and decisions."""

from __future__ import annotations

from datetime import UTC

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_time
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from forum.extensions import db
from forum.forms import ActionForm, choices, form_status
from forum.groups.services import group_or_404
from forum.meetings import bp, calendar, minutes, services
from forum.meetings.forms import (
    AnswerForm,
    EditMeetingForm,
    MeetingForm,
    MinutesForm,
    NewMeetingForm,
)
from forum.meetings.models import Decision, Meeting
from forum.meetings.services import MeetingData, MeetingError, from_paris, to_paris
from forum.permissions import can, refusal_message, require, require_visible, signed_in_user


def _meeting(meeting_id: int, action: str = "meeting.view") -> Meeting:
    """The one loader of a meeting: 404 when missing or hidden from the user."""
    return require_visible(services.load_meeting(meeting_id), "meeting.view", action)


def _data(form: MeetingForm) -> MeetingData:
    return MeetingData(
        title=form.title.data,
        starts_at=from_paris(form.starts_at.data),
        ends_at=from_paris(form.ends_at.data),
        location=form.location.data or "",
        online_url=form.online_url.data or "",
        agenda=form.agenda.data or "",
        capacity=form.capacity.data,
        visibility=form.visibility.data,
    )


def _show_error(form, exc: MeetingError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and isinstance(field.errors, list):
        errors = list(field.errors)
        errors.append(exc.message)
        field.errors = errors
    else:
        flash(str(exc.message), "error")


# --- Listing and calendars -------------------------------------------------------------


@bp.route("/groups/<slug>/meetings/")
def list_meetings(slug: str):
    """The group's meetings: upcoming (default) or past (`?when=past`), paginated."""
    group = group_or_404(slug)
    require("group.view", group)
    past = request.args.get("when") == "past"
    viewer = signed_in_user()
    listing = services.group_meetings(
        group, viewer, request.args.get("page", 1, type=int), past=past
    )
    return render_template("meetings/list.html", group=group, listing=listing, past=past)


@bp.route("/groups/<slug>/meetings.ics")
def group_calendar(slug: str):
    """The group's public meetings as an iCalendar feed, to subscribe to."""
    group = group_or_404(slug)
    body = calendar.group_calendar(group.name, services.calendar_meetings(group))
    return _ics(body, f"{group.slug}.ics")


@bp.route("/meetings/<int:meeting_id>.ics")
def meeting_ics(meeting_id: int):
    """One meeting as iCalendar (an occurrence: its whole series)."""
    meeting = _meeting(meeting_id)
    return _ics(calendar.meeting_calendar(meeting), f"reunion-{meeting.id}.ics")


def _ics(body: bytes, filename: str) -> Response:
    response = Response(body, content_type=calendar.CONTENT_TYPE)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- One meeting -----------------------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>")
def show_meeting(meeting_id: int):
    """A meeting: when, where, the agenda, the answers, the minutes and decisions."""
    meeting = _meeting(meeting_id)
    return _render_meeting(meeting)


def _render_meeting(meeting: Meeting, form: AnswerForm | None = None, status: int = 200):
    viewer = signed_in_user()
    manager = viewer is not None and can("meeting.manage", meeting, viewer)
    mine = services.my_answer(viewer, meeting)
    if form is None and viewer is not None:
        form = AnswerForm(formdata=None, status=mine.status if mine else None)
        if mine is not None and mine.status == "waiting":
            form.status.data = "yes"
    return render_template(
        "meetings/show.html",
        meeting=meeting,
        group=meeting.group,
        mine=mine,
        form=form,
        manager=manager,
        answers=services.answers_of(meeting) if manager else None,
        decisions=minutes.meeting_decisions(meeting) if meeting.minutes_at else [],
        problem=refusal_message("meeting.rsvp", meeting, viewer) if viewer else None,
        action_form=ActionForm(formdata=None) if viewer is not None else None,
    ), status


@bp.route("/meetings/<int:meeting_id>/rsvp", methods=["POST"])
def rsvp(meeting_id: int):
    """Answer yes, maybe or no; past capacity a yes waits for a seat."""
    meeting = _meeting(meeting_id)
    if not current_user.is_authenticated:
        require("meeting.rsvp", meeting)  # to the sign-in page
    form = AnswerForm()
    problem = refusal_message("meeting.rsvp", meeting)
    if problem:
        return _render_meeting(meeting, form, status=403)
    require("meeting.rsvp", meeting)
    if not form.validate_on_submit():
        return _render_meeting(meeting, form, status=400)
    try:
        answer = services.answer(current_user, meeting, form.status.data)
    except MeetingError as exc:
        _show_error(form, exc)
        return _render_meeting(meeting, form, status=400)
    db.session.commit()
    flash(_ANSWERED[answer.status](), "success")
    return redirect(url_for("meetings.show_meeting", meeting_id=meeting_id))


_ANSWERED = {
    "yes": lambda: _("Your answer is recorded: you are coming. The invitation is in your mail."),
    "maybe": lambda: _("Your answer is recorded: maybe."),
    "no": lambda: _("Your answer is recorded: you are not coming."),
    "waiting": lambda: _(
        "The meeting is full: you are on the waiting list, and will get an e-mail if a seat frees."
    ),
}


# --- Planning --------------------------------------------------------------------------


@bp.route("/groups/<slug>/meetings/new", methods=["GET", "POST"])
def new_meeting(slug: str):
    """Plan a meeting, once or repeating (coordinators of the group)."""
    group = group_or_404(slug)
    require("meeting.create", group)
    form = NewMeetingForm()
    if form.validate_on_submit():
        try:
            meeting = services.create_meeting(
                current_user,
                group,
                _data(form),
                repeat=form.repeat.data or None,
                until=form.until.data,
                count=form.count.data,
            )
        except MeetingError as exc:
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The meeting is planned."), "success")
            return redirect(url_for("meetings.show_meeting", meeting_id=meeting.id))
    status = form_status()
    return render_template("meetings/edit.html", group=group, form=form, meeting=None), status


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit_meeting(meeting_id: int):
    """Change a meeting; an occurrence of a series alone, or with the following ones."""
    meeting = _meeting(meeting_id, "meeting.manage")
    if request.method == "GET":
        form = EditMeetingForm(obj=meeting)
        form.starts_at.data = to_paris(meeting.starts_at).replace(tzinfo=None)
        form.ends_at.data = to_paris(meeting.ends_at).replace(tzinfo=None)
        form.scope.data = "this"
    else:
        form = EditMeetingForm()
    if meeting.series_id is not None:
        form.visibility.data = meeting.visibility
    else:
        form.scope.data = "this"
    if meeting.yes_count:
        form.capacity.description = _(
            "%(num)s people are coming. With fewer seats, the last to have said yes go back "
            "to the head of the waiting list, and are told by e-mail; seats added go to "
            "those who wait.",
            num=meeting.yes_count,
        )
    if form.validate_on_submit():
        coming = meeting.yes_count
        try:
            if form.scope.data == "following":
                changed = services.update_following(current_user, meeting, _data(form))
            else:
                changed = [services.update_meeting(current_user, meeting, _data(form))]
        except MeetingError as exc:
            _show_error(form, exc)
        else:
            db.session.commit()
            if len(changed) > 1:
                flash(_("%(num)s meetings of the series are updated.", num=len(changed)), "success")
            else:
                flash(_("The meeting is updated."), "success")
            if meeting.yes_count < coming and meeting.capacity is not None:
                flash(
                    _(
                        "%(num)s people are back on the waiting list; they are told by e-mail.",
                        num=coming - meeting.yes_count,
                    ),
                    "info",
                )
            return redirect(url_for("meetings.show_meeting", meeting_id=meeting.id))
    status = form_status()
    return render_template(
        "meetings/edit.html", group=meeting.group, form=form, meeting=meeting
    ), status


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
def cancel_meeting(meeting_id: int):
    """Cancel a meeting (one occurrence of a series, or it and the following ones); those
    who answered are told. A meeting that has begun is not cancelled: the page says why."""
    meeting = _meeting(meeting_id, "meeting.manage")
    try:
        if request.form.get("scope") == "following":
            rows = services.cancel_following(current_user, meeting)
        else:
            rows = [services.cancel_meeting(current_user, meeting)]
    except MeetingError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("meetings.show_meeting", meeting_id=meeting_id))
    db.session.commit()
    if len(rows) > 1:
        flash(
            _(
                "%(num)s meetings of the series are cancelled; those who answered are told.",
                num=len(rows),
            ),
            "info",
        )
    else:
        flash(_("The meeting is cancelled; those who answered are told."), "info")
    return redirect(url_for("meetings.show_meeting", meeting_id=meeting.id))


# --- Minutes and decisions -------------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>/minutes", methods=["GET", "POST"], endpoint="minutes")
def write_minutes(meeting_id: int):
    """Write the minutes after the meeting: the text, who came, the decisions."""
    meeting = _meeting(meeting_id, "meeting.manage")
    problem = refusal_message("meeting.write_minutes", meeting)
    if problem:
        flash(str(problem), "error")
        return redirect(url_for("meetings.show_meeting", meeting_id=meeting.id))
    people = minutes.minutes_people(meeting)
    members = minutes.group_member_ids(meeting.group_id)
    form = MinutesForm(formdata=None if request.method == "GET" else request.form)
    if request.method == "GET":
        form.body.data = meeting.minutes or ""
        form.present.data = sorted(minutes.attendees(meeting))
    form.present.choices = choices((u.id, u.display_name) for u in people)
    owners = [("", _("— nobody in the group —"))] + [
        (str(u.id), u.display_name) for u in people if u.id in members
    ]
    for row in form.decisions:
        row.form.owner.choices = choices(owners)
    valid = False
    if request.method == "POST":
        # Both checks run, so that every row's problem is said at once.
        valid = form.validate()
        valid = _due_dates_ok(form, meeting) and valid
    if valid:
        items = [
            minutes.DecisionData(
                text=row.form.text.data,
                due_on=row.form.due_on.data,
                owner_id=int(row.form.owner.data) if row.form.owner.data else None,
                partner=row.form.partner.data or None,
            )
            for row in form.decisions
            if row.form.text.data
        ]
        try:
            minutes.save_minutes(
                current_user,
                meeting,
                body=form.body.data,
                present=set(form.present.data or []),
                decisions=items,
            )
        except MeetingError as exc:
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The minutes are saved."), "success")
            return redirect(url_for("meetings.show_meeting", meeting_id=meeting.id))
    status = form_status()
    return render_template(
        "meetings/minutes.html",
        meeting=meeting,
        group=meeting.group,
        form=form,
        decisions=minutes.meeting_decisions(meeting),
        people=people,
    ), status


def _due_dates_ok(form: MinutesForm, meeting: Meeting) -> bool:
    """A decision is due on the meeting's day (Europe/Paris) or later: said on its row."""
    ok = True
    for row in form.decisions:
        due = row.form.due_on
        if row.form.text.data and due.data and due.data < meeting.local_day:
            due.errors = [*due.errors, _("A decision is due on the meeting's day or later.")]
            ok = False
    return ok


@bp.route("/decisions/<int:decision_id>/done", methods=["POST"])
def complete_decision(decision_id: int):
    """Mark a decision done (its owner or a coordinator of the group)."""
    decision = db.get_or_404(Decision, decision_id)
    require("decision.complete", decision)
    minutes.complete_decision(current_user, decision)
    db.session.commit()
    flash(_("The decision is marked done."), "success")
    return redirect(url_for("groups.show_group", slug=decision.group.slug))


# --- A member's meetings ---------------------------------------------------------------


@bp.route("/account/meetings")
@login_required
def my_meetings():
    """The meetings the member answered."""
    return render_template(
        "meetings/mine.html", rows=services.meetings_answered(current_user._get_current_object())
    )


@bp.app_template_global()
def meeting_when(meeting: Meeting) -> Markup:
    """ "mardi 9 mars 2027, 19:00–21:00" (Europe/Paris) in a <time> for machines (UTC)."""
    start, end = meeting.starts_at, meeting.ends_at
    day = format_date(start, "full")
    begin, finish = format_time(start, "short"), format_time(end, "short")
    hours = f"{begin}–{finish}"
    if to_paris(start).date() != to_paris(end).date():
        hours = f"{begin} – {format_date(end, 'full')} {finish}"
    iso = start.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    return Markup(f'<time datetime="{iso}Z">{escape(day)}, {escape(hours)}</time>')  # noqa: S704
