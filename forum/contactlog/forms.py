"""Contact-log forms: they parse and validate, never save. Dates are calendar days."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from forum.contactlog.services import (
    AGREED_MAX,
    DETAILS_MAX,
    LANGUAGES_MAX,
    NOTE_MAX,
    PSEUDONYM_MAX,
    SUMMARY_MAX,
    HouseholdData,
)
from forum.forms import Form, choices, no_control_chars
from forum.projects.forms import MultiCheckboxField, WholeNumberField

LIVING_LABELS = {
    "camp": _l("Camp or informal site"),
    "shelter": _l("Emergency shelter"),
    "hotel": _l("Hotel"),
    "insertion": _l("Insertion housing"),
    "housing": _l("Ordinary housing"),
    "unknown": _l("Unknown"),
}
CHANNEL_LABELS = {
    "visit": _l("Visit"),
    "phone": _l("Phone"),
    "message": _l("Message"),
    "meeting": _l("Meeting"),
    "accompaniment": _l("Going with them to an appointment"),
}
OUTCOME_LABELS = {
    "reached": _l("We were in touch"),
    "no_answer": _l("Failed attempt: no answer"),
    "number_changed": _l("Failed attempt: number changed"),
    "moved": _l("Failed attempt: the family moved"),
}
NEED_LABELS = {
    "housing": _l("Housing"),
    "health": _l("Health"),
    "school": _l("School"),
    "papers": _l("Papers"),
    "work": _l("Work"),
    "food": _l("Food"),
    "legal": _l("Legal help"),
    "other": _l("Other"),
}
PHASE_LABELS = {
    "diagnosis": _l("Social diagnosis"),
    "orientation": _l("Orientation"),
    "shelter": _l("Shelter"),
    "insertion": _l("Insertion housing"),
    "housing": _l("Ordinary housing"),
    "ended": _l("Follow-up ended"),
}
CONSENT_LABELS = {
    "written": _l("Signed sheet"),
    "oral": _l("Oral, sheet read to them"),
    "interpreter": _l("Oral, through an interpreter"),
}
CLOSE_LABELS = {
    "housed": _l("Housed for good"),
    "moved_away": _l("Moved away"),
    "declined": _l("The family asked to stop"),
    "no_contact": _l("Contact lost"),
    "other": _l("Other reason"),
}
DATE_MESSAGE = _l("Give a date, such as 2027-03-09.")


def user_ids(values) -> list[int]:
    """The ids of a checkbox list of people (strings, as the choices are)."""
    return [int(v) for v in values or () if str(v).isdigit()]


def _strip(value):
    return " ".join(value.split()) if isinstance(value, str) else value


def _no_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


def _count(label):
    return WholeNumberField(
        label,
        validators=[InputRequired(), NumberRange(min=0, max=30)],
        render_kw={"inputmode": "numeric", "min": 0, "max": 30},
    )


class HouseholdForm(Form):
    pseudonym = StringField(
        _l("Pseudonym"),
        validators=[InputRequired(), Length(max=PSEUDONYM_MAX), no_control_chars],
        filters=[_strip],
        description=_l("A name the group chooses: never the family's legal name."),
        render_kw={"maxlength": PSEUDONYM_MAX, "autocomplete": "off"},
    )
    adults = _count(_l("Adults"))
    children = _count(_l("Children"))
    children_in_school = _count(_l("Children in school"))
    languages = StringField(
        _l("Languages spoken"),
        validators=[Optional(), Length(max=LANGUAGES_MAX), no_control_chars],
        filters=[_strip],
        render_kw={"maxlength": LANGUAGES_MAX, "autocomplete": "off"},
    )
    living = SelectField(
        _l("Where they live now"),
        choices=choices(LIVING_LABELS.items()),
        default="unknown",
    )

    def household_data(self, **more) -> HouseholdData:
        """What the services need from the form (`more`: the new record's consent)."""
        return HouseholdData(
            pseudonym=self.pseudonym.data,
            adults=self.adults.data,
            children=self.children.data,
            children_in_school=self.children_in_school.data,
            languages=self.languages.data or "",
            living=self.living.data,
            **more,
        )


class NewHouseholdForm(HouseholdForm):
    consent = BooleanField(
        _l("The family gave its consent to this record"),
        description=_l("Read them the consent sheet first, in their language."),
    )
    consent_on = DateField(_l("Date of consent"), validators=[Optional()])
    consent_how = RadioField(
        _l("How consent was given"), choices=choices(CONSENT_LABELS.items()), validate_choice=False
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.consent.data:
            self.consent.errors = [
                _l("Without the family's consent nothing is recorded: tick the box.")
            ]
            ok = False
        if not self.consent_on.data:
            self.consent_on.errors = [DATE_MESSAGE]
            ok = False
        if self.consent_how.data not in CONSENT_LABELS:
            self.consent_how.errors = [_l("Say how the consent was given.")]
            ok = False
        return ok


class ContactForm(Form):
    happened_on = DateField(_l("Date"), validators=[InputRequired(message=DATE_MESSAGE)])
    outcome = RadioField(
        _l("Were you in touch?"),
        choices=choices(OUTCOME_LABELS.items()),
        default="reached",
        validate_choice=False,
    )
    channel = RadioField(
        _l("How"), choices=choices(CHANNEL_LABELS.items()), default="visit", validate_choice=False
    )
    summary = TextAreaField(
        _l("Summary"),
        validators=[Optional(), Length(max=SUMMARY_MAX)],
        filters=[_no_nul],
        description=_l("Encrypted; seen only by the group's keepers and coordinators."),
        render_kw={"rows": 4, "maxlength": SUMMARY_MAX},
    )
    needs = MultiCheckboxField(
        _l("Needs raised"), choices=choices(NEED_LABELS.items()), validators=[Optional()]
    )
    agreed = TextAreaField(
        _l("What was agreed"),
        validators=[Optional(), Length(max=AGREED_MAX)],
        filters=[_no_nul],
        render_kw={"rows": 2, "maxlength": AGREED_MAX},
    )
    next_contact_on = DateField(_l("Next contact due"), validators=[Optional()])
    participants = MultiCheckboxField(
        _l("Other volunteers who took part"), choices=[], validators=[Optional()]
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.outcome.data not in OUTCOME_LABELS:
            self.outcome.errors = [_l("Choose whether the family was reached.")]
            ok = False
        if self.channel.data not in CHANNEL_LABELS:
            self.channel.errors = [_l("Choose how the contact happened.")]
            ok = False
        return ok


class NeedForm(Form):
    kind = SelectField(_l("Need"), choices=choices(NEED_LABELS.items()))
    details = StringField(
        _l("Details"),
        validators=[Optional(), Length(max=DETAILS_MAX), no_control_chars],
        filters=[_strip],
        render_kw={"maxlength": DETAILS_MAX, "autocomplete": "off"},
    )


class PhaseForm(Form):
    phase = SelectField(_l("Phase"), choices=choices(PHASE_LABELS.items()))
    started_on = DateField(_l("Since"), validators=[InputRequired(message=DATE_MESSAGE)])


class CloseForm(Form):
    reason = SelectField(_l("Why the follow-up ends"), choices=choices(CLOSE_LABELS.items()))


class ReassignForm(Form):
    referents = MultiCheckboxField(_l("Referents"), choices=[])
    note = TextAreaField(
        _l("Hand-over note for the new referent"),
        validators=[Optional(), Length(max=NOTE_MAX)],
        filters=[_no_nul],
        description=_l("What they should know first. Encrypted."),
        render_kw={"rows": 4, "maxlength": NOTE_MAX},
    )


class KeeperForm(Form):
    user_id = HiddenField(validators=[InputRequired()])
    grant = HiddenField(validators=[InputRequired()])  # "1" grants, "0" withdraws


class ThresholdForm(Form):
    days = IntegerField(
        _l("Overdue after (days without contact)"),
        validators=[InputRequired(), NumberRange(min=1, max=365)],
        render_kw={"inputmode": "numeric", "min": 1, "max": 365},
    )


class HelperMessageForm(Form):
    pledge_id = HiddenField(validators=[InputRequired()])
    need = HiddenField(validators=[InputRequired()])
    body = TextAreaField(
        _l("Your message"),
        validators=[InputRequired(), Length(min=10, max=2000)],
        filters=[_no_nul],
        description=_l(
            "They read your name and the group's. Do not name the family or give any "
            "detail about them: a message that names a family is refused."
        ),
        render_kw={"rows": 4, "maxlength": 2000},
    )
    reply_by_email = BooleanField(
        _l("Let them answer me by e-mail"),
        default=False,
        description=_l(
            "Your e-mail address is then given to them. Otherwise the message tells them "
            "how to answer you through the site."
        ),
    )
