"""Discussion forms: they parse and validate, never save."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from forum.discussions.models import REPORT_CATEGORIES
from forum.discussions.services import (
    BODY_MAX,
    BODY_MIN,
    REASON_MAX,
    TITLE_MAX,
    TITLE_MIN,
    storable,
)
from forum.forms import Form, choices, no_control_chars


def strip_nul(value):
    """What will be stored is what is validated (see services.storable)."""
    return storable(value) if isinstance(value, str) else value


def body_field(label=None) -> TextAreaField:
    return TextAreaField(
        label or _l("Message"),
        validators=[InputRequired(), Length(min=BODY_MIN, max=BODY_MAX)],
        filters=[strip_nul],
        description=_l("Markdown: **bold**, *italic*, > quote, - list, [link](https://…), @name."),
        render_kw={"rows": 8, "maxlength": BODY_MAX},
    )


class ThreadForm(Form):
    submission = HiddenField(validators=[Optional(), Length(max=64)])
    title = StringField(
        _l("Title"),
        validators=[InputRequired(), Length(min=TITLE_MIN, max=TITLE_MAX), no_control_chars],
        filters=[lambda v: " ".join(v.split()) if isinstance(v, str) else v],
        render_kw={"maxlength": TITLE_MAX},
    )
    body = body_field()


class ReplyForm(Form):
    body = body_field(_l("Your reply"))
    # A one-time key given with the form: the same form sent twice posts once.
    submission = HiddenField(validators=[Optional(), Length(max=64)])


class EditForm(Form):
    body = body_field()


CATEGORY_LABELS = {
    "spam": _l("Spam or advertising"),
    "off_topic": _l("Off topic"),
    "personal_data": _l("Personal data (someone's address, phone, papers…)"),
    "abusive": _l("Abusive or hateful"),
    "other": _l("Other"),
}


def category_field(label) -> RadioField:
    return RadioField(
        label,
        choices=choices((key, CATEGORY_LABELS[key]) for key in REPORT_CATEGORIES),
        validators=[InputRequired(message=_l("Choose a reason from the list."))],
    )


class FlagForm(Form):
    """A member's report: a category, and words for the moderators only."""

    category = category_field(_l("What is wrong with this message?"))
    reason = TextAreaField(
        _l("Details for the moderators (optional)"),
        validators=[Optional(), Length(max=REASON_MAX)],
        filters=[strip_nul],
        description=_l("Only the group's moderators read this; it is never published."),
        render_kw={"maxlength": REASON_MAX, "rows": 3},
    )


class HideForm(Form):
    """A moderator's hiding: the public reason, chosen from the list, and their own text."""

    category = category_field(_l("Reason shown in place of the message"))
    note = StringField(
        _l("Your own words, shown with it (optional)"),
        validators=[Optional(), Length(max=REASON_MAX), no_control_chars],
        render_kw={"maxlength": REASON_MAX},
    )


class MoveForm(Form):
    group = SelectField(_l("Move to the group"), choices=[], validate_choice=True)


class SubscriptionForm(Form):
    action = HiddenField(validators=[Optional()])
