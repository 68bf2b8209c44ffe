"""Discussion forms: they parse and validate, never save."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from forum.discussions.services import (
    BODY_MAX,
    BODY_MIN,
    REASON_MAX,
    TITLE_MAX,
    TITLE_MIN,
    storable,
)
from forum.forms import Form, no_control_chars


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
    title = StringField(
        _l("Title"),
        validators=[InputRequired(), Length(min=TITLE_MIN, max=TITLE_MAX), no_control_chars],
        filters=[lambda v: " ".join(v.split()) if isinstance(v, str) else v],
        render_kw={"maxlength": TITLE_MAX},
    )
    body = body_field()


class ReplyForm(Form):
    body = body_field(_l("Your reply"))


class EditForm(Form):
    body = body_field()


class ReasonForm(Form):
    reason = StringField(
        _l("Reason"),
        validators=[InputRequired(), Length(min=3, max=REASON_MAX), no_control_chars],
        render_kw={"maxlength": REASON_MAX},
    )


class MoveForm(Form):
    group = SelectField(_l("Move to the group"), choices=[], validate_choice=True)


class SubscriptionForm(Form):
    action = HiddenField(validators=[Optional()])
