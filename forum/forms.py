"""Shared form pieces: the base form, field limits, and the CSRF-only action form."""

from __future__ import annotations

import functools
import re

import wtforms.widgets
from babel.support import Translations
from flask import current_app, has_request_context, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import EmailField, PasswordField
from wtforms.i18n import messages_path
from wtforms.validators import Email, InputRequired, Length, ValidationError
from wtforms.widgets import core as wtforms_widgets
from wtforms.widgets.core import clean_key

EMAIL_MAX = 254
PASSWORD_MIN = 10
PASSWORD_MAX = 128
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


try:  # WTForms 3.3 declares options as SelectChoice and deprecates tuples
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def choices(pairs) -> list:
    """Select options from (value, label) pairs, in the form the installed WTForms wants."""
    if SelectChoice is None:
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]


@functools.lru_cache(maxsize=8)
def _wtforms_catalogue(locale: str) -> Translations:
    """WTForms' own messages ("This field is required.") in a language, read from disk once
    per process. Flask-WTF reads the catalogue again for every request that builds a form
    (a fifth of a millisecond on every page with a reply form)."""
    return Translations.load(messages_path(), [locale], domain="wtforms")


def html_params(**kwargs) -> Markup:
    """WTForms' html_params (the attributes of an input, a textarea, a label), with the same
    output: sorted names, `class_` for class, `data_`/`aria_` names with hyphens, True alone,
    False left out, values escaped. WTForms formats each attribute through Markup.format,
    some 15 µs apiece: a reply form's textarea and label cost a tenth of a member's page."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = clean_key(key)
        if value is True:
            params.append(str(escape(key)))
        elif value is not False:
            text = str(escape(value)).replace('"', "&quot;")
            params.append(f'{escape(key)}="{text}"')
    return Markup(" ".join(params))  # noqa: S704 - every name and value is escaped


def _use_fast_html_params() -> None:
    """Put `html_params` where WTForms' widgets and labels look it up (the module, and the
    widget classes that keep it as a static method)."""
    wtforms_widgets.html_params = wtforms.widgets.html_params = html_params
    for widget in vars(wtforms_widgets).values():
        if isinstance(widget, type) and vars(widget).get("html_params") is not None:
            widget.html_params = staticmethod(html_params)


_use_fast_html_params()


class Form(FlaskForm):
    """Base form: a stale CSRF token becomes a message on the form, not a bare 400."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            if not has_request_context() or not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _wtforms_catalogue(str(get_locale()))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if "csrf_token" in self._fields and self.csrf_token.errors:
            self.csrf_token.errors = [
                _l(
                    "Your session expired before you sent this form. What you typed is "
                    "below: check it and send it again."
                )
            ]
            return False
        return ok


class ActionForm(Form):
    """A button that changes something: carries only the CSRF token."""


def no_control_chars(form, field) -> None:
    if field.data and CONTROL_CHARS.search(field.data):
        raise ValidationError(_l("This field cannot contain line breaks or control characters."))


def email_field(label=None, **kwargs) -> EmailField:
    return EmailField(
        label or _l("E-mail address"),
        **kwargs,
        validators=[
            InputRequired(),
            Length(max=EMAIL_MAX),
            Email(message=_l("Enter a valid e-mail address, such as name@example.org.")),
        ],
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
        render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX},
    )


def new_password_field(label=None) -> PasswordField:
    return PasswordField(
        label or _l("Password"),
        validators=[InputRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX)],
        description=_l(
            "At least %(n)s characters. A sentence you remember works well.", n=PASSWORD_MIN
        ),
        render_kw={
            "autocomplete": "new-password",
            "minlength": PASSWORD_MIN,
            "maxlength": PASSWORD_MAX,
        },
    )


def form_status(failed: bool = True) -> int:
    """The status of a form page: 400 when it comes back after a POST that `failed` (its
    errors shown, what was typed kept), 200 when it is first shown."""
    return 400 if request.method == "POST" and failed else 200
