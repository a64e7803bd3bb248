"""Emails to registrants: confirmation, waiting list, promotion, cancellation, link re-sent.

Each email is rendered in the registrant's preferred language (subject, plain text and HTML),
carries the personal link (on SYMPOSIUM_BASE_URL) and an .ics file of the event.

``notify`` (``services/notices.py``, re-exported here) only records a ``RegistrationNotice`` in
the caller's transaction. After the commit a background job (``process_pending``) renders the
owed emails into the outbox, whose delivery job sends them with retries; the periodic sweep
and ``flask mail send-pending`` do both for anything left over. A notice that cannot be
rendered becomes a ``failed`` outbox row with its reason: it never blocks the others.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import get_translations
from jinja2 import Environment
from sqlalchemy import select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..i18n import fmt_date, language, text_direction, tz_label, use_numbering
from ..models import Registration, SessionRegistration
from ..models.registration import RegistrationNotice
from ..models.types import utcnow
from . import ics, mail
from .notices import KINDS, notify, notify_new

__all__ = [
    "KINDS",
    "build_email",
    "email_environment",
    "notify",
    "notify_new",
    "process_pending",
    "render",
]


def render(session: OrmSession, registration: Registration, what: str, *, signup=None):
    """The (subject, text, html) of one email, in the registrant's language."""
    from .registration import personal_url, session_waitlist_position, waitlist_position

    kind = KINDS[what]
    event = registration.event
    with language(registration.preferred_language) as lang, use_numbering(event):
        context = {
            "kind": kind,
            "registration": registration,
            "event": event,
            "lang": lang,
            "text_dir": text_direction(lang),
            "url": personal_url(registration, lang),
            "position": waitlist_position(session, registration) if kind == "waitlist" else None,
            "signup": signup,
            "signup_position": session_waitlist_position(session, signup) if signup else None,
            "event_title": event.t("title", lang),
            "dates": _dates(event, lang),
            "venue": event.t("venue_name", lang),
            "timezone": tz_label(event.timezone, lang),
            "sessions": [s for s in registration.session_signups if s.session is not None],
        }
        env = email_environment(lang)
        subject = env.get_template("email/registration_subject.txt").render(context)
        subject = " ".join(subject.split())
        text = env.get_template("email/registration_email.txt").render(context)
        html = env.get_template("email/registration_email.html").render(context)
    return subject, text, html, lang


