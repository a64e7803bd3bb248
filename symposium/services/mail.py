"""Email: written to the outbox table in the caller's transaction, delivered by a background job.

- ``queue_email(session, ...)`` adds an OutboxEmail row; nothing leaves before the commit.
- After a commit that queued mail, ``deliver_pending`` is enqueued (see ``init_outbox_hook``).
- Delivery goes through SMTP when MAIL_SERVER is set, else into ``instance/outbox/*.eml``.
- A failed attempt is retried with back-off; the registration it belongs to is never touched.
"""

from __future__ import annotations

import binascii
import email.policy
import re
import secrets
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import timedelta
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, or_, update
from sqlalchemy import event as sa_event
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
    # Content-Type parameters, e.g. (("charset", "utf-8"), ("method", "PUBLISH")). A text
    # attachment that has them is sent as its exact bytes (a calendar's lines end with CRLF).
    params: tuple[tuple[str, str], ...] = ()


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
        if att.maintype == "text" and not att.params:
            msg.add_attachment(
                att.content.decode("utf-8"), subtype=att.subtype, filename=att.filename
            )
        else:
            msg.add_attachment(
                att.content,
                maintype=att.maintype,
                subtype=att.subtype,
                filename=att.filename,
                params=dict(att.params) or None,
            )
    if lang:
        # Set last: turning the message multipart moves earlier content headers into a part
        msg["Content-Language"] = lang
    return msg


# ----------------------------------------------------------------------- fast raw MIME builder

# Header values the fast builder writes as they are (plain ASCII addresses, file names)
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]{3,254}")
_PLAIN_FILENAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_CRLF = "\r\n"


@dataclass(frozen=True)
class RawEmail:
    """A complete message (CRLF line ends, 7-bit clean) ready for the outbox."""

    recipient: str
    subject: str
    raw: bytes


@lru_cache(maxsize=16)
def _from_header(sender: str) -> str:
    name, addr = parseaddr(sender)
    return formataddr((name, addr), charset="utf-8") if addr else sender


def _subject_header(subject: str) -> str:
    subject = " ".join(subject.split())  # no line breaks in a header
    if subject.isascii() and len(subject) <= 66:
        return subject
    return Header(subject, "utf-8", header_name="Subject").encode(linesep=_CRLF)


def _text_part(content: str, subtype: str, extra_headers: str = "") -> str:
    """A text/* part: 7bit when the text is plain ASCII with short lines, else base64."""
    text = "\n".join(content.splitlines()) + "\n"
    head = f'Content-Type: text/{subtype}; charset="utf-8"{_CRLF}'
    if text.isascii() and all(len(line) <= 998 for line in text.split("\n")):
        body = text.replace("\n", _CRLF)
        cte = "7bit"
    else:
        data = text.encode("utf-8")
        # 57 bytes per 76-character base64 line (RFC 2045)
        body = "".join(
            binascii.b2a_base64(data[i : i + 57]).decode("ascii")[:-1] + _CRLF
            for i in range(0, len(data), 57)
        )
        cte = "base64"
    return f"{head}Content-Transfer-Encoding: {cte}{_CRLF}{extra_headers}{_CRLF}{body}"


def _bytes_part(att: Attachment, extra_headers: str) -> str:
    """An attachment as its exact bytes (base64), with its Content-Type parameters."""
    params = "".join(f'; {key}="{value}"' for key, value in att.params)
    head = f"Content-Type: {att.maintype}/{att.subtype}{params}{_CRLF}"
    body = "".join(
        binascii.b2a_base64(att.content[i : i + 57]).decode("ascii")[:-1] + _CRLF
        for i in range(0, len(att.content), 57)
    )
    return f"{head}Content-Transfer-Encoding: base64{_CRLF}{extra_headers}{_CRLF}{body}"


