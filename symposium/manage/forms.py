"""Forms of the organiser workspace. Multilingual fields get one input per language:
``title_ar``, ``title_en``, ``title_fr``..., read back with ``i18n_value(form, "title")``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    Form,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import FieldList, FormField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..i18n import LANGUAGES
from ..models import ATTENDANCE_MODES, ROLES, SESSION_KINDS, SPEAKER_ROLES
from ..services.textcheck import (
    EmailChars,
    Int32,
    MultiLine,
    SingleLine,
    event_length_problem,
)

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def add_i18n(form_cls, name: str, label, *, textarea: bool = False, max_length: int = 500):
    """Add ``name_<lang>`` for every language to ``form_cls``."""
    field_cls = TextAreaField if textarea else StringField
    check = MultiLine if textarea else SingleLine
    for code in LANGUAGES:
        setattr(
            form_cls,
            f"{name}_{code}",
            field_cls(label, validators=[Optional(), Length(max=max_length), check(max_length)]),
        )
    return form_cls


def i18n_value(form, name: str) -> dict:
    return {code: (form[f"{name}_{code}"].data or "") for code in LANGUAGES}


def fill_i18n(form, name: str, value: dict | None) -> None:
    for code in LANGUAGES:
        form[f"{name}_{code}"].data = (value or {}).get(code, "")


def kind_choices():
    labels = {
        "opening": _l("Opening"),
        "keynote": _l("Keynote"),
        "panel": _l("Panel"),
        "roundtable": _l("Round table"),
        "workshop": _l("Workshop"),
        "break": _l("Break"),
        "closing": _l("Closing"),
    }
    return [SelectChoice(k, labels.get(k, k)) for k in SESSION_KINDS]


def role_choices():
    labels = {
        "speaker": _l("Speaker"),
        "moderator": _l("Moderator"),
        "chair": _l("Chair"),
        "panellist": _l("Panellist"),
    }
    return [SelectChoice(k, labels.get(k, k)) for k in SPEAKER_ROLES]


def language_choices():
    from ..i18n import LANGUAGE_NAMES

    return [SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]


class EventForm(FlaskForm):
    slug = StringField(
        _l("Short name (in the address)"),
        validators=[DataRequired(), Length(max=80), SingleLine(80)],
    )
    timezone = StringField(
        _l("Timezone"),
        validators=[DataRequired(), Length(max=64), SingleLine(64)],
        default="Asia/Riyadh",
    )
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day"), validators=[DataRequired()])
    default_language = SelectField(_l("Default language"), choices=language_choices())
    languages = MultiCheckboxField(
        _l("Languages offered"), choices=language_choices(), default=list(LANGUAGES)
    )
    capacity = IntegerField(_l("Capacity"), validators=[Optional(), NumberRange(min=0), Int32()])
    hybrid = BooleanField(_l("Hybrid (also online)"))
    online_url = StringField(
        _l("Online link"), validators=[Optional(), Length(max=500), SingleLine(500)]
    )
    online_opens_minutes = IntegerField(
        _l("Join links open (minutes before each session)"),
        validators=[
            Optional(),
            NumberRange(min=0, max=240, message=_l("Enter a number of minutes from 0 to 240.")),
        ],
        default=15,
    )
    online_in_person_links = BooleanField(_l("In-person registrants also get join links"))
    registration_opens_at = DateTimeLocalField(
        _l("Registration opens (local time)"), format=LOCAL_FORMATS, validators=[Optional()]
    )
    registration_closes_at = DateTimeLocalField(
        _l("Registration deadline (local time)"), format=LOCAL_FORMATS, validators=[Optional()]
    )
    digits = SelectField(
        _l("Digits in Arabic"),
        choices=[
            SelectChoice("latn", _l("Latin digits (0123456789)")),
            SelectChoice("arab", _l("Arabic-Indic digits (٠١٢٣٤٥٦٧٨٩)")),
        ],
        default="latn",
    )

    def validate_ends_on(self, field):
        problem = event_length_problem(self.starts_on.data, field.data)
        if problem:
            raise ValidationError(problem)


add_i18n(EventForm, "title", _l("Title"), max_length=300)
add_i18n(EventForm, "description", _l("Description"), textarea=True, max_length=5000)
add_i18n(EventForm, "venue_name", _l("Venue"), max_length=300)
add_i18n(EventForm, "venue_address", _l("Venue address"), textarea=True, max_length=1000)
add_i18n(EventForm, "organisers", _l("Hosted by"), max_length=500)


class ImportForm(FlaskForm):
    file = FileField(_l("Event file (JSON)"))


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token."""


class SpeakerRowForm(Form):
    person = SelectField(_l("Person"), choices=[], validate_choice=False)
    role = SelectField(_l("Role"), choices=role_choices)


class ChannelRowForm(Form):
    """One interpretation channel: from a language into another (both empty: no channel)."""

    source = SelectField(_l("From"), choices=[], validate_choice=False)
    target = SelectField(_l("Into"), choices=[], validate_choice=False)

    def validate_target(self, field):
        if bool(self.source.data) != bool(field.data):
            raise ValidationError(_l("Choose both languages of the interpretation channel."))


