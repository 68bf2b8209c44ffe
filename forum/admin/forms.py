"""Site administration forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from forum.forms import Form as _BaseForm
from forum.forms import choices, email_field, no_control_chars


class Form(_BaseForm):
    """Several admin forms share a page: each gets a prefix so field ids stay unique."""

    form_prefix = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", self.form_prefix)
        super().__init__(*args, **kwargs)


class CommuneForm(Form):
    form_prefix = "commune"

    insee = StringField(
        _l("INSEE code"),
        validators=[
            InputRequired(),
            Regexp(r"^[0-9][0-9AB][0-9]{3}$", message=_l("An INSEE code has five characters, such as 92023.")),
        ],
        render_kw={"maxlength": 5, "inputmode": "numeric"},
    )
    name = StringField(
        _l("Name"), validators=[InputRequired(), Length(max=120), no_control_chars],
        render_kw={"maxlength": 120},
    )
    department = StringField(
        _l("Department"),
        validators=[InputRequired(), Regexp(r"^([0-9]{2,3}|2[AB])$", message=_l("A department number, such as 92."))],
        render_kw={"maxlength": 3},
    )


class GroupForm(Form):
    form_prefix = "group"

    name = StringField(
        _l("Name"), validators=[InputRequired(), Length(min=3, max=120), no_control_chars],
        render_kw={"maxlength": 120},
    )
    slug = StringField(
        _l("Address in the site"),
        validators=[
            Optional(),
            Length(max=60),
            Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message=_l("Lower-case letters, digits and hyphens only.")),
        ],
        description=_l("Leave empty to make it from the name."),
        render_kw={"maxlength": 60},
    )
    commune = SelectField(_l("Commune"), choices=[], validate_choice=True)
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=2000)], render_kw={"maxlength": 2000, "rows": 4}
    )


class RoleForm(Form):
    form_prefix = "role"

    email = email_field(_l("Member's e-mail address"))
    group = SelectField(_l("Group"), choices=[], validate_choice=True)
    role = SelectField(
        _l("Role"),
        choices=choices(
            [
                ("member", _l("Member")),
                ("keeper", _l("Contact keeper")),
                ("coordinator", _l("Coordinator")),
                ("none", _l("No role (remove from the group)")),
            ]
        ),
    )


class SuspendForm(Form):
    form_prefix = "suspend"

    email = email_field(_l("Account's e-mail address"))
    action = SelectField(
        _l("Action"), choices=choices([("suspend", _l("Suspend")), ("restore", _l("Lift the suspension"))])
    )