def _multipart(subtype: str, parts: list[str]) -> str:
    while True:
        boundary = f"=============={secrets.randbits(64):020d}=="
        if not any(boundary in part for part in parts):
            break
    body = "".join(f"--{boundary}{_CRLF}{part}{_CRLF}" for part in parts)
    return (
        f'Content-Type: multipart/{subtype};{_CRLF} boundary="{boundary}"{_CRLF}{_CRLF}'
        f"{body}--{boundary}--{_CRLF}"
    )


def build_raw(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: tuple[Attachment, ...] | list[Attachment] = (),
    lang: str | None = None,
) -> RawEmail:
    """The same message as ``build_message`` (text, HTML alternative, text attachments),
    written directly as CRLF bytes: about ten times cheaper than building and serialising
    an ``EmailMessage``. Anything unusual (a non-ASCII address, a binary attachment, an
    unusual file name) goes through ``build_message`` instead."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    simple = (
        _PLAIN_ADDRESS.fullmatch(to) is not None
        and sender.isascii()
        and "\n" not in sender
        and "\r" not in sender
        and (lang is None or re.fullmatch(r"[A-Za-z-]{1,20}", lang) is not None)
        and all(
            att.maintype == "text" and _PLAIN_FILENAME.fullmatch(att.filename)
            for att in attachments
        )
    )
    if not simple:
        message = build_message(
            to=to, subject=subject, text=text, html=html, attachments=attachments, lang=lang
        )
        raw = message.as_bytes(policy=email.policy.SMTP)
        return RawEmail(str(message["To"]), str(message["Subject"]), raw)
    body = _text_part(text, "plain")
    if html:
        body = _multipart("alternative", [body, _text_part(html, "html")])
    if attachments:
        parts = [body]
        for att in attachments:
            disposition = f'Content-Disposition: attachment; filename="{att.filename}"{_CRLF}'
            if att.params:
                parts.append(_bytes_part(att, disposition))
            else:
                parts.append(_text_part(att.content.decode("utf-8"), att.subtype, disposition))
        body = _multipart("mixed", parts)
    # ``body`` starts with its own Content-Type (and transfer encoding) header lines
    headers = [
        f"Subject: {_subject_header(subject)}",
        f"From: {_from_header(sender)}",
        f"To: {to}",
        f"Date: {formatdate(localtime=False)}",
        f"Message-ID: {make_msgid(domain=_domain())}",
        "MIME-Version: 1.0",
    ]
    if lang:
        headers.append(f"Content-Language: {lang}")
    raw = _CRLF.join(headers) + _CRLF + body
    return RawEmail(to, " ".join(subject.split()), raw.encode("ascii"))


def _domain() -> str:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "symposium@localhost"
    return sender.rsplit("@", 1)[-1].strip(">") or "localhost"


def queue_email(
    session: OrmSession,
    message: EmailMessage | RawEmail,
    *,
    kind: str | None = None,
    job_id: int | None = None,
) -> OutboxEmail:
    """Store ``message`` (an EmailMessage or a ``RawEmail``) for delivery after the
    surrounding transaction commits."""
    if isinstance(message, RawEmail):
        recipient, subject, raw = message.recipient, message.subject, message.raw
    else:
        recipient, subject = str(message["To"]), str(message["Subject"])
        # CRLF line endings, as SMTP wants them (servers such as aiosmtpd refuse bare LF)
        raw = message.as_bytes(policy=email.policy.SMTP)
    row = OutboxEmail(
        recipient=recipient,
        subject=subject,
        message=raw,
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
                    enqueue(path, coalesce=True)
            except Exception:  # noqa: BLE001 - mail stays in the outbox for the next run
                current_app.logger.exception("could not start email delivery")

    @sa_event.listens_for(db.session, "after_rollback")
    def after_rollback(session):
        session.info.pop("outbox_dirty", None)


class _Transport:
    """Sends the messages of one delivery run, over one SMTP connection (opened on first use,
    reopened after a failure) instead of one connection per message."""

    def __init__(self):
        self._smtp = None

    def send(self, raw: bytes, recipient: str) -> None:
        cfg = current_app.config
        if not cfg.get("MAIL_SERVER"):
            outbox = Path(current_app.instance_path) / "outbox"
            outbox.mkdir(parents=True, exist_ok=True)
            stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
            path = outbox / f"{stamp}-{abs(hash(raw)) % 10**8:08d}.eml"
            path.write_bytes(raw)
            return
        try:
            if self._smtp is None:
                self._smtp = _smtp_connect(cfg)
            sender = Address(addr_spec=_envelope_sender()).addr_spec
            self._smtp.sendmail(sender, [recipient], raw)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except Exception:  # noqa: BLE001, S110 - the connection is dropped either way
                smtp.close()


def _smtp_connect(cfg):
    smtp_cls = smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP
    smtp = smtp_cls(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT") or 25), timeout=30)
    try:
        if cfg.get("MAIL_USE_TLS") and not cfg.get("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
    except Exception:
        smtp.close()
        raise
    return smtp


_run = threading.local()  # the transport of the delivery run in progress in this thread


def _transport_send(raw: bytes, recipient: str) -> None:
    """Send one message: on the delivery run's connection, else on a connection of its own."""
    transport = getattr(_run, "transport", None)
    if transport is not None:
        transport.send(raw, recipient)
        return
    transport = _Transport()
    try:
        transport.send(raw, recipient)
    finally:
        transport.close()