class SessionForm(FlaskForm):
    key = StringField(_l("Key (optional)"), validators=[Optional(), Length(max=80), SingleLine(80)])
    kind = SelectField(_l("Kind"), choices=kind_choices, default="panel")
    starts_at = DateTimeLocalField(
        _l("Starts (local time)"), format=LOCAL_FORMATS, validators=[DataRequired()]
    )
    ends_at = DateTimeLocalField(
        _l("Ends (local time)"), format=LOCAL_FORMATS, validators=[DataRequired()]
    )
    room = SelectField(_l("Room"), choices=[], validate_choice=False)
    capacity = IntegerField(
        _l("Capacity (only for sessions that need a sign-up)"),
        validators=[Optional(), NumberRange(min=0), Int32()],
    )
    track = StringField(_l("Track"), validators=[Optional(), Length(max=120), SingleLine(120)])
    speakers = FieldList(FormField(SpeakerRowForm), min_entries=0)
    # checked against the event's languages by services/session_languages (translated messages)
    languages = MultiCheckboxField(_l("Spoken languages"), choices=[], validate_choice=False)
    interpretation = FieldList(FormField(ChannelRowForm), min_entries=0)
    online_url = StringField(
        _l("Online link (meeting or stream)"),
        validators=[Optional(), SingleLine(500)],
    )
    recording_url = StringField(_l("Recording link"), validators=[Optional(), SingleLine(500)])


add_i18n(SessionForm, "title", _l("Title"), max_length=300)
add_i18n(SessionForm, "abstract", _l("Abstract"), textarea=True, max_length=5000)


class MoveForm(FlaskForm):
    starts_at = DateTimeLocalField(
        _l("New start (local time)"), format=LOCAL_FORMATS, validators=[DataRequired()]
    )
    room = SelectField(_l("Room"), choices=[], validate_choice=False)


class RoomForm(FlaskForm):
    key = StringField(_l("Key (optional)"), validators=[Optional(), Length(max=80), SingleLine(80)])
    capacity = IntegerField(_l("Seats"), validators=[Optional(), NumberRange(min=0), Int32()])
    position = IntegerField(_l("Order"), validators=[Optional(), Int32()])


add_i18n(RoomForm, "name", _l("Name"), max_length=200)


class PersonForm(FlaskForm):
    key = StringField(_l("Key (optional)"), validators=[Optional(), Length(max=80), SingleLine(80)])
    email = EmailField(_l("Email"), validators=[Optional(), EmailChars(), Email(), Length(max=254)])
    country = SelectField(_l("Country"), choices=[], validate_choice=False)
    photo = FileField(_l("Photo (JPEG or PNG, up to 5 MB)"))


add_i18n(PersonForm, "name", _l("Name"), max_length=200)
add_i18n(PersonForm, "title", _l("Title or position"), max_length=300)
add_i18n(PersonForm, "organisation", _l("Organisation"), max_length=300)
add_i18n(PersonForm, "city", _l("City"), max_length=120)
add_i18n(PersonForm, "bio", _l("Biography"), textarea=True, max_length=10000)


class InviteForm(FlaskForm):
    language = SelectField(_l("Language of the email"), choices=language_choices())


class ManualRegistrationForm(FlaskForm):
    full_name = StringField(
        _l("Full name"), validators=[DataRequired(), Length(max=200), SingleLine(200)]
    )
    email = EmailField(
        _l("Email"), validators=[DataRequired(), EmailChars(), Email(), Length(max=254)]
    )
    organisation = StringField(
        _l("Organisation"), validators=[Optional(), Length(max=200), SingleLine(200)]
    )
    job_title = StringField(
        _l("Job title"), validators=[Optional(), Length(max=200), SingleLine(200)]
    )
    country = SelectField(_l("Country"), choices=[], validate_choice=False)
    city = StringField(_l("City"), validators=[Optional(), Length(max=120), SingleLine(120)])
    attendance_mode = SelectField(
        _l("Attendance"),
        choices=[
            SelectChoice(m, {"in_person": _l("In person"), "online": _l("Online")}[m])
            for m in ATTENDANCE_MODES
        ],
    )
    preferred_language = SelectField(_l("Preferred language"), choices=language_choices())
    sessions = MultiCheckboxField(_l("Sessions"), choices=[], validate_choice=False)
    accessibility_needs = TextAreaField(
        _l("Accessibility needs"), validators=[Optional(), Length(max=2000), MultiLine(2000)]
    )
    # Shown when two chosen sessions overlap: the organiser may keep both (audit-logged)
    allow_overlap = BooleanField(_l("Keep both sessions although they take place at the same time"))


class BulkEmailForm(FlaskForm):
    """Subjects are one-line headers: ``SingleLine`` (services/textcheck) refuses a line break
    or another control character, as in every single-line field."""


add_i18n(BulkEmailForm, "subject", _l("Subject"), max_length=300)
add_i18n(BulkEmailForm, "body", _l("Message"), textarea=True, max_length=20000)


class UserCreateForm(FlaskForm):
    email = EmailField(
        _l("Email"), validators=[DataRequired(), EmailChars(), Email(), Length(max=254)]
    )
    display_name = StringField(
        _l("Name"), validators=[Optional(), Length(max=200), SingleLine(200)]
    )
    role = SelectField(_l("Role"), choices=[])
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(),
            Length(min=10, max=200, message=_l("The password must have at least 10 characters.")),
        ],
    )
    events = MultiCheckboxField(_l("Events (organisers)"), choices=[], coerce=int)


class UserEditForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[])
    events = MultiCheckboxField(_l("Events (organisers)"), choices=[], coerce=int)
    active = BooleanField(_l("Active"))


def role_labels():
    return {
        "admin": _l("Administrator"),
        "organiser": _l("Organiser"),
        "checkin": _l("Check-in staff"),
    }


def user_role_choices():
    labels = role_labels()
    return [SelectChoice(r, labels[r]) for r in ROLES]


__all__ = [
    "ActionForm",
    "BulkEmailForm",
    "EventForm",
    "HiddenField",
    "ImportForm",
    "InviteForm",
    "ManualRegistrationForm",
    "MoveForm",
    "PersonForm",
    "RoomForm",
    "SessionForm",
    "UserCreateForm",
    "UserEditForm",
]
