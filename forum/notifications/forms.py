"""Notification forms: they parse and validate, never save."""

from __future__ import annotations

from wtforms import SelectField
from wtforms.validators import InputRequired

from forum.forms import Form, choices


class SubscriptionForm(Form):
    """The follow button: `action` is "subscribe" or "unsubscribe" (the public contract)."""

    action = SelectField(
        choices=choices([("subscribe", "subscribe"), ("unsubscribe", "unsubscribe")]),
        validators=[InputRequired()],
    )
