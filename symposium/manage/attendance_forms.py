"""Forms of the attendance policy and of the marks by hand (Flask-WTF, CSRF on)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from ..services.attendance_policy import MAX_MIN_SESSIONS, SOURCES

_DIGITS = str.maketrans(
    {**{chr(0x0660 + i): str(i) for i in range(10)}, **{chr(0x06F0 + i): str(i) for i in range(10)}}
)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def parse_min_sessions(value: str | None) -> int | None:
    """The typed minimum (Latin, Arabic-Indic or Persian digits), None when empty; raises
    ValueError when it is not a whole number in range."""
    text = (value or "").strip().translate(_DIGITS)
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise ValueError(text)
    number = int(text)
    if not 1 <= number <= MAX_MIN_SESSIONS:
        raise ValueError(text)
    return number


class MinSessions:
    def __call__(self, form, field):
        try:
            parse_min_sessions(field.data)
        except ValueError:
            raise StopValidation(
                _("Enter a whole number between 1 and %(max)s.", max=MAX_MIN_SESSIONS)
            )


class AttendancePolicyForm(FlaskForm):
    sources = MultiCheckboxField(
        _l("Attendance that counts for a certificate"),
        choices=[
            SelectChoice("door", _l("Checked in at the door (entrance or session room)")),
            SelectChoice("online", _l("Joined a session online (personal join link)")),
            SelectChoice("import", _l("Listed in an imported attendance report")),
            SelectChoice("manual", _l("Marked by hand by an organiser")),
        ],
        validate_choice=False,  # checked below, with our own translated message
    )
    min_sessions = StringField(
        _l("Minimum number of sessions (leave empty for none)"),
        validators=[MinSessions()],
    )

    def validate_sources(self, field):
        if not field.data:
            raise StopValidation(_("Choose at least one way of recording attendance."))
        if any(value not in SOURCES for value in field.data):
            raise StopValidation(_("Choose among the ways of recording attendance listed."))

    @property
    def min_sessions_value(self) -> int | None:
        return parse_min_sessions(self.min_sessions.data)
