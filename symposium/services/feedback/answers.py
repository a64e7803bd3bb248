"""Answering the questionnaire: who may answer, which sessions they rate, and storing answers.

Which sessions a registrant rates (``rated_sessions``):
- when their attendance of sessions is known (a session sign-up marked attended, or a join
  through their personal online link), exactly those sessions: every rating question must
  then be answered for each of them when it is required;
- otherwise every session of the event except breaks and the sessions with their own
  capacity in which they had no confirmed seat; they skip the ones they did not attend, and
  a required rating question needs a rating for at least one session.

Answers are replaced as a whole (delete and insert in one transaction) until the closing
date; one ``FeedbackResponse`` per registration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from ...models import (
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
    Registration,
    Session,
    SessionJoin,
    SessionRegistration,
)
from ...models.types import utcnow
from ..textcheck import text_problem
from .questionnaire import FeedbackError, phase, questions

TEXT_MAX = 2000  # characters of a free-text answer
RATINGS = (1, 2, 3, 4, 5)


def may_answer(registration: Registration | None) -> bool:
    """Only confirmed registrations whose data was not deleted may answer."""
    return (
        registration is not None
        and registration.status == "confirmed"
        and registration.anonymised_at is None
    )


def field_key(question: FeedbackQuestion, session: Session | None = None) -> str:
    """The name of one answer in forms and in ``submit``'s values: q<id> or q<id>_s<id>."""
    if session is not None:
        return f"q{question.id}_s{session.id}"
    return f"q{question.id}"


@dataclass
class Rated:
    sessions: list[Session]
    attendance_known: bool


def rated_sessions(session: OrmSession, registration: Registration) -> Rated:
    """The sessions ``registration`` rates, in agenda order (see the module's docstring)."""
    # checked in at the room's door or joined online: one query
    attended = set(
        session.scalars(
            union(
                select(SessionRegistration.session_id).where(
                    SessionRegistration.registration_id == registration.id,
                    SessionRegistration.attended_at.is_not(None),
                ),
                select(SessionJoin.session_id).where(
                    SessionJoin.registration_id == registration.id
                ),
            )
        )
    )
    items = list(
        session.scalars(
            select(Session)
            .where(Session.event_id == registration.event_id)
            .order_by(Session.starts_at, Session.position, Session.id)
        )
    )
    if attended:
        return Rated([s for s in items if s.id in attended], True)
    seats = set(
        session.scalars(
            select(SessionRegistration.session_id).where(
                SessionRegistration.registration_id == registration.id,
                SessionRegistration.status == "confirmed",
            )
        )
    )
    listed = [s for s in items if s.kind != "break" and (s.capacity is None or s.id in seats)]
    return Rated(listed, False)


def response_of(session: OrmSession, registration: Registration) -> FeedbackResponse | None:
    return session.scalar(
        select(FeedbackResponse).where(FeedbackResponse.registration_id == registration.id)
    )


def has_answered(session: OrmSession, registration: Registration) -> bool:
    """True when ``registration`` has submitted the questionnaire (for the certificate gate)."""
    return response_of(session, registration) is not None


def answer_count(session: OrmSession, question: FeedbackQuestion) -> int:
    return session.scalar(
        select(func.count(FeedbackAnswer.id)).where(FeedbackAnswer.question_id == question.id)
    )


def current_values(response: FeedbackResponse | None) -> dict[str, str]:
    """The stored answers as form values (field key -> text)."""
    values: dict[str, str] = {}
    for answer in response.answers if response else []:
        key = f"q{answer.question_id}" + (f"_s{answer.session_id}" if answer.session_id else "")
        if answer.rating is not None:
            values[key] = str(answer.rating)
        elif answer.choice is not None:
            values[key] = answer.choice
        elif answer.text is not None:
            values[key] = answer.text
    return values


@dataclass
class Checked:
    """Validated answers, ready to store."""

    rows: list[dict] = field(default_factory=list)


