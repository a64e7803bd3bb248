"""Email: written to the outbox table in the caller's transaction, delivered by a background job.

- ``queue_email(session, ...)`` adds an OutboxEmail row; nothing leaves before the commit.
- After a commit that queued mail, ``deliver_pending`` is enqueued (see ``init_outbox_hook``).
- Delivery goes through SMTP when MAIL_SERVER is set, else into ``instance/outbox/*.eml``.
- A failed attempt is retried with back-off; the registration it belongs to is never touched.
"""

from __future__ import annotations

import email.policy
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy import or_, update
from sqlalchemy.orm import Session as OrmSession

from ..extensions import db
from ..models import OutboxEmail
from ..models.types import utcnow


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "octet-stream"


def build_message(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: tuple[Attachment, ...] | list[Attachment] = (),
    sender: str | None = None,
    reply_to: str | None = None,
    lang: str | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject  # non-ASCII subjects are RFC 2047 encoded by the policy
    msg["From"] = sender or current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = to
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=_domain())
    msg.set_content(text, charset="utf-8")
    if html:
        msg.add_alternative(html, subtype="html", charset="utf-8")
    for att in attachments:
        if att.maintype == "text":
            msg.add_attachment(
                att.content.decode("utf-8"), subtype=att.subtype, filename=att.filename
            )
        else:
            msg.add_attachment(
                att.content, maintype=att.maintype, subtype=att.subtype, filename=att.filename
            )
    if lang:
        # Set last: turning the message multipart moves earlier content headers into a part
        msg["Content-Language"] = lang
    return msg


def _domain() -> str:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "symposium@localhost"
    return sender.rsplit("@", 1)[-1].strip(">") or "localhost"


def queue_email(
    session: OrmSession,
    message: EmailMessage,
    *,
    kind: str | None = None,
    job_id: int | None = None,
) -> OutboxEmail:
    """Store ``message`` for delivery after the surrounding transaction commits."""
    row = OutboxEmail(
        recipient=str(message["To"]),
        subject=str(message["Subject"]),
        # CRLF line endings, as SMTP wants them (servers such as aiosmtpd refuse bare LF)
        message=message.as_bytes(policy=email.policy.SMTP),
        kind=kind,
        job_id=job_id,
        status="pending",
    )
    session.add(row)
    session.info["outbox_dirty"] = True
    return row


_hook_installed = False


def init_outbox_hook() -> None:
    """After a commit that queued email, start delivery in the background (installed once)."""
    global _hook_installed
    if _hook_installed:
        return
    _hook_installed = True

    @sa_event.listens_for(db.session, "after_commit")
    def after_commit(session):
        if session.in_nested_transaction():
            return  # a savepoint was released: the real commit is still to come
        if session.info.pop("outbox_dirty", False):
            from ..jobs import enqueue, run_job

            path = "symposium.services.mail:deliver_pending"
            try:
                if current_app.config.get("JOBS_EAGER"):
                    # Inline (tests): in a fresh app context, as the committed session
                    # cannot be used from inside its own after-commit hook
                    app = current_app._get_current_object()  # type: ignore[attr-defined]
                    run_job(app, path, [], {}, reraise=True)
                else:
                    enqueue(path)
            except Exception:  # noqa: BLE001 - mail stays in the outbox for the next run
                current_app.logger.exception("could not start email delivery")

    @sa_event.listens_for(db.session, "after_rollback")
    def after_rollback(session):
        session.info.pop("outbox_dirty", None)


def _transport_send(raw: bytes, recipient: str) -> None:
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        outbox = Path(current_app.instance_path) / "outbox"
        outbox.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        path = outbox / f"{stamp}-{abs(hash(raw)) % 10**8:08d}.eml"
        path.write_bytes(raw)
        return
    smtp_cls = smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_cls(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT") or 25), timeout=30) as smtp:
        if cfg.get("MAIL_USE_TLS") and not cfg.get("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        sender = Address(addr_spec=_envelope_sender()).addr_spec
        smtp.sendmail(sender, [recipient], raw)


def _envelope_sender() -> str:
    from email.utils import parseaddr

    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1] or "symposium@localhost"


def deliver_pending(limit: int = 500) -> int:
    """Send due emails of the outbox; return how many were sent. Safe to run concurrently."""
    now = utcnow()
    ids = db.session.scalars(
        db.select(OutboxEmail.id)
        .where(OutboxEmail.status == "pending")
        .where(or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now))
        .order_by(OutboxEmail.id)
        .limit(limit)
    ).all()
    db.session.commit()
    sent = 0
    retry_in: float | None = None
    for email_id in ids:
        # Claim the row so that a second worker does not send it too
        claimed = db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == email_id, OutboxEmail.status == "pending")
            .values(status="sending", attempts=OutboxEmail.attempts + 1)
        ).rowcount
        db.session.commit()
        if not claimed:
            continue
        row = db.session.get(OutboxEmail, email_id)
        try:
            _transport_send(row.message, row.recipient)
        except Exception as exc:  # noqa: BLE001 - any transport failure is retried
            max_attempts = current_app.config.get("MAIL_MAX_ATTEMPTS", 5)
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if row.attempts >= max_attempts:
                row.status = "failed"
            else:
                delay = min(2**row.attempts * 5, 3600)
                row.status = "pending"
                row.next_attempt_at = utcnow() + timedelta(seconds=delay)
                retry_in = delay if retry_in is None else min(retry_in, delay)
            db.session.commit()
            continue
        row.status = "sent"
        row.sent_at = utcnow()
        row.last_error = None
        db.session.commit()
        sent += 1
    if retry_in is not None:
        from ..jobs import enqueue

        if current_app.config.get("JOBS_EAGER"):
            # Eager mode (tests): retry at once, the back-off is not waited for
            db.session.execute(
                update(OutboxEmail)
                .where(OutboxEmail.status == "pending")
                .values(next_attempt_at=None)
            )
            db.session.commit()
            sent += deliver_pending(limit)
        else:
            enqueue("symposium.services.mail:deliver_pending", delay=retry_in)
    return sent
