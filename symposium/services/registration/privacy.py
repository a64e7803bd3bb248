"""Privacy: the personal link, "download my data" and "delete my data"."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session as OrmSession

from ...i18n import LANGUAGES, localize
from ...models import FeedbackAnswer, FeedbackResponse, Registration, SessionJoin
from ...models.types import utcnow
from .. import audit
from .register import _new_token
from .waitlists import Promotions, cancel, session_waitlist_position, waitlist_position


def anonymise(session: OrmSession, registration: Registration, *, by=None) -> Promotions:
    """Delete the personal data of a registration (the row stays, for the counts).

    The seat is freed (the next person waiting is promoted), every personal field is replaced,
    the personal link stops working (new token). Returns the promoted registrations.
    """
    promoted = cancel(session, registration, by=by, notify=False)
    marker = secrets.token_hex(8)
    registration.full_name = "—"
    registration.email = f"deleted-{marker}@invalid"
    registration.email_normalized = registration.email
    registration.organisation = None
    registration.job_title = None
    registration.country = None
    registration.city = None
    registration.accessibility_needs = None
    registration.search_text = ""
    # Feedback answers may hold free text about the person: they go too
    responses = select(FeedbackResponse.id).where(
        FeedbackResponse.registration_id == registration.id
    )
    session.execute(delete(FeedbackAnswer).where(FeedbackAnswer.response_id.in_(responses)))
    session.execute(
        delete(FeedbackResponse).where(FeedbackResponse.registration_id == registration.id)
    )
    registration.token = _new_token()
    registration.anonymised_at = utcnow()
    registration.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        "registration.anonymise",
        user=by,
        event=registration.event,
        target=f"registration:{registration.id}",
    )
    return promoted


def personal_url(registration: Registration, lang: str | None = None) -> str:
    """The absolute personal (self-service) link, on SYMPOSIUM_BASE_URL."""
    base = current_app.config["SYMPOSIUM_BASE_URL"].rstrip("/")
    lang = lang if lang in LANGUAGES else registration.preferred_language
    if lang not in LANGUAGES:
        lang = "ar"
    return f"{base}/{lang}/r/{registration.token}"


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def export_data(session: OrmSession, registration: Registration) -> dict:
    """Everything stored about this person, for the "download my data" link."""
    event = registration.event
    signups = []
    for signup in sorted(registration.session_signups, key=lambda s: s.session.starts_at):
        signups.append(
            {
                "session": signup.session.key,
                "title": signup.session.t("title", registration.preferred_language),
                "starts_at": _iso(signup.session.starts_at),
                "status": signup.status,
                "waitlist_position": session_waitlist_position(session, signup),
                "registered_at": _iso(signup.created_at),
                "attended_at": _iso(signup.attended_at),
            }
        )
    joins = session.scalars(
        select(SessionJoin)
        .where(SessionJoin.registration_id == registration.id)
        .order_by(SessionJoin.first_joined_at)
    ).all()
    response = session.scalar(
        select(FeedbackResponse).where(FeedbackResponse.registration_id == registration.id)
    )
    feedback = None
    if response is not None:
        feedback = {
            "submitted_at": _iso(response.submitted_at),
            "updated_at": _iso(response.updated_at),
            "answers": [
                {
                    "question": localize(
                        answer.question.text,
                        registration.preferred_language,
                        event.default_language,
                    ),
                    "session": answer.session.key if answer.session else None,
                    "rating": answer.rating,
                    "choice": answer.choice,
                    "text": answer.text,
                }
                for answer in sorted(response.answers, key=lambda a: (a.question_id, a.id))
            ],
        }
    return {
        "event": {"slug": event.slug, "title": event.t("title", registration.preferred_language)},
        "status": registration.status,
        "waitlist_position": waitlist_position(session, registration),
        "full_name": registration.full_name,
        "email": registration.email,
        "organisation": registration.organisation,
        "job_title": registration.job_title,
        "country": registration.country,
        "city": registration.city,
        "attendance_mode": registration.attendance_mode,
        "preferred_language": registration.preferred_language,
        "accessibility_needs": registration.accessibility_needs,
        "consent_version": registration.consent_version,
        "consented_at": _iso(registration.consented_at),
        "source": registration.source,
        "registered_at": _iso(registration.created_at),
        "updated_at": _iso(registration.updated_at),
        "confirmed_at": _iso(registration.confirmed_at),
        "cancelled_at": _iso(registration.cancelled_at),
        "checked_in_at": _iso(registration.checked_in_at),
        "sessions": signups,
        "online_joins": [
            {
                "session": join.session.key,
                "first_joined_at": _iso(join.first_joined_at),
                "last_joined_at": _iso(join.last_joined_at),
                "joins": join.joins,
            }
            for join in joins
        ],
        "feedback": feedback,
    }
