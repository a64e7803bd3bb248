"""Emails to registrants: confirmation, waiting list, promotion, cancellation, link re-sent.

Each email is rendered in the registrant's preferred language (subject, plain text and HTML),
carries the personal link (on SYMPOSIUM_BASE_URL) and an .ics file of the event, and is queued
in the outbox inside the caller's transaction: it leaves only if the change is committed.
"""

from __future__ import annotations

from flask import render_template
from sqlalchemy.orm import Session as OrmSession

from ..i18n import fmt_date, language, text_direction, tz_label
from ..models import Registration, SessionRegistration
from . import ics, mail

# status / action -> outbox kind
KINDS = {
    "confirmed": "confirmation",
    "waitlisted": "waitlist",
    "promotion": "promotion",
    "cancellation": "cancellation",
    "already": "already_registered",
    "session_promotion": "session_promotion",
}


def render(session: OrmSession, registration: Registration, what: str, *, signup=None):
    """The (subject, text, html) of one email, in the registrant's language."""
    from .registration import personal_url, session_waitlist_position, waitlist_position

    kind = KINDS[what]
    event = registration.event
    with language(registration.preferred_language) as lang:
        context = {
            "kind": kind,
            "registration": registration,
            "event": event,
            "lang": lang,
            "text_dir": text_direction(lang),
            "url": personal_url(registration, lang),
            "position": waitlist_position(session, registration),
            "signup": signup,
            "signup_position": session_waitlist_position(session, signup) if signup else None,
            "event_title": event.t("title", lang),
            "dates": _dates(event, lang),
            "venue": event.t("venue_name", lang),
            "timezone": tz_label(event.timezone, lang),
            "sessions": [s for s in registration.session_signups if s.session is not None],
        }
        subject = " ".join(render_template("email/registration_subject.txt", **context).split())
        text = render_template("email/registration_email.txt", **context)
        html = render_template("email/registration_email.html", **context)
    return subject, text, html, lang


def _dates(event, lang: str) -> str:
    first = fmt_date(event.starts_on, lang, "long")
    if event.ends_on and event.ends_on != event.starts_on:
        return f"{first} – {fmt_date(event.ends_on, lang, 'long')}"
    return first


def notify(
    session: OrmSession,
    registration: Registration,
    what: str,
    *,
    signup: SessionRegistration | None = None,
):
    """Queue the email ``what`` (a key of KINDS) to the registrant; returns the outbox row."""
    if registration.anonymised_at is not None:
        return None
    subject, text, html, lang = render(session, registration, what, signup=signup)
    attachments = []
    if what != "cancellation":
        with language(lang):
            content = ics.registration_ics(registration, lang, url=_url(registration))
        attachments.append(mail.Attachment("event.ics", content, "text", "calendar"))
    message = mail.build_message(
        to=registration.email,
        subject=subject,
        text=text,
        html=html,
        attachments=attachments,
        lang=lang,
    )
    return mail.queue_email(session, message, kind=KINDS[what])


def _url(registration: Registration) -> str:
    from .registration import personal_url

    return personal_url(registration)
