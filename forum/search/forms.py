"""The search form: read from the query string (GET), so no CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SearchField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from forum.forms import Form
from forum.search.services import QUERY_MAX


class SearchForm(Form):
    class Meta:
        csrf = False

    q = SearchField(
        _l("Words to search for"),
        validators=[Length(max=QUERY_MAX)],
        description=_l('All the words are searched for; put a phrase "in quotes".'),
        render_kw={"maxlength": QUERY_MAX},
    )
    group = SelectField(_l("In the group"), choices=[], validate_choice=False)
    author = StringField(
        _l("Written by"),
        validators=[Optional(), Length(max=41)],
        description=_l("A member's @handle."),
        render_kw={"maxlength": 41, "autocapitalize": "none", "spellcheck": "false"},
    )
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])
    thread = HiddenField()  # the other matches of one thread ("n autres messages")

    def validate_until(self, field) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("This date comes before the first one."))

    @property
    def handle(self) -> str:
        """The author's handle as typed, without its @."""
        return (self.author.data or "").strip().lstrip("@").lower()
