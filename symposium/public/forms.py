"""Registration forms (Flask-WTF: CSRF on every POST)."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.validators import Length, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, Select
from wtforms.widgets.core import html_params

from ..i18n import LANGUAGE_NAMES, LANGUAGES, country_choices
from ..services.registration import (
    MAX_LENGTHS,
    email_problem,
    normalize_text,
    text_problem,
)
from ..services.textcheck import EmailChars, MultiLine, SingleLine


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


class CachedSelect(Select):
    """A ``<select>`` whose options are rendered once per process when the field's choices
    are an immutable tuple kept for the process (the ~250 countries: rendering them option by
    option was most of the registration form's cost). Each render only marks the selected
    option; the ``<select>`` attributes (id, name, aria-invalid, ...) are rendered as usual.
    Other choices (a list built per request) are rendered by WTForms' own widget."""

    def __init__(self):
        super().__init__(multiple=False)
        # id(choices) -> (choices, options HTML, {value: (start, end, selected HTML)})
        self._cache: dict[int, tuple] = {}

    def _options(self, field, choices: tuple) -> tuple[str, dict] | None:
        entry = self._cache.get(id(choices))
        if entry is None or entry[0] is not choices:
            if any(not isinstance(c, SelectChoice) or c.optgroup is not None for c in choices):
                return None
            html, index = [], {}
            position = 0
            for choice in choices:
                value, label = choice.value, choice.label
                kw = choice.render_kw or {}
                plain = str(self.render_option(Choice(value, label, False, kw)))
                selected = str(self.render_option(Choice(value, label, True, kw)))
                index.setdefault(field.coerce(value), (position, position + len(plain), selected))
                html.append(plain)
                position += len(plain)
            entry = (choices, "".join(html), index)
            if len(self._cache) > 64:  # choices tuples are per language: never reached
                self._cache.clear()
            self._cache[id(choices)] = entry
        return entry[1], entry[2]

    def __call__(self, field, **kwargs):
        cached = self._options(field, field.choices) if isinstance(field.choices, tuple) else None
        if cached is None:
            return super().__call__(field, **kwargs)
        options, index = cached
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        spot = index.get(field.data) if isinstance(field.data, str) else None
        if spot is not None:
            start, end, selected = spot
            options = options[:start] + selected + options[end:]
        # html_params escapes the attributes; the options were rendered (escaped) by WTForms
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")  # noqa: S704


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
        filters=[_strip],
        validators=[Required(_l("Please enter your email address.")), EmailChars()],
        render_kw={"autocomplete": "email", "maxlength": MAX_LENGTHS["email"], "dir": "ltr"},
    )
    organisation = StringField(
        _l("Organisation"),
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
        filters=[_strip],
        validators=[Optional(), MaxLength(MAX_LENGTHS["job_title"]), CleanText(), SingleLine()],
        render_kw={"autocomplete": "organization-title", "maxlength": MAX_LENGTHS["job_title"]},
    )
    country = SelectField(_l("Country"), choices=(), validate_choice=False, widget=CachedSelect())
    city = StringField(
        _l("City"),
        filters=[_strip],
        validators=[Optional(), MaxLength(MAX_LENGTHS["city"]), CleanText(), SingleLine()],
        render_kw={"autocomplete": "address-level2", "maxlength": MAX_LENGTHS["city"]},
    )
    attendance_mode = RadioField(
        _l("How will you attend?"),
        choices=[SelectChoice("in_person", _l("In person")), SelectChoice("online", _l("Online"))],
        default="in_person",
        validate_choice=False,
    )
    preferred_language = SelectField(
        _l("Language for emails"),
        choices=[SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        validate_choice=False,
    )
    sessions = CheckboxList(_l("Sessions that need a sign-up"), choices=[])
    accessibility_needs = TextAreaField(
        _l("Accessibility needs"),
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
        validators=[Required(_l("Please accept the privacy notice to register."))],
    )
    # Honeypot: hidden from people (CSS class "hp"), filled by naive bots
    website = StringField(
        _l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"}
    )

    def set_session_choices(self, session_choices) -> None:
        self.sessions.choices = [SelectChoice(key, label) for key, label in session_choices]

    def __init__(self, *args, lang: str, session_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = _country_choices(lang)
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
