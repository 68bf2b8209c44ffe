"""The meetings' refusal: raised by the services, shown by the views on the field it names."""

from __future__ import annotations


class MeetingError(Exception):
    """A domain rule refused the change; `message` is for the user, `field` names the
    form field it concerns (None: the whole form)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)  # a lazy string: read in the user's language, later
        self.message = message
        self.field = field
