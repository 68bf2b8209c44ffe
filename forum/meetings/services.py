"""Meeting rules: planning, repeating, cancelling, reading. Plain functions; they flush,
never commit. Answers and the waiting list are in `answers.py` (imported here too, for
callers), minutes and decisions in `minutes.py`, the reminders of `flask reminders` in
`reminders.py`."""

from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from dateutil.rrule import FR, MO, MONTHLY, SA, SU, TH, TU, WE, WEEKLY, rrule, weekday
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from forum import audit, events
from forum.accounts.models import User
from forum.db import Listed, json_datetime, json_list, json_rows, utcnow
from forum.extensions import db
from forum.groups.models import Group
from forum.markup import render_markdown
from forum.meetings.answers import (  # noqa: F401 - callers import them from here too
    ANSWERED,
    _demote_over_capacity,
    _lock,
    _promote_waiting,
    answer,
    answered,
    answers_of,
    ics_attachment,
    my_answer,
    remove_answers,
)
from forum.meetings.errors import MeetingError
from forum.meetings.models import (
    MEETINGS_PER_PAGE,
    PARIS,
    Frequency,
    Meeting,
    MeetingAnswer,
    MeetingFacts,
    MeetingSeries,
    Visibility,
)
from forum.pagination import PageOf, clamp_page
from forum.permissions import per_access, visible_meetings

log = logging.getLogger(__name__)

TITLE_MIN, TITLE_MAX = 3, 150
LOCATION_MAX, URL_MAX = 200, 500
AGENDA_MAX = 20_000
MINUTES_MAX = 50_000
DECISION_MAX, PARTNER_MAX = 500, 200
CAPACITY_MAX = 10_000
MAX_OCCURRENCES = 104  # two years of weekly meetings
MAX_SPAN = relativedelta(years=2)
MAX_LENGTH = timedelta(hours=24)  # a meeting lasts a day at most