def check_answers(
    session: OrmSession, registration: Registration, values: dict[str, str | None]
) -> Checked:
    """Validate raw form values; FeedbackError with one translated message per field."""
    event = registration.event
    rated = rated_sessions(session, registration)
    fields: dict[str, str] = {}
    checked = Checked()
    for question in questions(session, event):
        if question.kind == "rating":
            given = 0
            for item in rated.sessions:
                key = field_key(question, item)
                raw = (values.get(key) or "").strip()
                if not raw:
                    if question.required and rated.attendance_known:
                        fields[key] = _("Please give a rating from 1 to 5.")
                    continue
                if raw not in {str(r) for r in RATINGS}:
                    fields[key] = _("Please give a rating from 1 to 5.")
                    continue
                given += 1
                checked.rows.append(
                    {"question_id": question.id, "session_id": item.id, "rating": int(raw)}
                )
            if question.required and not rated.attendance_known and rated.sessions and not given:
                fields.setdefault(
                    field_key(question, rated.sessions[0]), _("Please rate at least one session.")
                )
        elif question.kind == "choice":
            key = field_key(question)
            raw = (values.get(key) or "").strip()
            keys = {c.get("key") for c in question.choices or []}
            if not raw:
                if question.required:
                    fields[key] = _("Please choose an answer.")
                continue
            if raw not in keys:
                fields[key] = _("Please choose one of the answers offered.")
                continue
            checked.rows.append({"question_id": question.id, "choice": raw})
        else:
            key = field_key(question)
            raw = (values.get(key) or "").strip()
            if not raw:
                if question.required:
                    fields[key] = _("Please answer this question.")
                continue
            problem = text_problem(raw, multiline=True, max_length=TEXT_MAX)
            if problem:
                fields[key] = problem
                continue
            checked.rows.append({"question_id": question.id, "text": raw})
    if fields:
        raise FeedbackError([_("Some answers need your attention; nothing was saved.")], fields)
    return checked


class FeedbackClosed(FeedbackError):
    pass


def closed_message(registration: Registration, now: datetime | None = None) -> str | None:
    """Why ``registration`` may not answer now (translated), or None."""
    if not may_answer(registration):
        return _("Only confirmed registrations can answer the questionnaire.")
    state = phase(registration.event, now)
    if state == "before":
        return _("The questionnaire is not open yet.")
    if state == "closed":
        return _("The questionnaire is closed: your answers can no longer be changed.")
    return None


def submit(
    session: OrmSession,
    registration: Registration,
    values: dict[str, str | None],
    *,
    now: datetime | None = None,
) -> FeedbackResponse:
    """Store (or replace) the answers of ``registration``. Raises FeedbackClosed when it may
    not answer now, FeedbackError when an answer is refused (nothing is written then)."""
    now = now or utcnow()
    problem = closed_message(registration, now)
    if problem:
        raise FeedbackClosed([problem])
    checked = check_answers(session, registration, values)
    response = response_of(session, registration)
    created = False
    if response is None:
        try:
            with session.begin_nested():
                response = FeedbackResponse(
                    event_id=registration.event_id,
                    registration_id=registration.id,
                    submitted_at=now,
                    updated_at=now,
                )
                session.add(response)
                session.flush()
            created = True
        except IntegrityError:
            # the same person sent the form twice at the same moment: replace the other one
            response = response_of(session, registration)
    if not created:
        # Lock the response (PostgreSQL) so that two changes sent at once replace the answers
        # one after the other instead of mixing them
        session.scalar(
            select(FeedbackResponse.id).where(FeedbackResponse.id == response.id).with_for_update()
        )
        response.updated_at = now
        session.execute(
            FeedbackAnswer.__table__.delete().where(FeedbackAnswer.response_id == response.id)
        )
        session.expire(response, ["answers"])
    for row in checked.rows:
        session.add(FeedbackAnswer(response_id=response.id, **row))
    session.flush()
    session.expire(response, ["answers"])
    return response
