"""Meetings as iCalendar (RFC 5545), built with the `icalendar` library.

A one-off meeting is one VEVENT. A series is one VEVENT with its RRULE (always as a
COUNT: the occurrences were generated and stored) and an EXDATE per cancelled occurrence,
plus one override VEVENT (same UID, RECURRENCE-ID = the original start) per occurrence
moved or changed alone. Times carry TZID=Europe/Paris, with its VTIMEZONE.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC

from flask import current_app
from icalendar import Calendar, Event, vRecur

from forum.db import utcnow
from forum.markup import plain_text
from forum.meetings.models import PARIS, Frequency, Meeting, MeetingSeries
from forum.urls import absolute_url

CONTENT_TYPE = "text/calendar; charset=utf-8"


def _calendar(name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", f"-//{current_app.config['SITE_NAME']}//meetings//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", "Europe/Paris")
    return cal


def _paris(moment):
    return moment.astimezone(PARIS)


def _describe(event: Event, meeting: Meeting) -> None:
    event.add("summary", meeting.title)
    event.add("dtstart", _paris(meeting.starts_at))
    event.add("dtend", _paris(meeting.ends_at))
    event.add("dtstamp", utcnow().astimezone(UTC))
    event.add("last-modified", meeting.updated_at.astimezone(UTC))
    event.add("created", meeting.created_at.astimezone(UTC))
    event.add("sequence", meeting.sequence)
    url = absolute_url("meetings.show_meeting", meeting_id=meeting.id)
    event.add("url", url)
    place = meeting.location or meeting.online_url
    if place:
        event.add("location", place)
    text = plain_text(meeting.agenda_html) if meeting.agenda_html else ""
    if meeting.online_url:
        text = f"{text}\n\n{meeting.online_url}".strip()
    event.add("description", f"{text}\n\n{url}".strip())
    event.add("class", "PUBLIC" if meeting.is_public else "PRIVATE")


def _one_off(meeting: Meeting) -> Event:
    event = Event()
    event.add("uid", meeting.uid)
    _describe(event, meeting)
    event.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
    return event


RULES = {
    Frequency.WEEKLY.value: {"freq": "weekly"},
    Frequency.BIWEEKLY.value: {"freq": "weekly", "interval": 2},
    Frequency.MONTHLY.value: {"freq": "monthly"},
}


def _rrule(series: MeetingSeries) -> vRecur:
    rule = dict(RULES[series.frequency])
    if series.frequency == Frequency.MONTHLY:
        from forum.meetings.services import monthly_weekday

        day = monthly_weekday(_paris(series.starts_at).date())
        names = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
        rule["byday"] = f"{day.n}{names[day.weekday]}"  # "2TU": the second Tuesday
    rule["count"] = series.occurrence_count
    return vRecur(rule)


def _series_events(series: MeetingSeries, meetings: list[Meeting]) -> list[Event]:
    """The series' VEVENT (rule and exceptions) and its overrides."""
    first = next((m for m in meetings if m.recurrence_id == series.starts_at), None)
    master = Event()
    master.add("uid", series.uid)
    master.add("summary", series.title)
    master.add("dtstart", _paris(series.starts_at))
    master.add("dtend", _paris(series.ends_at))
    master.add("dtstamp", utcnow().astimezone(UTC))
    master.add("last-modified", series.updated_at.astimezone(UTC))
    master.add("created", series.created_at.astimezone(UTC))
    master.add("sequence", series.sequence)
    master.add("rrule", _rrule(series))
    place = series.location or series.online_url
    if place:
        master.add("location", place)
    if first is not None:
        master.add("url", absolute_url("meetings.show_meeting", meeting_id=first.id))
    master.add("class", "PUBLIC" if series.visibility == "public" else "PRIVATE")
    master.add("status", "CONFIRMED")
    cancelled = sorted(m.recurrence_id for m in meetings if m.is_cancelled)
    if cancelled:
        master.add("exdate", [_paris(moment) for moment in cancelled])
    events = [master]
    for meeting in meetings:
        if meeting.is_override and not meeting.is_cancelled:
            override = Event()
            override.add("uid", series.uid)
            override.add("recurrence-id", _paris(meeting.recurrence_id))
            _describe(override, meeting)
            override.add("status", "CONFIRMED")
            events.append(override)
    return events


def _events(meetings: Iterable[Meeting]) -> list[Event]:
    events: list[Event] = []
    series: dict[int, tuple[MeetingSeries, list[Meeting]]] = {}
    for meeting in meetings:
        if meeting.series_id is None:
            events.append(_one_off(meeting))
        else:
            series.setdefault(meeting.series_id, (meeting.series, []))[1].append(meeting)
    for rule, occurrences in series.values():
        events.extend(_series_events(rule, occurrences))
    return events


def _finish(cal: Calendar, events: list[Event]) -> bytes:
    for event in events:
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def meeting_calendar(meeting: Meeting, series_meetings: list[Meeting] | None = None) -> bytes:
    """One meeting; an occurrence brings its whole series (the rule and its exceptions)."""
    if meeting.series_id is None:
        return _finish(_calendar(), [_one_off(meeting)])
    if series_meetings is None:
        from forum.meetings.services import series_meetings as load

        series_meetings = load(meeting.series)
    return _finish(_calendar(), _series_events(meeting.series, series_meetings))


# Calendar clients poll a subscribed calendar again and again, and the library takes about
# half a millisecond an event: a group's calendar is built once per version of its meetings
# (each change raises a SEQUENCE or moves an `updated_at`) and kept, per process. Built
# once, its DTSTAMP stays put, so the body's ETag lets a client's next poll be a 304.
_BUILT: OrderedDict[str, bytes] = OrderedDict()
_BUILT_MAX = 64
_BUILT_LOCK = threading.Lock()


def _version(name: str, meetings: list[Meeting]) -> str:
    parts = [current_app.config.get("BASE_URL") or "", name]
    for m in meetings:
        series = m.series if m.series_id is not None else None
        parts.append(
            f"{m.id}:{m.sequence}:{m.updated_at.isoformat()}:{m.cancelled_at is not None}:"
            f"{series and series.sequence}:{series and series.updated_at.isoformat()}"
        )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def group_calendar(name: str, meetings: Iterable[Meeting]) -> bytes:
    """The group's public meetings, to subscribe to."""
    meetings = list(meetings)
    key = _version(name, meetings)
    with _BUILT_LOCK:
        body = _BUILT.get(key)
        if body is not None:
            _BUILT.move_to_end(key)
            return body
    body = _finish(_calendar(name), _events(meetings))
    with _BUILT_LOCK:
        _BUILT[key] = body
        while len(_BUILT) > _BUILT_MAX:
            _BUILT.popitem(last=False)
    return body
