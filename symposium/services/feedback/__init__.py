"""Feedback questionnaires (issue 13, point 5).

An event's organisers write a short questionnaire (multilingual questions: a 1-5 rating per
attended session, choices, free text); confirmed registrants answer it from their personal
page after the event and may change their answers until the closing date; organisers see
the results as SVG charts and export them (CSV, XLSX). See docs/feedback.md.

- ``questionnaire``: settings (Event.settings["feedback"]), questions (add, edit, delete, move)
- ``answers``: who may answer, which sessions they rate, storing the answers
- ``results``: counts, charts, exports
- ``invites``: the "questionnaire link" email, once per registrant
- ``demo``: the demo events' sample questionnaire
"""

from __future__ import annotations

from .answers import (
    RATINGS,
    TEXT_MAX,
    FeedbackClosed,
    Rated,
    check_answers,
    closed_message,
    current_values,
    field_key,
    has_answered,
    may_answer,
    rated_sessions,
    response_of,
    submit,
)
from .questionnaire import (
    DEFAULT_OPEN_DAYS,
    FeedbackError,
    FeedbackSettings,
    QuestionData,
    add_question,
    choice_label,
    choice_lines,
    closes_at,
    delete_question,
    edit_question,
    get_settings,
    move_question,
    opens_at,
    phase,
    question_text,
    questions,
    required_for_certificate,
    update_settings,
    when,
)

__all__ = [
    "DEFAULT_OPEN_DAYS",
    "RATINGS",
    "TEXT_MAX",
    "FeedbackClosed",
    "FeedbackError",
    "FeedbackSettings",
    "QuestionData",
    "Rated",
    "add_question",
    "check_answers",
    "choice_label",
    "choice_lines",
    "closed_message",
    "closes_at",
    "current_values",
    "delete_question",
    "edit_question",
    "field_key",
    "get_settings",
    "has_answered",
    "may_answer",
    "move_question",
    "opens_at",
    "phase",
    "question_text",
    "questions",
    "rated_sessions",
    "required_for_certificate",
    "response_of",
    "submit",
    "update_settings",
    "when",
]

INVITES_PATH = "symposium.services.feedback.invites:run_due"


def init_app(app) -> None:
    """Questionnaire links emailed by themselves once they open: every 5 minutes, on the
    shared scheduler (in-process, Celery beat or ``flask jobs run-due``)."""
    from ... import scheduler

    scheduler.register_periodic(
        "feedback-invites",
        float(app.config.get("FEEDBACK_INVITE_SWEEP_SECONDS") or 300),
        INVITES_PATH,
    )