def _envelope_sender() -> str:
    from email.utils import parseaddr

    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1] or "symposium@localhost"


def deliver_pending(limit: int | None = None) -> int:
    """Send due emails of the outbox; return how many were sent. Safe to run concurrently.

    One SMTP connection serves the whole run."""
    outer = getattr(_run, "transport", None)
    if outer is not None:
        return _deliver_pending(limit)
    _run.transport = _Transport()
    try:
        return _deliver_pending(limit)
    finally:
        transport, _run.transport = _run.transport, None
        transport.close()


# A run claims the emails it sends a few at a time (CLAIM_SIZE), marking them "sending" until
# a lease runs out: if the process dies in the middle, those emails are due again afterwards
# (at-least-once delivery, never lost). The lease outlasts a claim sent at the SMTP timeout
# (30 s) per message, and the results of a claim are recorded before the next one is taken.
CLAIM_SIZE = 20
SENDING_LEASE = timedelta(minutes=15)


def _due(now):
    return or_(
        and_(
            OutboxEmail.status == "pending",
            or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now),
        ),
        # claimed by a run that died
        and_(OutboxEmail.status == "sending", OutboxEmail.next_attempt_at <= now),
        # claimed without a lease by an earlier version, long ago
        and_(
            OutboxEmail.status == "sending",
            OutboxEmail.next_attempt_at.is_(None),
            OutboxEmail.created_at <= now - SENDING_LEASE,
        ),
    )


def _deliver_pending(limit: int | None) -> int:
    """Send the due emails (at most ``limit``), CLAIM_SIZE at a time: each claim is one conditional
    UPDATE (concurrent runs never claim the same email), and its results are recorded in one
    more transaction, only for the rows this run still holds."""
    sent = 0
    while True:
        retry_in: float | None = None
        while limit is None or sent < limit:
            claim = _claim_batch(CLAIM_SIZE if limit is None else min(CLAIM_SIZE, limit - sent))
            if claim is None:
                break
            lease, rows = claim
            batch_sent, batch_retry = _send_batch(lease, rows)
            sent += batch_sent
            if batch_retry is not None:
                retry_in = batch_retry if retry_in is None else min(retry_in, batch_retry)
            if batch_sent == 0 and batch_retry is not None:
                break  # the server refuses everything now: wait for the back-off
        if retry_in is None:
            return sent
        if not current_app.config.get("JOBS_EAGER"):
            from ..jobs import enqueue

            enqueue("symposium.services.mail:deliver_pending", delay=retry_in)
            return sent
        # Eager mode (tests): retry at once, the back-off is not waited for. Each round adds
        # an attempt to the failing emails, so this ends (at MAIL_MAX_ATTEMPTS at the latest).
        db.session.execute(
            update(OutboxEmail).where(OutboxEmail.status == "pending").values(next_attempt_at=None)
        )
        db.session.commit()


