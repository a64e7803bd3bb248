"""Owing a registrant an email, in the caller's transaction: ``notify`` and ``notify_new``.

Only a ``RegistrationNotice`` row is written (cheap, and it exists exactly when the change is
committed). After the commit the rendering job (``notifications.process_pending``) is started
by name: this module imports neither the rendering nor the registration service, so that the
registration service can use it without an import circle.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlalchemy.orm import Session as OrmSession

from ..extensions import db
from ..models import Registration, SessionRegistration
from ..models.registration import RegistrationNotice
from ..models.types import utcnow

# status / action -> outbox kind
KINDS = {
    "confirmed": "confirmation",
    "waitlisted": "waitlist",
    "promotion": "promotion",
    "cancellation": "cancellation",
    "already": "already_registered",
    "session_promotion": "session_promotion",
}

PROCESS_PATH = "symposium.services.notifications:process_pending"


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


def schedule_processing() -> None:
    from ..jobs import enqueue, run_job

    cfg = current_app.config
    if cfg.get("JOBS_EAGER"):
        # Inline (tests), in a fresh app context: the committed session cannot be used here
        try:
            run_job(current_app._get_current_object(), PROCESS_PATH, [], {}, reraise=True)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - the notices stay owed; the next run takes them
            current_app.logger.exception("could not render the registration emails")
        return
    try:
        # A short delay lets a burst of registrations share one run
        enqueue(PROCESS_PATH, delay=float(cfg.get("REGISTRATION_EMAIL_DELAY") or 0), coalesce=True)
    except Exception:  # noqa: BLE001 - the notices stay owed; the periodic sweep takes them
        current_app.logger.exception("could not start the registration emails")


@sa_event.listens_for(db.session, "after_commit")
def _after_commit(session):
    if session.in_nested_transaction():
        return  # a savepoint was released: the real commit is still to come
    if session.info.pop("registration_notices", False):
        schedule_processing()


@sa_event.listens_for(db.session, "after_transaction_end")
def _after_transaction_end(session, transaction):
    # After a commit the flag is already taken; a rolled-back savepoint keeps it
    if transaction.parent is None and not transaction.nested:
        session.info.pop("registration_notices", None)