def from_paris(local: datetime) -> datetime:
    """A wall-clock time typed in Europe/Paris, as an aware UTC datetime."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=PARIS)
    return local.astimezone(UTC)


def to_paris(moment: datetime) -> datetime:
    return moment.astimezone(PARIS)


# --- Repeating -------------------------------------------------------------------------


def monthly_weekday(day: date) -> weekday:
    """ "The 2nd Tuesday" of `day`; a 5th week counts as "the last"."""
    nth = (day.day - 1) // 7 + 1
    return (MO, TU, WE, TH, FR, SA, SU)[day.weekday()](nth if nth <= 4 else -1)


def occurrences(
    first: datetime, frequency: str, *, until: date | None = None, count: int | None = None
) -> list[datetime]:
    """The starts of a series (aware UTC), from its first one, in Paris wall-clock time (a
    19:00 meeting stays at 19:00 across the change of hour). Bounded: MAX_OCCURRENCES, and
    two years."""
    local = to_paris(first).replace(tzinfo=None)
    if count is not None and not 1 <= count <= MAX_OCCURRENCES:
        raise MeetingError(_l("Repeat between 1 and %(max)s times.", max=MAX_OCCURRENCES), "count")
    if until is not None:
        if until < local.date():
            raise MeetingError(_l("The last date comes before the first meeting."), "until")
        if until > local.date() + MAX_SPAN:
            raise MeetingError(_l("A series lasts two years at most."), "until")
    if until is None and count is None:
        raise MeetingError(_l("Say until when the meeting repeats, or how many times."), "count")
    rule: dict[str, Any] = {"dtstart": local}
    if count is not None:
        rule["count"] = count
    else:
        rule["until"] = datetime.combine(until, time(23, 59, 59))
    if frequency == Frequency.WEEKLY:
        starts = rrule(WEEKLY, **rule)
    elif frequency == Frequency.BIWEEKLY:
        starts = rrule(WEEKLY, interval=2, **rule)
    elif frequency == Frequency.MONTHLY:
        starts = rrule(MONTHLY, byweekday=monthly_weekday(local.date()), **rule)
    else:
        raise MeetingError(_l("Choose how the meeting repeats."), "repeat")
    limit = local + MAX_SPAN
    kept = [s for s in starts if s <= limit and (until is None or s.date() <= until)]
    return [from_paris(s) for s in kept[:MAX_OCCURRENCES]]


# --- Planning --------------------------------------------------------------------------


@dataclass
class MeetingData:
    """What a coordinator typed (dates aware, UTC)."""

    title: str
    starts_at: datetime
    ends_at: datetime
    location: str = ""
    online_url: str = ""
    agenda: str = ""
    capacity: int | None = None
    visibility: str = Visibility.PUBLIC.value


def check_data(data: MeetingData, *, now: datetime | None = None, new: bool = True) -> None:
    """The rules every meeting keeps; MeetingError names the field at fault."""
    now = now or utcnow()
    if data.ends_at <= data.starts_at:
        raise MeetingError(_l("The meeting must end after it starts."), "ends_at")
    if data.ends_at - data.starts_at > MAX_LENGTH:
        raise MeetingError(_l("A meeting lasts 24 hours at most."), "ends_at")
    if new and data.starts_at < now:
        raise MeetingError(_l("This moment is past: a new meeting is in the future."), "starts_at")
    if data.capacity is not None and not 0 <= data.capacity <= CAPACITY_MAX:
        raise MeetingError(_l("The number of seats cannot be negative."), "capacity")
    if data.online_url and not data.online_url.lower().startswith(("https://", "http://")):
        raise MeetingError(_l("Enter a web address such as https://…"), "online_url")
    if data.visibility not in {v.value for v in Visibility}:
        raise MeetingError(_l("Choose who may see the meeting."), "visibility")


def _fill(meeting: Meeting, data: MeetingData) -> None:
    meeting.title = data.title.strip()
    meeting.starts_at = data.starts_at
    meeting.ends_at = data.ends_at
    meeting.location = data.location.strip()
    meeting.online_url = data.online_url.strip()
    meeting.agenda = data.agenda
    meeting.agenda_html = render_markdown(data.agenda).html if data.agenda.strip() else ""
    meeting.capacity = data.capacity
    meeting.visibility = data.visibility


def create_meeting(
    actor: User,
    group: Group,
    data: MeetingData,
    *,
    repeat: str | None = None,
    until: date | None = None,
    count: int | None = None,
    now: datetime | None = None,
) -> Meeting:
    """Plan a meeting, or a series (one row per occurrence); returns the first one."""
    check_data(data, now=now)
    if not repeat:
        meeting = Meeting(group_id=group.id, uid=_new_uid(), created_by_id=actor.id)
        _fill(meeting, data)
        db.session.add(meeting)
        db.session.flush()
        audit.record(actor, "meeting.create", meeting, group=group)
        return meeting
    starts = occurrences(data.starts_at, repeat, until=until, count=count)
    length = data.ends_at - data.starts_at
    series = MeetingSeries(
        group_id=group.id,
        uid=_new_uid(),
        frequency=repeat,
        starts_at=starts[0],
        ends_at=starts[0] + length,
        occurrence_count=len(starts),
        title=data.title.strip(),
        location=data.location.strip(),
        online_url=data.online_url.strip(),
        agenda=data.agenda,
        visibility=data.visibility,
    )
    db.session.add(series)
    db.session.flush()
    rows = []
    for start in starts:
        meeting = Meeting(group_id=group.id, series_id=series.id, created_by_id=actor.id)
        _fill(meeting, data)
        meeting.starts_at, meeting.ends_at = start, start + length
        meeting.recurrence_id = start
        rows.append(meeting)
    db.session.add_all(rows)
    db.session.flush()
    audit.record(actor, "meeting.create", rows[0], group=group, detail=f"{repeat} ×{len(rows)}")
    return rows[0]


def _new_uid() -> str:
    return f"{secrets.token_hex(16)}@toits-solidaires"


def update_meeting(
    actor: User, meeting: Meeting, data: MeetingData, *, record: bool = True
) -> Meeting:
    """Change a meeting (one occurrence of a series: it becomes an override). Those who
    answered hear of a new time or place; seats added take people off the waiting list,
    seats taken away put the last to have said yes back at its head (they are told)."""
    if meeting.is_cancelled:
        raise MeetingError(_l("This meeting is cancelled: it cannot be changed."))
    if meeting.series_id is not None:
        data.visibility = meeting.visibility  # a series is seen by the same people throughout
    check_data(data, new=False)
    _lock(meeting)
    moved = (data.starts_at, data.ends_at) != (meeting.starts_at, meeting.ends_at)
    moved_place = (data.location.strip(), data.online_url.strip()) != (
        meeting.location,
        meeting.online_url,
    )
    before = (meeting.title, meeting.agenda, meeting.capacity, meeting.visibility)
    _fill(meeting, data)
    after = (meeting.title, meeting.agenda, meeting.capacity, meeting.visibility)
    if not (moved or moved_place or before != after):
        return meeting
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    if meeting.series_id is not None:
        meeting.is_override = True
    _demote_over_capacity(meeting)
    _promote_waiting(meeting)
    db.session.flush()
    if record:
        audit.record(actor, "meeting.edit", meeting, group=meeting.group)
    if moved or moved_place:
        events.meeting_changed.send(
            meeting, actor=actor, change="moved" if moved else "place", recipients=answered(meeting)
        )
    return meeting


def cancel_meeting(actor: User, meeting: Meeting, *, record: bool = True) -> Meeting:
    """Cancel a meeting (one occurrence of a series: an EXDATE); those who answered hear.
    A meeting that has begun cannot be cancelled: it took place (its minutes say how)."""
    if meeting.is_cancelled:
        return meeting
    if meeting.has_started():
        raise MeetingError(
            _l("This meeting has already taken place: it can no longer be cancelled.")
        )
    _lock(meeting)
    meeting.cancelled_at = utcnow()
    meeting.sequence += 1
    meeting.updated_at = meeting.cancelled_at
    if meeting.series is not None:
        meeting.series.sequence += 1
        meeting.series.updated_at = meeting.cancelled_at
    db.session.flush()
    if record:
        audit.record(actor, "meeting.cancel", meeting, group=meeting.group)
    events.meeting_changed.send(
        meeting, actor=actor, change="cancelled", recipients=answered(meeting)
    )
    return meeting


# --- A series from one occurrence on ----------------------------------------------------

THIS, FOLLOWING = "this", "following"  # the scope of a change to an occurrence


def following_occurrences(meeting: Meeting, now: datetime | None = None) -> list[Meeting]:
    """This occurrence and the later ones of its series, neither cancelled nor begun."""
    if meeting.series_id is None:
        return [meeting]
    return list(
        db.session.scalars(
            select(Meeting)
            .where(
                Meeting.series_id == meeting.series_id,
                Meeting.recurrence_id >= meeting.recurrence_id,
                Meeting.cancelled_at.is_(None),
                Meeting.starts_at > (now or utcnow()),
            )
            .order_by(Meeting.recurrence_id)
        )
    )


def update_following(actor: User, meeting: Meeting, data: MeetingData) -> list[Meeting]:
    """Change this occurrence and the following ones alike: the same title, place, agenda
    and seats; their times moved as this one's, in Paris wall-clock time (a 19:00 meeting
    moved to 18:30 is at 18:30 on each date, across the change of hour)."""
    if meeting.is_cancelled:
        raise MeetingError(_l("This meeting is cancelled: it cannot be changed."))
    if meeting.has_started():
        raise MeetingError(_l("This meeting has begun: change the following ones from the next."))
    check_data(data, new=False)
    shift = _wall(data.starts_at) - _wall(meeting.starts_at)
    length = data.ends_at - data.starts_at
    changed = []
    for row in following_occurrences(meeting):
        start = from_paris(_wall(row.starts_at) + shift)
        one = MeetingData(**{**data.__dict__, "starts_at": start, "ends_at": start + length})
        changed.append(update_meeting(actor, row, one, record=False))
    audit.record(
        actor, "meeting.edit", meeting, group=meeting.group, detail=f"following ×{len(changed)}"
    )
    return changed


def cancel_following(actor: User, meeting: Meeting) -> list[Meeting]:
    """Cancel this occurrence and the following ones (EXDATEs); those who answered hear."""
    if meeting.is_cancelled:
        return []
    if meeting.has_started():
        cancel_meeting(actor, meeting)  # says why it cannot
    rows = [cancel_meeting(actor, row, record=False) for row in following_occurrences(meeting)]
    audit.record(
        actor, "meeting.cancel", meeting, group=meeting.group, detail=f"following ×{len(rows)}"
    )
    return rows


def _wall(moment: datetime) -> datetime:
    return to_paris(moment).replace(tzinfo=None)


# --- Reading ---------------------------------------------------------------------------


def load_meeting(meeting_id: int) -> Meeting | None:
    """A meeting with its group, commune and series: one statement."""
    return db.session.scalar(
        select(Meeting)
        .options(joinedload(Meeting.group).joinedload(Group.commune), joinedload(Meeting.series))
        .where(Meeting.id == meeting_id)
    )


def group_meetings(group: Group, viewer: Any, page: int, *, past: bool) -> PageOf:
    """One page of the group's meetings the viewer may see: upcoming (soonest first) or
    past (latest first). Two statements whatever the number."""
    now = utcnow()
    where = [Meeting.group_id == group.id, *visible_meetings(viewer)]
    where.append(Meeting.ends_at <= now if past else Meeting.ends_at > now)
    total = db.session.scalar(select(func.count()).select_from(Meeting).where(*where)) or 0
    page, _ = clamp_page(page, total, MEETINGS_PER_PAGE)
    order = (
        (Meeting.starts_at.desc(), Meeting.id.desc()) if past else (Meeting.starts_at, Meeting.id)
    )
    rows = db.session.scalars(
        select(Meeting)
        .where(*where)
        .order_by(*order)
        .limit(MEETINGS_PER_PAGE)
        .offset((page - 1) * MEETINGS_PER_PAGE)
    ).all()
    return PageOf.build(list(rows), page, total, MEETINGS_PER_PAGE)


def next_meetings(limit: int = 5) -> list[Meeting]:
    """The next public meetings (not cancelled) across groups, for the home page: one
    statement, built once. A group page's ride in its statement (`next_meetings_column`)."""
    return list(db.session.scalars(_site_next_meetings(limit), {"now": utcnow()}))


