"""Emails to registrants: confirmation, waiting list, promotion, cancellation, link re-sent.

Each email is rendered in the registrant's preferred language (subject, plain text and HTML),
carries the personal link (on SYMPOSIUM_BASE_URL) and an .ics file of the event.

``notify`` only records a ``RegistrationNotice`` in the caller's transaction (cheap, and it
exists exactly when the change is committed). After the commit a background job
(``process_pending``) renders the owed emails into the outbox, whose delivery job sends them
with retries. ``flask mail send-pending`` does both for anything left over.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import get_translations
from jinja2 import Environment
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..i18n import fmt_date, language, text_direction, tz_label, use_numbering
from ..models import Registration, SessionRegistration
from ..models.registration import RegistrationNotice
from ..models.types import utcnow
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


def notify(
    session: OrmSession,
    registration: Registration,
    what: str,
    *,
    signup: SessionRegistration | None = None,
) -> RegistrationNotice | None:
    """Owe the registrant the email ``what`` (a key of KINDS), in the caller's transaction.

    The email is rendered and put in the outbox by a background job after the commit
    (``process_pending``); nothing is sent if the transaction rolls back.
    """
    if registration.anonymised_at is not None:
        return None
    if what not in KINDS:
        raise ValueError(f"unknown notification: {what}")
    notice = RegistrationNotice(registration=registration, kind=what, signup=signup)
    session.add(notice)
    session.info["registration_notices"] = True
    return notice


def notify_new(session: OrmSession, registration_id: int, what: str) -> None:
    """``notify`` for a registration inserted in this transaction, by id (one INSERT, no
    ORM object needed)."""
    if what not in KINDS:
        raise ValueError(f"unknown notification: {what}")
    session.execute(
        _INSERT_NOTICE, {"registration_id": registration_id, "kind": what, "created_at": utcnow()}
    )
    session.info["registration_notices"] = True


_INSERT_NOTICE = insert(RegistrationNotice.__table__)


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
        for notice in notices:
            registration = notice.registration
            if registration.anonymised_at is not None:
                continue
            message = build_email(db.session, registration, notice.kind, signup=notice.signup)
            mail.queue_email(db.session, message, kind=KINDS[notice.kind])
            queued += 1
        db.session.commit()  # the outbox's after-commit hook starts the delivery
        if len(ids) < limit:
            return queued


def schedule_processing() -> None:
    from ..jobs import enqueue, run_job

    cfg = current_app.config
    path = "symposium.services.notifications:process_pending"
    if cfg.get("JOBS_EAGER"):
        # Inline (tests), in a fresh app context: the committed session cannot be used here
        try:
            run_job(current_app._get_current_object(), path, [], {}, reraise=True)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - the notices stay owed; the next run takes them
            current_app.logger.exception("could not render the registration emails")
        return
    try:
        # A short delay lets a burst of registrations share one run
        enqueue(path, delay=float(cfg.get("REGISTRATION_EMAIL_DELAY") or 0), coalesce=True)
    except Exception:  # noqa: BLE001 - the notices stay owed; the next run takes them
        current_app.logger.exception("could not start the registration emails")


@sa_event.listens_for(db.session, "after_commit")
def _after_commit(session):
    if session.in_nested_transaction():
        return  # a savepoint was released: the real commit is still to come
    if session.info.pop("registration_notices", False):
        schedule_processing()


@sa_event.listens_for(db.session, "after_rollback")
def _after_rollback(session):
    session.info.pop("registration_notices", None)