def email_environment(lang: str) -> Environment:
    """The app's Jinja environment (same loader, filters, globals and autoescaping) with the
    catalog of ``lang`` installed directly, one per language and application.

    Emails are rendered in bulk by background jobs: there each ``_()`` is then a lookup in
    the catalog instead of a walk through Flask-Babel's context (which made up half of the
    rendering time), and no request context processors run. Call it inside ``language(lang)``.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    environments = app.extensions.setdefault("symposium.email_environments", {})
    env = environments.get(lang)
    if env is None:
        # A new environment, not an overlay: an overlay would share the app's i18n extension
        # and installing a catalog would change the app's own templates
        base = app.jinja_env
        env = Environment(
            loader=base.loader,
            autoescape=base.autoescape,  # noqa: S701 - the app's own choice by file extension
            extensions=list(base.extensions),
            trim_blocks=base.trim_blocks,
            lstrip_blocks=base.lstrip_blocks,
            keep_trailing_newline=base.keep_trailing_newline,
            undefined=base.undefined,
        )
        env.filters.update(base.filters)
        env.tests.update(base.tests)
        env.globals.update(base.globals)
        env.policies.update(base.policies)
        env.install_gettext_translations(get_translations(), newstyle=True)
        environments[lang] = env
    return env


def _dates(event, lang: str) -> str:
    first = fmt_date(event.starts_on, lang, "long")
    if event.ends_on and event.ends_on != event.starts_on:
        return f"{first} – {fmt_date(event.ends_on, lang, 'long')}"
    return first


def build_email(session: OrmSession, registration: Registration, what: str, *, signup=None):
    """The complete email (subject, text, HTML, .ics attachment) in the registrant's language,
    as a ``mail.RawEmail`` (CRLF bytes, ready for the outbox and SMTP)."""
    subject, text, html, lang = render(session, registration, what, signup=signup)
    attachments = []
    if what != "cancellation":
        with language(lang):
            content = ics.registration_ics(registration, lang)
        attachments.append(
            mail.Attachment("event.ics", content, "text", "calendar", ics.CONTENT_PARAMS)
        )
    return mail.build_raw(
        to=registration.email,
        subject=subject,
        text=text,
        html=html,
        attachments=attachments,
        lang=lang,
    )


def process_pending(limit: int = 200) -> int:
    """Render the owed emails into the outbox (run as a job; safe to run concurrently).

    Each batch claims its notices with a conditional UPDATE in the same transaction that writes
    the outbox rows, so every notice becomes exactly one email even with several workers.
    Returns the number of emails queued.
    """
    queued = 0
    while True:
        ids = db.session.scalars(
            select(RegistrationNotice.id)
            .where(RegistrationNotice.processed_at.is_(None))
            .order_by(RegistrationNotice.id)
            .limit(limit)
        ).all()
        if not ids:
            db.session.commit()
            return queued
        now = utcnow()
        claimed = db.session.scalars(
            update(RegistrationNotice)
            .where(RegistrationNotice.id.in_(ids), RegistrationNotice.processed_at.is_(None))
            .values(processed_at=now)
            .returning(RegistrationNotice.id)
            .execution_options(synchronize_session=False)
        ).all()
        # Load what the emails show in a few queries, not a few per email
        notices = db.session.scalars(
            select(RegistrationNotice)
            .where(RegistrationNotice.id.in_(claimed))
            .order_by(RegistrationNotice.id)
            .options(
                selectinload(RegistrationNotice.registration)
                .selectinload(Registration.session_signups)
                .joinedload(SessionRegistration.session),
                selectinload(RegistrationNotice.registration).joinedload(Registration.event),
                selectinload(RegistrationNotice.signup).joinedload(SessionRegistration.session),
            )
        ).all()
        built = []
        for notice in notices:
            if notice.registration.anonymised_at is None and (message := _build(notice)):
                built.append((notice, message))
        queued += _queue(built)
        db.session.commit()  # the outbox's after-commit hook starts the delivery
        if len(ids) < limit:
            return queued


def _failed(notice: RegistrationNotice, exc: Exception) -> None:
    """A notice that cannot be rendered or stored: a ``failed`` outbox row with the reason."""
    registration = notice.registration
    current_app.logger.warning(
        "registration email %s for registration %s cannot be rendered: %s",
        notice.kind,
        registration.id,
        exc,
    )
    mail.record_failed(db.session, recipient=registration.email, kind=KINDS[notice.kind], error=exc)


def _build(notice: RegistrationNotice):
    try:
        return build_email(db.session, notice.registration, notice.kind, signup=notice.signup)
    except Exception as exc:  # noqa: BLE001 - one bad email must not block the others
        _failed(notice, exc)
        return None


def _queue(built: list) -> int:
    """Put the built emails in the outbox: all at once in a savepoint, and if the database
    refuses one (a NUL on PostgreSQL...), one savepoint each. Returns how many were queued."""
    try:
        with db.session.begin_nested():
            for notice, message in built:
                mail.queue_email(db.session, message, kind=KINDS[notice.kind])
            db.session.flush()
        return len(built)
    except Exception as exc:  # noqa: BLE001 - find the one the database refuses
        current_app.logger.warning(
            "storing %d emails at once failed (%s): one by one", len(built), exc
        )
    queued = 0
    for notice, message in built:
        try:
            with db.session.begin_nested():
                mail.queue_email(db.session, message, kind=KINDS[notice.kind])
                db.session.flush()
            queued += 1
        except Exception as exc:  # noqa: BLE001 - one bad email must not block the others
            _failed(notice, exc)
    return queued
