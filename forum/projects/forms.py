"""Project forms: the pledge, the coordinators' filters, status and message. They parse
and validate, never save."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import Form as SubForm
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from forum.forms import Form, choices, no_control_chars
from forum.projects.models import AVAILABILITY, FOLLOW_UP_STATUSES, PledgeStatus
from forum.projects.services import (
    HOURS_MAX,
    HOURS_MIN,
    MESSAGE_MAX,
    THRESHOLD_MAX,
    THRESHOLD_MIN,
)

AVAILABILITY_LABELS = {
    "weekdays": _l("Weekdays"),
    "evenings": _l("Evenings"),
    "weekends": _l("Weekends"),
}
STATUS_LABELS = {
    PledgeStatus.PLEDGED.value: _l("Pledged"),
    PledgeStatus.ACTIVE.value: _l("Active"),
    PledgeStatus.FULFILLED.value: _l("Fulfilled"),
    PledgeStatus.LAPSED.value: _l("Lapsed"),
    PledgeStatus.WITHDRAWN.value: _l("Withdrawn"),
}


class MultiCheckboxField(SelectMultipleField):
    """Several choices, one checkbox each (rendered in a fieldset by the forms macro).

    Choices outside the list are not an error of WTForms' own wording: the form says, in
    the user's language, which list to choose from (`invalid_message`)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, invalid_message=None, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid_message or _l("Choose from the list.")

    def pre_validate(self, form) -> None:
        allowed = {str(c[0]) if isinstance(c, tuple) else str(c.value) for c in self.choices}
        if any(value not in allowed for value in self.data or ()):
            raise ValidationError(self.invalid_message)


