"""Account forms: they parse and validate, never save."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Regexp, ValidationError

from forum.accounts.passwords import is_common_password
from forum.forms import (
    PASSWORD_MAX,
    Form,
    choices,
    email_field,
    new_password_field,
    no_control_chars,
)

DISPLAY_NAME_MAX = 60


def _display_name_field() -> StringField:
    return StringField(
        _l("Display name"),
        validators=[InputRequired(), Length(min=2, max=DISPLAY_NAME_MAX), no_control_chars],
        filters=[lambda v: " ".join(v.split()) if isinstance(v, str) else v],
        description=_l("Shown with your messages. It need not be your real name."),
        render_kw={"autocomplete": "nickname", "maxlength": DISPLAY_NAME_MAX},
    )


def _not_common(form, field) -> None:
    if field.data and is_common_password(field.data, form):
        raise ValidationError(
            _l("This password is too common or too easy to guess. Choose another one.")
        )


class _NewPasswordMixin:
    password = new_password_field()
    password_confirm = PasswordField(
        _l("Confirm the password"),
        validators=[
            InputRequired(),
            EqualTo("password", message=_l("The two passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password", "maxlength": PASSWORD_MAX},
    )

    def validate_password(self, field) -> None:
        _not_common(self, field)


class RegisterForm(_NewPasswordMixin, Form):
    email = email_field()
    display_name = _display_name_field()


class LoginForm(Form):
    email = email_field()
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password", "maxlength": PASSWORD_MAX},
    )
    remember = BooleanField(_l("Stay signed in on this device"))


class ForgotForm(Form):
    email = email_field()


class ResetForm(_NewPasswordMixin, Form):
    pass


class AccountForm(Form):
    display_name = _display_name_field()
    locale = SelectField(
        _l("Language"),
        choices=choices([("fr", "Français"), ("en", "English")]),
        validators=[InputRequired()],
    )
    notify_email = SelectField(
        _l("E-mail notifications"),
        choices=choices(
            [
                (
                    "default",
                    _l(
                        "Recommended: mentions and replies to your threads at once, "
                        "the rest in a daily digest"
                    ),
                ),
                (
                    "immediate",
                    _l(
                        "Everything at once, one e-mail per thread until you read it "
                        "(the rest in the daily digest)"
                    ),
                ),
                ("daily", _l("Only a daily digest, in the morning")),
                ("never", _l("Never: notifications stay on the site")),
            ]
        ),
        validators=[InputRequired()],
        description=_l(
            "Replies in the threads you follow, mentions of you, new threads in the groups "
            "you follow."
        ),
    )


class DeleteAccountForm(Form):
    password = PasswordField(
        _l("Your password, to confirm"),
        validators=[InputRequired(), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password", "maxlength": PASSWORD_MAX},
    )


def _current_password_field() -> PasswordField:
    return PasswordField(
        _l("Your current password"),
        validators=[InputRequired(), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password", "maxlength": PASSWORD_MAX},
    )


class PasswordChangeForm(_NewPasswordMixin, Form):
    current_password = _current_password_field()
    password = new_password_field(_l("New password"))


class EmailChangeForm(Form):
    email = email_field(_l("New e-mail address"))
    current_password = _current_password_field()


HANDLE_MIN, HANDLE_MAX = 3, 30


class HandleForm(Form):
    username = StringField(
        _l("Your @handle"),
        validators=[
            InputRequired(),
            Length(min=HANDLE_MIN, max=HANDLE_MAX),
            Regexp(
                r"^[a-z0-9]+(-[a-z0-9]+)*$",
                message=_l(
                    "Lower-case letters without accents, digits and single hyphens only, "
                    "such as ines-b."
                ),
            ),
        ],
        filters=[lambda v: v.strip().lstrip("@").lower() if isinstance(v, str) else v],
        description=_l(
            "Others mention you with it (@handle) and your profile's address uses it. "
            "You may change it once a month; old mentions keep leading to you."
        ),
        render_kw={"maxlength": HANDLE_MAX, "autocomplete": "username", "spellcheck": "false"},
    )
