"""Meeting forms: they parse and validate, never save."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import Form as SubForm
from wtforms.validators import URL, InputRequired, Length, NumberRange, Optional, ValidationError

from forum.forms import Form, choices, no_control_chars
from forum.meetings.models import Answer, Frequency, Visibility
from forum.meetings.services import (
    AGENDA_MAX,
    CAPACITY_MAX,
    DECISION_MAX,
    LOCATION_MAX,
    MAX_OCCURRENCES,
    MINUTES_MAX,
    PARTNER_MAX,
    TITLE_MAX,
    TITLE_MIN,
    URL_MAX,
)

DECISION_ROWS = 3  # blank decision rows offered on the minutes form


def _strip(value):
    return " ".join(value.split()) if isinstance(value, str) else value


def _no_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class MeetingForm(Form):
    title = StringField(
        _l("Title"),
        validators=[InputRequired(), Length(min=TITLE_MIN, max=TITLE_MAX), no_control_chars],
        filters=[_strip],
        render_kw={"maxlength": TITLE_MAX},
    )
    starts_at = DateTimeLocalField(
        _l("Starts"),
        format=DATETIME_FORMATS,
        validators=[InputRequired(message=_l("Give a date and a time, such as 2027-03-09 19:00."))],
        description=_l("Paris time."),
    )
    ends_at = DateTimeLocalField(
        _l("Ends"),
        format=DATETIME_FORMATS,
        validators=[InputRequired(message=_l("Give a date and a time, such as 2027-03-09 21:00."))],
    )
    location = StringField(
        _l("Place"),
        validators=[Optional(), Length(max=LOCATION_MAX), no_control_chars],
        filters=[_strip],
        description=_l("An address, a room… or leave it empty for an online meeting."),
        render_kw={"maxlength": LOCATION_MAX},
    )
    online_url = StringField(
        _l("Online link (optional)"),
        validators=[
            Optional(),
            Length(max=URL_MAX),
            URL(require_tld=False, message=_l("Enter a web address such as https://…")),
        ],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        render_kw={"maxlength": URL_MAX, "inputmode": "url"},
    )
    agenda = TextAreaField(
        _l("Agenda"),
        validators=[Optional(), Length(max=AGENDA_MAX)],
        filters=[_no_nul],
        description=_l("Markdown: **bold**, *italic*, - list, [link](https://…)."),
        render_kw={"rows": 6, "maxlength": AGENDA_MAX},
    )
    capacity = IntegerField(
        _l("Seats (optional)"),
        validators=[
            Optional(),
            NumberRange(
                min=0, max=CAPACITY_MAX, message=_l("The number of seats cannot be negative.")
            ),
        ],
        description=_l("Past this number, those who answer yes go on a waiting list."),
        render_kw={"min": 0, "max": CAPACITY_MAX, "inputmode": "numeric"},
    )
    visibility = RadioField(
        _l("Who may see it"),
        choices=choices(
            [
                (Visibility.PUBLIC.value, _l("Everyone (public)")),
                (Visibility.MEMBERS.value, _l("The group's members only")),
            ]
        ),
        default=Visibility.PUBLIC.value,
        validators=[InputRequired(message=_l("Choose who may see the meeting."))],
    )

    def validate_online_url(self, field) -> None:
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError(_l("Enter a web address such as https://…"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not (self.location.data or self.online_url.data or self.online_url.errors):
            self.location.errors = [*self.location.errors, _l("Give a place or an online link.")]
            return False
        return ok

    def validate_ends_at(self, field) -> None:
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The meeting must end after it starts."))


class EditMeetingForm(MeetingForm):
    """Changing a meeting; for an occurrence of a series, this date only or the following."""

    scope = RadioField(
        _l("Change"),
        choices=choices(
            [
                ("this", _l("This date only")),
                ("following", _l("This date and the following ones")),
            ]
        ),
        default="this",  # a form without the choice (a one-off meeting) changes one date
    )


class NewMeetingForm(MeetingForm):
    repeat = RadioField(
        _l("Repeat"),
        choices=choices(
            [
                ("", _l("Once")),
                (Frequency.WEEKLY.value, _l("Every week")),
                (Frequency.BIWEEKLY.value, _l("Every two weeks")),
                (
                    Frequency.MONTHLY.value,
                    _l("Every month, on the same weekday (e.g. 2nd Tuesday)"),
                ),
            ]
        ),
        default="",
        validators=[Optional()],
    )
    until = DateField(
        _l("Until (date of the last meeting)"),
        validators=[Optional()],
        description=_l(
            "Or give a number of meetings below (two years, %(n)s meetings at most).",
            n=MAX_OCCURRENCES,
        ),
    )
    count = IntegerField(
        _l("Number of meetings"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=MAX_OCCURRENCES,
                message=_l("Repeat between 1 and %(max)s times.", max=MAX_OCCURRENCES),
            ),
        ],
        render_kw={"min": 1, "max": MAX_OCCURRENCES, "inputmode": "numeric"},
    )

    def validate_count(self, field) -> None:
        if self.repeat.data and field.data is None and self.until.data is None:
            raise ValidationError(_l("Say until when the meeting repeats, or how many times."))


class AnswerForm(Form):
    status = RadioField(
        _l("Will you come?"),
        choices=choices(
            [
                (Answer.YES.value, _l("Yes")),
                (Answer.MAYBE.value, _l("Maybe")),
                (Answer.NO.value, _l("No")),
            ]
        ),
        validators=[InputRequired(message=_l("Answer yes, maybe or no."))],
    )


class DecisionForm(SubForm):
    """One decision row of the minutes: empty rows are ignored."""

    text = StringField(
        _l("Decision"),
        validators=[Optional(), Length(max=DECISION_MAX), no_control_chars],
        filters=[_strip],
        render_kw={"maxlength": DECISION_MAX},
    )
    owner = SelectField(_l("Carried by (a member)"), choices=[], validate_choice=False)
    partner = StringField(
        _l("…or an outside partner"),
        validators=[Optional(), Length(max=PARTNER_MAX), no_control_chars],
        filters=[_strip],
        render_kw={"maxlength": PARTNER_MAX},
    )
    due_on = DateField(_l("Due by"), validators=[Optional()])

    def validate_due_on(self, field) -> None:
        if self.text.data and field.data is None:
            raise ValidationError(_l("Give the date by which it is due."))

    def validate_owner(self, field) -> None:
        allowed = {str(c.value if hasattr(c, "value") else c[0]) for c in field.choices}
        if field.data and field.data not in allowed:
            raise ValidationError(_l("Who carries it is a member of the group."))
        if self.text.data and not field.data and not self.partner.data:
            raise ValidationError(_l("Say who carries each decision."))


class MinutesForm(Form):
    body = TextAreaField(
        _l("Minutes"),
        validators=[InputRequired(), Length(min=1, max=MINUTES_MAX)],
        filters=[_no_nul],
        description=_l("Markdown: **bold**, *italic*, - list, [link](https://…)."),
        render_kw={"rows": 12, "maxlength": MINUTES_MAX},
    )
    present = SelectMultipleField(_l("Who came"), choices=[], coerce=int, validate_choice=False)
    decisions = FieldList(FormField(DecisionForm), min_entries=DECISION_ROWS, max_entries=20)
    submission = HiddenField(validators=[Optional()])
