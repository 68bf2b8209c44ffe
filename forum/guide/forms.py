"""Guide forms: they parse and validate, never save."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from forum.forms import Form, choices, no_control_chars
from forum.guide import phones
from forum.guide.services import (
    ADDRESS_MAX,
    CONDITIONS_MAX,
    HOURS_MAX,
    IMPOSSIBLE_PHONE,
    LANGUAGES_MAX,
    NAME_MAX,
    NOTE_MAX,
    PHONE_MAX,
    REASON_MAX,
)

KIND_LABELS = {
    "food": _l("Food aid"),
    "shelter": _l("Shelter"),
    "health": _l("Health"),
    "legal": _l("Legal help"),
    "canteen": _l("School canteen support"),
    "hygiene": _l("Hygiene"),
    "french": _l("French classes"),
    "other": _l("Other"),
}
FIELD_LABELS = {
    "kind": _l("Kind of service"),
    "name": _l("Name"),
    "address": _l("Address"),
    "opening_hours": _l("Opening hours"),
    "phone": _l("Phone"),
    "languages": _l("Languages spoken"),
    "conditions": _l("Conditions"),
}
# Line breaks and tabs are text in a long field; the other control characters never are.
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def no_control_chars_in_text(form, field) -> None:
    if field.data and _CONTROL_IN_TEXT.search(field.data):
        raise ValidationError(_l("This field cannot contain control characters."))


def french_phone(form, field) -> None:
    try:
        phones.normalise(field.data or "")
    except phones.ImpossibleNumber:
        raise ValidationError(IMPOSSIBLE_PHONE) from None


def _strip(value):
    return " ".join(value.split()) if isinstance(value, str) else value


def _strip_text(value):
    return value.strip() if isinstance(value, str) else value


def _line(label, maximum, description=None, validators=()):
    return StringField(
        label,
        validators=[Optional(), Length(max=maximum), no_control_chars, *validators],
        filters=[_strip],
        description=description,
        render_kw={"maxlength": maximum},
    )


def _text(label, maximum, description=None):
    return TextAreaField(
        label,
        validators=[Optional(), Length(max=maximum), no_control_chars_in_text],
        filters=[_strip_text],
        description=description,
        render_kw={"maxlength": maximum, "rows": 3},
    )


class EntryForm(Form):
    kind = SelectField(
        FIELD_LABELS["kind"],
        choices=choices(KIND_LABELS.items()),
        validators=[InputRequired()],
    )
    name = StringField(
        FIELD_LABELS["name"],
        validators=[
            InputRequired(message=_l("Give the service's name.")),
            Length(max=NAME_MAX),
            no_control_chars,
        ],
        filters=[_strip],
        description=_l("As the service calls itself, e.g. “Épicerie solidaire”."),
        render_kw={"maxlength": NAME_MAX},
    )
    address = _line(FIELD_LABELS["address"], ADDRESS_MAX)
    opening_hours = _text(
        FIELD_LABELS["opening_hours"], HOURS_MAX, _l("E.g. “Tuesday and Friday, 9:00–12:00”.")
    )
    phone = _line(
        FIELD_LABELS["phone"],
        PHONE_MAX,
        _l("A French number, e.g. 01 46 12 34 56; leave it empty if you do not know it."),
        validators=[french_phone],
    )
    languages = _line(FIELD_LABELS["languages"], LANGUAGES_MAX, _l("E.g. “français, roumain”."))
    conditions = _text(
        FIELD_LABELS["conditions"],
        CONDITIONS_MAX,
        _l("Who may come, what to bring, whether an appointment is needed."),
    )
    note = _text(
        _l("A word for the coordinators (optional)"),
        NOTE_MAX,
        _l("How you know: a visit, a phone call, a leaflet… Not shown in the guide."),
    )

    def values(self) -> dict[str, str]:
        return {name: getattr(self, name).data or "" for name in FIELD_LABELS}


class RemovalForm(Form):
    note = _text(
        _l("Why should it leave the guide?"),
        NOTE_MAX,
        _l("E.g. “closed since March”. Read by the coordinators."),
    )


class RefuseForm(Form):
    reason = _text(
        _l("Why (the proposer reads it)"),
        REASON_MAX,
        _l("E.g. “we called them: the hours have not changed”."),
    )
