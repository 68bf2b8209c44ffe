"""Forms of the docuthèque: they parse and validate; services receive plain values."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from forum.forms import Form, choices, no_control_chars

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
SOURCE_MAX = 200
TAGS_FIELD_MAX = 300


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def visibility_choices():
    return choices(
        [
            ("public", _l("Everyone, visitors included")),
            ("site", _l("Signed-in members of the site")),
            ("group", _l("Members of this group only")),
        ]
    )


class DocumentForm(Form):
    """Title, description, tags, date, source, visibility."""

    title = StringField(
        _l("Title"),
        validators=[InputRequired(), Length(max=TITLE_MAX), no_control_chars],
        filters=[_strip],
        render_kw={"maxlength": TITLE_MAX},
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=DESCRIPTION_MAX)],
        description=_l("Markdown: **bold**, *italic*, - list, [link](https://…)."),
        render_kw={"rows": 4, "maxlength": DESCRIPTION_MAX},
    )
    tags = StringField(
        _l("Tags"),
        validators=[Optional(), Length(max=TAGS_FIELD_MAX), no_control_chars],
        filters=[_strip],
        description=_l("Separated by commas, e.g. rapport, logement, école."),
        render_kw={"maxlength": TAGS_FIELD_MAX},
    )
    issued_on = DateField(
        _l("Date of the document"),
        validators=[Optional()],
        description=_l("When it was published or written, if known."),
    )
    source = StringField(
        _l("Source"),
        validators=[Optional(), Length(max=SOURCE_MAX), no_control_chars],
        filters=[_strip],
        description=_l("Who published it, e.g. Romeurope, the prefecture."),
        render_kw={"maxlength": SOURCE_MAX},
    )
    visibility = RadioField(_l("Who may see it"), default="group", validators=[InputRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.visibility.choices = visibility_choices()


ACCEPT = ".pdf,.odt,.ods,.docx,.xlsx,.png,.jpg,.jpeg"


def _file_field(label):
    return FileField(
        label,
        validators=[FileRequired(message=_l("Choose a file to send."))],
        render_kw={"accept": ACCEPT},
    )


def _describe(field) -> None:
    field.description = _l(
        "PDF, ODT, ODS, DOCX, XLSX, PNG or JPEG, up to %(size)s MB.",
        size=current_app.config["UPLOAD_MAX_MB"],
    )


class UploadForm(DocumentForm):
    file = _file_field(_l("File"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _describe(self.file)


class ReplaceForm(Form):
    """A new version of the file."""

    file = _file_field(_l("New version of the file"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _describe(self.file)