class WholeNumberField(IntegerField):
    """A whole number; anything else gets our own message (and is shown back as typed)."""

    def __init__(self, *args, invalid_message=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid_message or _l("Enter a whole number, such as 4.")

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError as exc:
            self.data = None
            raise ValueError(self.invalid_message) from exc

    def post_validate(self, form, validation_stopped) -> None:
        # The parse error and the range check say the same thing: say it once.
        self.errors = list(dict.fromkeys(self.errors))


class ChoiceField(SelectField):
    """A select whose unknown values get a message in the user's language."""

    def __init__(self, *args, invalid_message=None, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid_message or _l("Choose from the list.")

    def pre_validate(self, form) -> None:
        allowed = {str(c[0]) if isinstance(c, tuple) else str(c.value) for c in self.choices}
        if self.data not in allowed:
            raise ValidationError(self.invalid_message)


HOURS_MESSAGE = _l(
    "Give a number of hours a month between %(min)s and %(max)s.", min=HOURS_MIN, max=HOURS_MAX
)
THRESHOLD_MESSAGE = _l(
    "The number of others must be between %(min)s and %(max)s (or leave it empty).",
    min=THRESHOLD_MIN,
    max=THRESHOLD_MAX,
)


class PledgeForm(Form):
    help_kinds = MultiCheckboxField(
        _l("How will you help?"),
        validators=[InputRequired(message=_l("Choose at least one form of help."))],
        invalid_message=_l("Choose forms of help from this project's list."),
    )
    hours_per_month = WholeNumberField(
        _l("Hours a month"),
        validators=[
            InputRequired(message=HOURS_MESSAGE),
            NumberRange(min=HOURS_MIN, max=HOURS_MAX, message=HOURS_MESSAGE),
        ],
        invalid_message=HOURS_MESSAGE,
        description=_l("About how many hours a month you can give (0 to 200)."),
        render_kw={"inputmode": "numeric", "min": HOURS_MIN, "max": HOURS_MAX},
    )
    commune = ChoiceField(
        _l("Your commune"),
        validators=[InputRequired(message=_l("Choose your commune from the list."))],
        invalid_message=_l("Choose your commune from the list."),
    )
    availability = MultiCheckboxField(
        _l("When are you available?"),
        choices=choices((key, AVAILABILITY_LABELS[key]) for key in AVAILABILITY),
        validators=[Optional()],
        invalid_message=_l("Choose your availability from the list."),
    )
    threshold = WholeNumberField(
        _l("Only if this many others pledge too (optional)"),
        validators=[
            Optional(),
            NumberRange(min=THRESHOLD_MIN, max=THRESHOLD_MAX, message=THRESHOLD_MESSAGE),
        ],
        invalid_message=THRESHOLD_MESSAGE,
        description=_l(
            "A conditional pledge: it counts once that many other people have pledged. "
            "Leave empty to pledge without condition."
        ),
        render_kw={"inputmode": "numeric", "min": THRESHOLD_MIN, "max": THRESHOLD_MAX},
    )
    message = TextAreaField(
        _l("A message for the coordinators (optional)"),
        validators=[Optional(), Length(max=MESSAGE_MAX)],
        description=_l("Only the coordinators of the groups taking part read it."),
        render_kw={"rows": 4, "maxlength": MESSAGE_MAX},
    )
    show_name = BooleanField(
        _l("Show my name on the project's page"),
        description=_l("Otherwise your pledge counts in the totals, without your name."),
    )


class FilterForm(Form):
    """The coordinators' filters (GET: no CSRF token)."""

    class Meta:
        csrf = False

    help = SelectField(_l("Form of help"), choices=[], validate_choice=False)
    commune = SelectField(_l("Commune"), choices=[], validate_choice=False)
    availability = SelectField(
        _l("Availability"),
        choices=choices(
            [("", _l("Any"))] + [(key, AVAILABILITY_LABELS[key]) for key in AVAILABILITY]
        ),
        validate_choice=False,
    )


class StatusForm(Form):
    status = ChoiceField(
        _l("Follow-through"),
        choices=choices((s.value, STATUS_LABELS[s.value]) for s in FOLLOW_UP_STATUSES),
        validators=[InputRequired(message=_l("Choose a status from the list."))],
        invalid_message=_l("Choose a status from the list."),
    )


class MessageForm(Form):
    """Write to every pledger in the filter; the filter rides along as hidden fields."""

    help = HiddenField()
    commune = HiddenField()
    availability = HiddenField()
    subject = StringField(
        _l("Subject"),
        validators=[InputRequired(), Length(min=3, max=120), no_control_chars],
        render_kw={"maxlength": 120},
    )
    body = TextAreaField(
        _l("Message"),
        validators=[InputRequired(), Length(min=1, max=5000)],
        render_kw={"rows": 6, "maxlength": 5000},
    )


# --- Editing a project --------------------------------------------------------------------

HELP_KIND_ROWS = 3  # blank rows offered for new forms of help


class HelpKindRowForm(SubForm):
    """One form of help: its name, and whether it is retired (an empty id: a new one)."""

    kind_id = HiddenField()
    label = StringField(
        _l("Name"),
        validators=[Optional(), Length(max=120), no_control_chars],
        render_kw={"maxlength": 120},
    )
    retired = BooleanField(
        _l("Retired"),
        description=_l("No longer offered to new pledges; the pledges that chose it keep it."),
    )


class ProjectTextForm(Form):
    """What the coordinators of a taking-part group may change."""

    goal = StringField(
        _l("Goal"),
        validators=[InputRequired(), Length(max=200), no_control_chars],
        description=_l("In a few words, such as “reloger 15 familles”."),
        render_kw={"maxlength": 200},
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=20000)],
        description=_l("Markdown: **bold**, lists, links."),
        render_kw={"rows": 10, "maxlength": 20000},
    )
    help_kinds = FieldList(FormField(HelpKindRowForm), min_entries=1, max_entries=60)


def help_kind_rows(kinds) -> list[dict]:
    """The rows of the forms of help, as the form's data (for GET)."""
    return [{"kind_id": str(k.id), "label": k.label, "retired": k.is_retired} for k in kinds]


def add_blank_help_kind_rows(form: ProjectTextForm) -> None:
    """Offer a few empty rows for new forms of help (saved, new rows come)."""
    for _n in range(HELP_KIND_ROWS):
        form.help_kinds.append_entry()


def help_kind_edits(form: ProjectTextForm) -> list:
    """The rows as plain values for the service (an unknown id stays unknown: refused)."""
    from forum.projects.editing import HelpKindEdit

    rows = []
    for entry in form.help_kinds:
        raw = (entry.form.kind_id.data or "").strip()
        rows.append(
            HelpKindEdit(
                id=int(raw) if raw.isdigit() else (-1 if raw else None),
                label=entry.form.label.data or "",
                retired=bool(entry.form.retired.data),
            )
        )
    return rows


def report_edit_error(form, exc) -> None:
    """Show a refusal of the editing service on the field it names, else above the form."""
    target = getattr(form, exc.field, None) if exc.field and exc.field != "help_kinds" else None
    if target is not None:
        target.errors = [*target.errors, exc.message]
    else:
        form.form_errors.append(exc.message)