def _claim_batch(size: int):
    """Claim up to ``size`` due emails: (lease, [(id, message, recipient)]) or None."""
    for _attempt in range(3):
        now = utcnow()
        ids = db.session.scalars(
            db.select(OutboxEmail.id).where(_due(now)).order_by(OutboxEmail.id).limit(size)
        ).all()
        if not ids:
            db.session.commit()
            return None
        # The lease time also tells which run holds the rows
        lease = now + SENDING_LEASE
        claimed = db.session.scalars(
            update(OutboxEmail)
            .where(OutboxEmail.id.in_(ids), _due(now))
            .values(status="sending", attempts=OutboxEmail.attempts + 1, next_attempt_at=lease)
            .returning(OutboxEmail.id)
            .execution_options(synchronize_session=False)
        ).all()
        rows = db.session.execute(
            db.select(OutboxEmail.id, OutboxEmail.message, OutboxEmail.recipient)
            .where(OutboxEmail.id.in_(claimed))
            .order_by(OutboxEmail.id)
        ).all()
        db.session.commit()
        if rows:
            return lease, rows
    return None  # other runs keep taking them: they will send them


def _held(ids, lease):
    """The rows of ``ids`` that this run (its ``lease``) still holds."""
    return and_(
        OutboxEmail.id.in_(ids),
        OutboxEmail.status == "sending",
        OutboxEmail.next_attempt_at == lease,
    )


def _send_batch(lease, rows) -> tuple[int, float | None]:
    sent_ids: list[int] = []
    retry_in: float | None = None
    # Stop a minute before the lease runs out (a slow server): what is left goes back to the
    # queue rather than be sent by this run and by the run that would take it over
    deadline = lease - timedelta(minutes=1)
    try:
        for position, (email_id, message, recipient) in enumerate(rows):
            if utcnow() >= deadline:
                _give_back([row[0] for row in rows[position:]], lease)
                break
            try:
                _transport_send(message, recipient)
            except Exception as exc:  # noqa: BLE001 - any transport failure is retried
                delay = _record_failure(email_id, lease, exc)
                if delay is not None:
                    retry_in = delay if retry_in is None else min(retry_in, delay)
                continue
            sent_ids.append(email_id)
    except BaseException:
        db.session.rollback()  # a failed statement must not keep the sent ones from being recorded
        raise
    finally:
        if sent_ids:
            db.session.execute(
                update(OutboxEmail)
                .where(_held(sent_ids, lease))
                .values(status="sent", sent_at=utcnow(), last_error=None, next_attempt_at=None)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
    return len(sent_ids), retry_in


def _give_back(ids: list[int], lease) -> None:
    """Unsent emails this run still holds: due again now, without counting an attempt."""
    db.session.execute(
        update(OutboxEmail)
        .where(_held(ids, lease))
        .values(status="pending", next_attempt_at=None, attempts=OutboxEmail.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _record_failure(email_id: int, lease, exc: Exception) -> float | None:
    """Back to pending with a back-off (returned, in seconds), or failed for good; only while
    this run still holds the email."""
    attempts = db.session.scalar(db.select(OutboxEmail.attempts).where(_held([email_id], lease)))
    if attempts is None:
        db.session.commit()
        return None  # the lease ran out and another run took the email over
    max_attempts = current_app.config.get("MAIL_MAX_ATTEMPTS", 5)
    values = {"last_error": f"{type(exc).__name__}: {exc}"[:2000]}
    delay = None
    if attempts >= max_attempts:
        values.update(status="failed", next_attempt_at=None)
    else:
        delay = min(2**attempts * 5, 3600)
        values.update(status="pending", next_attempt_at=utcnow() + timedelta(seconds=delay))
    db.session.execute(
        update(OutboxEmail)
        .where(_held([email_id], lease))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return delay
