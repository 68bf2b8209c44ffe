"""Site administration forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from forum.forms import Form, choices, email_field, no_control_chars
from forum.projects.forms import ChoiceField, MultiCheckboxField, ProjectTextForm, WholeNumberField
from forum.projects.models import ProjectStatus

# Several forms share the admin page: fields with the same name get distinct ids.


class CommuneForm(Form):
    insee = StringField(
        _l("INSEE code"),
        validators=[
            InputRequired(),
            Regexp(
                r"^[0-9][0-9AB][0-9]{3}$",
                message=_l("An INSEE code has five characters, such as 92023."),
            ),
        ],
        render_kw={"maxlength": 5, "inputmode": "numeric"},
    )
    name = StringField(
        _l("Name"),
        validators=[InputRequired(), Length(max=120), no_control_chars],
        id="commune-name",
        render_kw={"maxlength": 120},
    )
    department = StringField(
        _l("Department"),
        validators=[
            InputRequired(),
            Regexp(r"^([0-9]{2,3}|2[AB])$", message=_l("A department number, such as 92.")),
        ],
        render_kw={"maxlength": 3},
    )


class GroupForm(Form):
    name = StringField(
        _l("Name"),
        validators=[InputRequired(), Length(min=3, max=120), no_control_chars],
        id="group-name",
        render_kw={"maxlength": 120},
    )
    slug = StringField(
        _l("Address in the site"),
        validators=[
            Optional(),
            Length(max=60),
            Regexp(
                r"^[a-z0-9]+(-[a-z0-9]+)*$",
                message=_l("Lower-case letters, digits and hyphens only."),
            ),
        ],
        description=_l("Leave empty to make it from the name."),
        render_kw={"maxlength": 60},
    )
    commune = SelectField(_l("Commune"), choices=[], validate_choice=True)
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"maxlength": 2000, "rows": 4},
    )


class RoleForm(Form):
    email = email_field(_l("Member's e-mail address"), id="role-email")
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
    email = email_field(_l("Account's e-mail address"), id="suspend-email")
    action = SelectField(
        _l("Action"),
        choices=choices([("suspend", _l("Suspend")), ("restore", _l("Lift the suspension"))]),
    )


class UserSuspensionForm(Form):
    """Suspend one account from the user list, with the reason the member will read."""

    action = SelectField(
        _l("Action"),
        choices=choices([("suspend", _l("Suspend")), ("restore", _l("Lift the suspension"))]),
    )
    reason = StringField(
        _l("Reason (the member reads it)"),
        validators=[Length(max=500), no_control_chars],
        render_kw={"maxlength": 500},
    )

    def validate_reason(self, field) -> None:
        if self.action.data == "suspend" and not (field.data or "").strip():
            raise ValidationError(_l("Say why: the member will read it."))


class GroupEditForm(Form):
    name = StringField(
        _l("Name"),
        validators=[InputRequired(), Length(min=3, max=120), no_control_chars],
        render_kw={"maxlength": 120},
    )
    commune = SelectField(_l("Commune"), choices=[], validate_choice=True)
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"maxlength": 2000, "rows": 6},
    )


class CommuneEditForm(Form):
    name = StringField(
        _l("Name"),
        validators=[InputRequired(), Length(max=120), no_control_chars],
        render_kw={"maxlength": 120},
    )
    department = StringField(
        _l("Department"),
        validators=[
            InputRequired(),
            Regexp(r"^([0-9]{2,3}|2[AB])$", message=_l("A department number, such as 92.")),
        ],
        render_kw={"maxlength": 3},
    )


class ArchiveForm(Form):
    """Archive or bring back: `action` = archive or restore."""

    action = SelectField(choices=choices([("archive", "archive"), ("restore", "restore")]))


TARGET_MESSAGE = _l("Give a number of participants between 0 and 100000.")


class ProjectForm(ProjectTextForm):
    """Everything a site admin sets on a project (the text and forms of help included)."""

    title = StringField(
        _l("Title"),
        validators=[InputRequired(), Length(min=3, max=150), no_control_chars],
        render_kw={"maxlength": 150},
    )
    slug = StringField(
        _l("Address in the site"),
        validators=[
            Optional(),
            Length(max=60),
            Regexp(
                r"^[a-z0-9]+(-[a-z0-9]+)*$",
                message=_l("Lower-case letters, digits and hyphens only."),
            ),
        ],
        description=_l("Leave empty to make it from the title."),
        render_kw={"maxlength": 60},
    )
    status = ChoiceField(
        _l("Status"),
        choices=choices(
            [
                (ProjectStatus.OPEN.value, _l("Open: it takes pledges")),
                (ProjectStatus.CLOSED.value, _l("Closed: no new pledges")),
                (ProjectStatus.FINISHED.value, _l("Finished")),
            ]
        ),
        default=ProjectStatus.OPEN.value,
        validators=[InputRequired()],
    )
    starts_on = DateField(_l("First day (optional)"), validators=[Optional()])
    ends_on = DateField(_l("Last day (optional)"), validators=[Optional()])
    target_participants = WholeNumberField(
        _l("Participants hoped for"),
        validators=[
            InputRequired(message=TARGET_MESSAGE),
            NumberRange(min=0, max=100_000, message=TARGET_MESSAGE),
        ],
        invalid_message=TARGET_MESSAGE,
        default=0,
        render_kw={"inputmode": "numeric", "min": 0},
    )
    groups = MultiCheckboxField(
        _l("Groups taking part"),
        description=_l("Their coordinators see the pledges in detail and edit the text."),
        invalid_message=_l("Choose groups from the list."),
    )
    news_thread = WholeNumberField(
        _l("News discussion (optional)"),
        validators=[Optional()],
        invalid_message=_l("Give the discussion's number, as in /threads/123."),
        description=_l("The number in the discussion's address, as in /threads/123."),
        render_kw={"inputmode": "numeric"},
    )

    def validate_ends_on(self, field) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The project must end on or after its first day."))