_LISTED_MEETING = ("id", "title", "visibility", "starts_at", "ends_at", "location", "online_url")


class ListedMeeting(MeetingFacts, Listed):
    """A meeting as the group page's "next meetings" shows it, read from JSON."""

    FIELDS = _LISTED_MEETING
    __slots__ = FIELDS


def next_meetings_column(viewer: Any, limit: int = 5):
    """A group's next meetings (not cancelled) that the viewer may see, as a JSON column
    correlated to `groups` (bind parameter "now"), for the group page's one statement
    (groups.services.group_overview); `listed_meetings` reads it."""
    return _next_meetings_column(viewer, db.session.get_bind().dialect.name, limit)


@per_access()
def _next_meetings_column(viewer: Any, dialect: str, limit: int):
    query = (
        select(*(getattr(Meeting, name) for name in _LISTED_MEETING))
        .where(
            Meeting.group_id == Group.id,
            Meeting.ends_at > bindparam("now"),
            Meeting.cancelled_at.is_(None),
            *visible_meetings(viewer),
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
        .correlate(Group)
    )
    return json_list(query, _LISTED_MEETING, (("starts_at", False), ("id", False)), dialect)


def listed_meetings(value: Any) -> list[ListedMeeting]:
    """The meetings of a `next_meetings_column` value, soonest first."""
    meetings = []
    for item in json_rows(value, _LISTED_MEETING):
        item["starts_at"] = json_datetime(item["starts_at"])
        item["ends_at"] = json_datetime(item["ends_at"])
        meetings.append(ListedMeeting(tuple(item.values())))
    return meetings


@functools.lru_cache(maxsize=4)
def _site_next_meetings(limit: int):
    return (
        select(Meeting)
        .options(joinedload(Meeting.group))
        .where(
            Meeting.ends_at > bindparam("now"),
            Meeting.cancelled_at.is_(None),
            Meeting.visibility == Visibility.PUBLIC.value,
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
    )


def calendar_meetings(group: Group) -> list[Meeting]:
    """The group's public meetings for its calendar (a year back, then all to come), with
    their series: one statement."""
    return list(
        db.session.scalars(
            select(Meeting)
            .options(joinedload(Meeting.series))
            .where(
                Meeting.group_id == group.id,
                Meeting.visibility == Visibility.PUBLIC.value,
                # A series comes whole: its rule covers every occurrence, and each cancelled
                # one is an EXDATE (a series has at most MAX_OCCURRENCES rows).
                or_(
                    Meeting.starts_at > utcnow() - timedelta(days=366),
                    Meeting.series_id.is_not(None),
                ),
            )
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )


def series_meetings(series: MeetingSeries) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.recurrence_id)
        )
    )


def meetings_answered(user: User) -> list[tuple[MeetingAnswer, Meeting]]:
    """The meetings the member answered, latest first, with their groups: one statement."""
    rows = db.session.execute(
        select(MeetingAnswer, Meeting)
        .join(Meeting, Meeting.id == MeetingAnswer.meeting_id)
        .options(joinedload(Meeting.group))
        .where(MeetingAnswer.user_id == user.id, *visible_meetings(user))
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        .limit(200)
    ).all()
    return [(a, m) for a, m in rows]
