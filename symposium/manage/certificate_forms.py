"""Forms of the certificates, attendance and badges pages (Flask-WTF, CSRF everywhere)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..i18n import LANGUAGE_NAMES, LANGUAGES
from ..services.textcheck import MultiLine, SingleLine


class CertificateSettingsForm(FlaskForm):
    speaker_kind = SelectField(
        _l("Speakers receive"),
        choices=[
            SelectChoice("participation", _l("Certificate of Participation")),
            SelectChoice("appreciation", _l("Certificate of Appreciation")),
        ],
    )
    speaker_scope = SelectField(
        _l("Speaker certificates for"),
        choices=[
            SelectChoice("confirmed", _l("Confirmed speakers only")),
            SelectChoice("all", _l("Everyone linked to a session (except those who declined)")),
        ],
    )
    speaker_language = SelectField(
        _l("Language of speaker certificates"),
        choices=[SelectChoice("", _l("The event's default language"))]
        + [SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
    )
    bilingual = BooleanField(_l("Bilingual certificates (Arabic and English on one page)"))


class SignatoryForm(FlaskForm):
    name_ar = StringField(
        _l("Name (Arabic)"), validators=[Optional(), Length(max=200), SingleLine(200)]
    )
    name_en = StringField(
        _l("Name (English)"), validators=[Optional(), Length(max=200), SingleLine(200)]
    )
    name_fr = StringField(
        _l("Name (French)"), validators=[Optional(), Length(max=200), SingleLine(200)]
    )
    title_ar = StringField(
        _l("Title (Arabic)"), validators=[Optional(), Length(max=200), SingleLine(200)]
    )
    title_en = StringField(
        _l("Title (English)"), validators=[Optional(), Length(max=200), SingleLine(200)]
    )
    title_fr = StringField(
        _l("Title (French)"), validators=[Optional(), Length(max=200), SingleLine(200)]
    )
    signature = FileField(
        _l("Signature image (PNG or JPEG)"),
        validators=[FileAllowed(["png", "jpg", "jpeg"], _l("Upload a PNG or JPEG image."))],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        names = (self.name_ar, self.name_en, self.name_fr)
        if not any((f.data or "").strip() for f in names):
            self.name_ar.errors = [
                *self.name_ar.errors,
                _("Give the name in at least one language."),
            ]
            return False
        return ok


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the revocation"),
        validators=[DataRequired(), Length(max=500), MultiLine(500)],
    )


class AttendanceImportForm(FlaskForm):
    file = FileField(
        _l("Attendance list (CSV with an “email” column)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "txt"], _l("Upload a CSV file.")),
        ],
    )


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token."""


class GenerateForm(FlaskForm):
    """Generate all certificates; before the event starts only an administrator may, by
    ticking the confirmation (recorded in the audit log)."""

    allow_early = BooleanField(
        _l("I confirm: issue the certificates before the event starts (recorded in the audit log)")
    )


class BadgeFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter: it changes nothing

    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("confirmed", _l("Confirmed")),
            SelectChoice("waitlisted", _l("Waiting list")),
            SelectChoice("cancelled", _l("Cancelled")),
            SelectChoice("", _l("Any status")),
        ],
        default="confirmed",
    )
    session = SelectField(_l("Session"), choices=[SelectChoice("", _l("All sessions"))], default="")
    q = StringField(_l("Search"), validators=[Optional(), Length(max=200), SingleLine(200)])
