"""The outbox: emails written in the caller's transaction, and what the queue holds.

- ``queue_email(session, ...)`` adds an OutboxEmail row; nothing leaves before the commit.
- ``record_failed(session, ...)`` records an email that could not even be built (its reason
  is kept, the others go on).
- After a commit that queued mail, delivery is enqueued (``init_outbox_hook``).
- ``queue_status(session)`` counts the queue for ``mail status`` and ``/healthz``.
"""

from __future__ import annotations

import email.policy
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import func
from sqlalchemy.orm import Session as OrmSession

from ...extensions import db
from ...models import OutboxEmail
from ...models.registration import RegistrationNotice
from ...models.types import utcnow
from .message import RawEmail, clean_header_text, new_message_id

DELIVER_PATH = "symposium.services.mail:deliver_pending"
STATUSES = ("pending", "sending", "failed", "sent")


def queue_email(
    session: OrmSession,
    message: EmailMessage | RawEmail,
    *,
    kind: str | None = None,
    job_id: int | None = None,
) -> OutboxEmail:
    """Store ``message`` (an EmailMessage or a ``RawEmail``) for delivery after the
    surrounding transaction commits, with its Message-ID (given one if it has none)."""
    if isinstance(message, RawEmail):
        recipient, subject, raw = message.recipient, message.subject, message.raw
        message_id = message.message_id
    else:
        if message["Message-ID"] is None:
            message["Message-ID"] = new_message_id()
        recipient, subject = str(message["To"]), str(message["Subject"])
        message_id = str(message["Message-ID"])
        # CRLF line endings, as SMTP wants them (servers such as aiosmtpd refuse bare LF)
        raw = message.as_bytes(policy=email.policy.SMTP)
    row = OutboxEmail(
        recipient=recipient,
        subject=clean_header_text(subject)[:500],
        message=raw,
        kind=kind,
        job_id=job_id,
        status="pending",
        message_id=message_id,
    )
    session.add(row)
    session.info["outbox_dirty"] = True
    return row


def error_text(exc: BaseException, prefix: str = "") -> str:
    """A failure's reason for ``last_error``: one storable line (no NUL), at most 2000 chars."""
    text = f"{prefix}{type(exc).__name__}: {exc}".replace("\x00", "\\0")
    return text[:2000]


def record_failed(
    session: OrmSession,
    *,
    recipient: str,
    kind: str | None,
    error: BaseException,
    subject: str = "",
    job_id: int | None = None,
) -> OutboxEmail:
    """An email that could not be built: a ``failed`` outbox row with the reason, so that it
    shows in ``mail status`` and the queue goes on with the others."""
    row = OutboxEmail(
        recipient=clean_header_text(recipient).replace("\x00", "")[:254],
        subject=clean_header_text(subject).replace("\x00", "")[:500],
        message=b"",
        kind=kind,
        job_id=job_id,
        status="failed",
        attempts=1,
        last_error=error_text(error, "could not build the email: "),
    )
    session.add(row)
    return row


def init_outbox_hook() -> None:
    """After a commit that queued email, start delivery in the background (installed once)."""
    from ...jobs import run_after_commit

    run_after_commit("outbox_dirty", DELIVER_PATH)


def _age(since: datetime | None, now: datetime) -> float | None:
    return None if since is None else max(0.0, (now - since).total_seconds())


def queue_status(session: OrmSession, *, count_sent: bool = True) -> dict:
    """Counts by status (pending, sending, failed, and sent unless ``count_sent`` is false:
    the sent rows are most of the table), the age in seconds of the oldest email still to
    send (pending or sending) and the registration emails still to render."""
    statuses = STATUSES if count_sent else STATUSES[:-1]
    rows = session.execute(
        db.select(OutboxEmail.status, func.count(OutboxEmail.id))
        .where(OutboxEmail.status.in_(statuses))
        .group_by(OutboxEmail.status)
    ).all()
    counts = dict.fromkeys(statuses, 0) | {status: count for status, count in rows}
    now = utcnow()
    oldest = session.scalar(
        db.select(func.min(OutboxEmail.created_at)).where(
            OutboxEmail.status.in_(("pending", "sending"))
        )
    )
    owed, oldest_owed = session.execute(
        db.select(func.count(RegistrationNotice.id), func.min(RegistrationNotice.created_at)).where(
            RegistrationNotice.processed_at.is_(None)
        )
    ).one()
    return {
        "counts": counts,
        "oldest_pending_age_seconds": _age(oldest, now),
        "notices_to_render": owed,
        "oldest_notice_age_seconds": _age(oldest_owed, now),
    }
