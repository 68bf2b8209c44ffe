"""The search form: read from the query string (GET), so no CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SearchField, SelectField
from wtforms.validators import Length

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
