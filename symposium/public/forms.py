"""Registration forms (Flask-WTF: CSRF on every POST)."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, StopValidation, ValidationError
from wtforms.widgets import ListWidget

from ..i18n import LANGUAGE_NAMES, LANGUAGES, country_choices
from ..services.registration import (
    MAX_LENGTHS,
    email_problem,
    normalize_text,
    text_problem,
)
from ..services.textcheck import EmailChars, MultiLine, SingleLine
from .widgets import (
    CachedSelect,
    CheckboxInput,
    EmailInput,
    RadioInput,
    TextArea,
    TextInput,
    fast_labels,
)


@lru_cache(maxsize=8)
def _countries(lang: str) -> tuple[SelectChoice, ...]:
    """Countries named in ``lang`` (computed once per language: ~250 Babel lookups)."""
    return tuple(SelectChoice(code, name) for code, name in country_choices(lang))


@lru_cache(maxsize=8)
def _country_choices(lang: str) -> tuple[SelectChoice, ...]:
    """The country select's options in ``lang``, "— Choose —" first: one tuple per language
    and process, so that ``CachedSelect`` renders its options once (call in ``lang``'s
    locale: the form is built for the request's language)."""
    return (SelectChoice("", _("— Choose —")), *_countries(lang))


_LANGUAGE_CHOICES = tuple(SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES)


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    return frozenset(code for code, _name in country_choices("en"))


def _strip(value):
    return normalize_text(value) if isinstance(value, str) else value


class CleanText:
    """Refuse control and bidi override characters (and < > in names)."""

    def __init__(self, *, multiline: bool = False, name: bool = False):
        self.multiline = multiline
        self.name = name

    def __call__(self, form, field):
        problem = text_problem(field.data, multiline=self.multiline, name=self.name)
        if problem:
            raise ValidationError(problem)


class MaxLength(Length):
    def __init__(self, max_length: int):
        super().__init__(max=max_length)

    def __call__(self, form, field):
        if field.data and len(field.data) > self.max:
            raise ValidationError(_("Please use at most %(max)d characters.", max=self.max))


class Required:
    """Like InputRequired, with our own translated message; stops the field's other checks."""

    field_flags = {"required": True}

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not field.data:
            raise StopValidation(str(self.message))


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        # Unknown keys are reported by the service with a clear message
        pass


class RegistrationForm(FlaskForm):
    full_name = StringField(
        _l("Full name"),
        widget=TextInput(),
        filters=[_strip],
        validators=[
            Required(_l("Please enter your full name.")),
            MaxLength(MAX_LENGTHS["full_name"]),
            CleanText(name=True),
            SingleLine(),
        ],
        render_kw={"autocomplete": "name", "maxlength": MAX_LENGTHS["full_name"]},
    )
    email = EmailField(
        _l("Email"),
        widget=EmailInput(),
        filters=[_strip],
        validators=[Required(_l("Please enter your email address.")), EmailChars()],
        render_kw={"autocomplete": "email", "maxlength": MAX_LENGTHS["email"], "dir": "ltr"},
    )
    organisation = StringField(
        _l("Organisation"),
        widget=TextInput(),
        filters=[_strip],
        validators=[
            Optional(),
            MaxLength(MAX_LENGTHS["organisation"]),
            CleanText(),
            SingleLine(),
        ],
        render_kw={"autocomplete": "organization", "maxlength": MAX_LENGTHS["organisation"]},
    )
    job_title = StringField(
        _l("Job title"),
        widget=TextInput(),
        filters=[_strip],
        validators=[Optional(), MaxLength(MAX_LENGTHS["job_title"]), CleanText(), SingleLine()],
        render_kw={"autocomplete": "organization-title", "maxlength": MAX_LENGTHS["job_title"]},
    )
    country = SelectField(_l("Country"), choices=(), validate_choice=False, widget=CachedSelect())
    city = StringField(
        _l("City"),
        widget=TextInput(),
        filters=[_strip],
        validators=[Optional(), MaxLength(MAX_LENGTHS["city"]), CleanText(), SingleLine()],
        render_kw={"autocomplete": "address-level2", "maxlength": MAX_LENGTHS["city"]},
    )
    attendance_mode = RadioField(
        _l("How will you attend?"),
        choices=[SelectChoice("in_person", _l("In person")), SelectChoice("online", _l("Online"))],
        default="in_person",
        validate_choice=False,
        option_widget=RadioInput(),
    )
    preferred_language = SelectField(
        _l("Language for emails"),
        choices=(),  # _LANGUAGE_CHOICES, set per form: WTForms copies these into a list
        validate_choice=False,
        widget=CachedSelect(),
    )
    sessions = CheckboxList(_l("Sessions that need a sign-up"), choices=[])
    accessibility_needs = TextAreaField(
        _l("Accessibility needs"),
        widget=TextArea(),
        filters=[_strip],
        validators=[
            Optional(),
            MaxLength(MAX_LENGTHS["accessibility_needs"]),
            CleanText(multiline=True),
            MultiLine(),
        ],
        render_kw={"maxlength": MAX_LENGTHS["accessibility_needs"], "rows": 3},
    )
    consent = BooleanField(
        _l("I have read the privacy notice and agree that my data is used for this event."),
        widget=CheckboxInput(),
        validators=[Required(_l("Please accept the privacy notice to register."))],
    )
    # Honeypot: hidden from people (CSS class "hp"), filled by naive bots
    website = StringField(
        _l("Leave this field empty"),
        widget=TextInput(),
        render_kw={"autocomplete": "off", "tabindex": "-1"},
    )

    def set_session_choices(self, session_choices) -> None:
        self.sessions.choices = [SelectChoice(key, label) for key, label in session_choices]

    def __init__(self, *args, lang: str, session_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        fast_labels(self)
        self.country.choices = _country_choices(lang)
        self.preferred_language.choices = _LANGUAGE_CHOICES
        self.sessions.choices = [SelectChoice(key, label) for key, label in session_choices]
        if not self.preferred_language.data:
            self.preferred_language.data = lang

    def validate_email(self, field):
        problem = text_problem(field.data) or email_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_country(self, field):
        if field.data and field.data not in _country_codes():
            raise ValidationError(_("Please choose a country from the list."))

    def validate_attendance_mode(self, field):
        if field.data not in ("in_person", "online"):
            raise ValidationError(_("Please choose how you will attend."))

    def validate_preferred_language(self, field):
        if field.data not in LANGUAGES:
            raise ValidationError(_("Please choose a language."))


class SessionChoiceForm(FlaskForm):
    sessions = CheckboxList(_l("Sessions"), choices=[])


class ConfirmForm(FlaskForm):
    """A confirmation step (cancel, delete my data): only the CSRF token."""
