"""Owing a registrant an email, in the caller's transaction: ``notify``, ``notify_new`` (and
``change_new``).

Only a ``RegistrationNotice`` row is written (cheap, and it exists exactly when the change is
committed). After the commit the rendering job (``notifications.process_pending``) is started
by name: this module imports neither the rendering nor the registration service, so that the
registration service can use it without an import circle.
"""

from __future__ import annotations

from sqlalchemy import bindparam, insert, literal, select, update
from sqlalchemy.orm import Session as OrmSession

from ..jobs import run_after_commit
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
    owed(session)
    return notice


def notify_new(session: OrmSession, registration_id: int, what: str) -> None:
    """``notify`` for a registration inserted in this transaction, by id (one INSERT, no
    ORM object needed)."""
    if what not in KINDS:
        raise ValueError(f"unknown notification: {what}")
    session.execute(
        _INSERT_NOTICE, {"registration_id": registration_id, "kind": what, "created_at": utcnow()}
    )
    owed(session)


def owe_new_from(ids, what: str, created_at):
    """``notify_new`` as part of another statement: an ``INSERT ... SELECT`` owing ``what``
    to every registration id the select ``ids`` gives (PostgreSQL: a data-modifying CTE of
    the registration's own INSERT). The caller executes it, then calls ``owed``."""
    if what not in KINDS:
        raise ValueError(f"unknown notification: {what}")
    return _INSERT_NOTICE.from_select(
        ["registration_id", "kind", "created_at"],
        select(ids, literal(what, _NOTICES.kind.type), created_at),
    )


def owed(session: OrmSession) -> None:
    """Start the rendering job after this transaction commits (notices were written)."""
    session.info["registration_notices"] = True


def change_new(session: OrmSession, registration_id: int, what: str) -> None:
    """Change what the ``notify_new`` notice of this transaction owes (the registration went
    to the waiting list after its confirmation was owed); one UPDATE."""
    if what not in KINDS:
        raise ValueError(f"unknown notification: {what}")
    session.execute(_CHANGE_NOTICE, {"for_registration": registration_id, "new_kind": what})


_INSERT_NOTICE = insert(RegistrationNotice.__table__)
_NOTICES = RegistrationNotice.__table__.c
_CHANGE_NOTICE = (
    update(RegistrationNotice.__table__)
    .where(
        _NOTICES.registration_id == bindparam("for_registration"),
        _NOTICES.processed_at.is_(None),
    )
    .values(kind=bindparam("new_kind"))
)


# After the commit, the owed emails are rendered in the background; a short delay lets a burst
# of registrations share one run
run_after_commit("registration_notices", PROCESS_PATH, delay_setting="REGISTRATION_EMAIL_DELAY")
