"""Forms of the workspace's feedback pages: a question, the settings, the actions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Optional

from ..services.feedback import DEFAULT_OPEN_DAYS
from .forms import LOCAL_FORMATS, add_i18n


def question_kind_choices():
    return [
        SelectChoice("rating", _l("Rating from 1 to 5 per session")),
        SelectChoice("choice", _l("Choice")),
        SelectChoice("text", _l("Free text")),
    ]


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Kind of question"), choices=question_kind_choices, default="rating")
    required = BooleanField(_l("An answer is required"))


add_i18n(QuestionForm, "text", _l("Question"), max_length=500)
add_i18n(
    QuestionForm,
    "choices",
    _l("Choices (choice questions only: one per line, in the same order in every language)"),
    textarea=True,
    max_length=3000,
)


class FeedbackSettingsForm(FlaskForm):
    opens = DateTimeLocalField(
        _l("Opens (local time; empty: when the event ends)"),
        format=LOCAL_FORMATS,
        validators=[Optional()],
    )
    closes_at = DateTimeLocalField(
        _l(
            "Closing date (local time; empty: %(days)d days after the event ends)",
            days=DEFAULT_OPEN_DAYS,
        ),
        format=LOCAL_FORMATS,
        validators=[Optional()],
    )
    required_for_certificate = BooleanField(
        _l("Release the certificate only once the questionnaire is answered")
    )
    auto_invite = BooleanField(_l("Email the questionnaire link to registrants when it opens"))


class FeedbackActionForm(FlaskForm):
    """A POST button with its CSRF token."""


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(("up", "down"))])
