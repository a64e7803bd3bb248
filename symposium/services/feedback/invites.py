"""The "questionnaire link" email: one per confirmed registrant, in their language, once.

Each email is queued together with a ``ReminderLog(registration, "feedback-invite")`` row in
the same savepoint; the row's unique key makes a second press (or two organisers pressing at
the same moment) skip everyone already invited, so nobody gets the email twice. People who
unsubscribed from the organisers' messages of the event are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from ...i18n import language, text_direction, use_numbering
from ...models import Event, FeedbackQuestion, Registration, ReminderLog
from ...models.types import utcnow
from .. import audit, mail, unsubscribe
from ..event_time import has_ended
from .questionnaire import FeedbackError, closes_at, get_settings, phase, questions, when

INVITE_KEY = "feedback-invite"
# Events looked at by the periodic invitations: those that ended within this many days
AUTO_INVITE_WINDOW_DAYS = 366
KIND = "feedback-invite"


@dataclass
class InviteResult:
    queued: int = 0
    already: int = 0
    unsubscribed: int = 0
    failed: int = 0


def feedback_url(registration: Registration, lang: str) -> str:
    base = current_app.config["SYMPOSIUM_BASE_URL"].rstrip("/")
    return f"{base}/{lang}/r/{registration.token}/feedback"


def render_invite(registration: Registration) -> tuple[str, str, str, str]:
    """(subject, text, html, lang) of the email, in the registrant's language."""
    from ..notifications import email_environment

    event = registration.event
    with language(registration.preferred_language) as lang, use_numbering(event):
        context = {
            "event": event,
            "registration": registration,
            "lang": lang,
            "text_dir": text_direction(lang),
            "event_title": event.t("title", lang),
            "url": feedback_url(registration, lang),
            "closes": when(closes_at(event), event, lang),
        }
        subject = _("Your opinion on %(event)s", event=context["event_title"])
        env = email_environment(lang)
        text = env.get_template("email/feedback_invite.txt").render(context)
        html = env.get_template("email/feedback_invite.html").render(context)
    return subject, text, html, lang


def send_due_invites(session: OrmSession, now=None) -> int:
    """The periodic part: for every published event whose questionnaire is open and set to
    invite by itself (``auto_invite``, the default), invite whoever has not been invited yet
    (each once: the same ``ReminderLog`` claim as the organiser's button). Commits per event;
    returns the number of emails queued."""
    now = now or utcnow()
    recent = now.date() - timedelta(days=AUTO_INVITE_WINDOW_DAYS)
    events = session.scalars(
        select(Event)
        .where(
            Event.status == "published",
            Event.ends_on >= recent,
            exists().where(FeedbackQuestion.event_id == Event.id),
        )
        .order_by(Event.id)
    ).all()
    queued = 0
    for event in events:
        if not get_settings(event).auto_invite or phase(event, now) != "open":
            continue
        if not has_ended(event, now):
            continue
        result = send_invites(session, event, now=now, audit_empty=False)
        session.commit()
        queued += result.queued
    return queued


def run_due() -> dict[str, int]:
    """The periodic job (scheduler "feedback-invites")."""
    from ...extensions import db

    return {"feedback_invites": send_due_invites(db.session)}


def send_invites(
    session: OrmSession, event: Event, *, user=None, now=None, audit_empty: bool = True
) -> InviteResult:
    """Queue the questionnaire email for every confirmed registrant not invited yet."""
    now = now or utcnow()
    if not questions(session, event):
        raise FeedbackError([_("Add at least one question before sending the link.")])
    if not has_ended(event, now):
        raise FeedbackError([_("The questionnaire link can be sent once the event has ended.")])
    if phase(event, now) == "closed":
        raise FeedbackError([_("The questionnaire is closed.")])
    invited = exists().where(
        ReminderLog.registration_id == Registration.id, ReminderLog.key == INVITE_KEY
    )
    candidates = session.scalars(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == "confirmed",
            Registration.anonymised_at.is_(None),
            ~invited,
        )
        .order_by(Registration.id)
    ).all()
    skip = unsubscribe.unsubscribed_emails(session, event.id)
    result = InviteResult()
    for registration in candidates:
        if registration.email_normalized in skip:
            result.unsubscribed += 1
            continue
        try:
            subject, text, html, lang = render_invite(registration)
            message = mail.build_raw(
                to=registration.email, subject=subject, text=text, html=html, lang=lang
            )
        except Exception as exc:  # noqa: BLE001 - one bad email must not stop the others
            current_app.logger.warning("feedback invite for %s: %s", registration.id, exc)
            mail.record_failed(session, recipient=registration.email, kind=KIND, error=exc)
            result.failed += 1
            continue
        try:
            with session.begin_nested():
                session.add(ReminderLog(registration_id=registration.id, key=INVITE_KEY))
                session.flush()
                mail.queue_email(session, message, kind=KIND)
                session.flush()
        except IntegrityError:
            result.already += 1  # invited meanwhile by another request
            continue
        result.queued += 1
    if not audit_empty and not result.queued:
        return result
    audit.record(
        session,
        "feedback.invite",
        user=user,
        event=event,
        details={"queued": result.queued, "unsubscribed": result.unsubscribed},
    )
    return result
