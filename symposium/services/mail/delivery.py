"""Delivering the outbox: claims with a short lease renewed while sending, SMTP or files.

A run claims the due emails CLAIM_SIZE at a time: one conditional UPDATE marks them
``sending``, ``claimed_by`` the run's random token, until a lease (MAIL_LEASE_SECONDS, 60 s by
default) that the run renews before each message. If the run dies, its emails are due again
when the lease ends, at most a minute later. Before each message, one transaction records the
result of the previous one, renews the lease and counts the attempt; a message is sent only if
the run still holds it then, with a full lease ahead that outlasts the SMTP timeouts: a claimed
message is never sent by two runs. Only the message in flight when a run is killed can reach
the server twice, with the same stored Message-ID.

A failed attempt is retried with back-off; a permanent refusal (5xx for the recipient or the
content, a message that cannot be encoded), MAIL_MAX_ATTEMPTS attempts, or a message whose
runs died MAIL_MAX_ATTEMPTS times, is marked ``failed`` with its reason and the queue goes on.
"""

from __future__ import annotations

import secrets
import smtplib
import ssl
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, bindparam, case, func, null, or_, text, update

from ...extensions import db
from ...models import OutboxEmail
from ...models.types import utcnow
from .outbox import DELIVER_PATH, error_text

CLAIM_SIZE = 20
# Rows claimed without a token by an earlier version: due again after this long
LEGACY_LEASE = timedelta(minutes=15)


def lease_seconds() -> float:
    return float(current_app.config.get("MAIL_LEASE_SECONDS") or 60)


def smtp_timeout() -> float:
    """Per SMTP command: a sixth of the lease (at most 30 s), so that a whole transaction
    (MAIL, RCPT, DATA, end of data) ends well within the lease renewed just before it."""
    return min(30.0, max(1.0, lease_seconds() / 6))


def max_attempts() -> int:
    return int(current_app.config.get("MAIL_MAX_ATTEMPTS") or 5)


# --------------------------------------------------------------------------------- transport


class _Transport:
    """Sends the messages of one delivery run, over one SMTP connection (opened on first use,
    reopened after a failure) instead of one connection per message."""

    def __init__(self):
        self._smtp = None

    def open(self) -> None:
        cfg = current_app.config
        if cfg.get("MAIL_SERVER") and self._smtp is None:
            self._smtp = _smtp_connect(cfg)

    def send(self, raw: bytes, recipient: str) -> None:
        if not current_app.config.get("MAIL_SERVER"):
            outbox = Path(current_app.instance_path) / "outbox"
            outbox.mkdir(parents=True, exist_ok=True)
            stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
            path = outbox / f"{stamp}-{secrets.token_hex(4)}.eml"
            path.write_bytes(raw)
            return
        try:
            self.open()
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
    smtp = smtp_cls(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT") or 25), timeout=smtp_timeout())
    try:
        if cfg.get("MAIL_USE_TLS") and not cfg.get("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
    except Exception:
        smtp.close()
        raise
    return smtp


def _envelope_sender() -> str:
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1] or "symposium@localhost"


_run = threading.local()  # the transport of the delivery run in progress in this thread


def _transport_open() -> None:
    """Connect before the lease is renewed, so the renewed lease covers the sending only."""
    transport = getattr(_run, "transport", None)
    if transport is not None:
        transport.open()


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


def is_permanent(exc: BaseException) -> bool:
    """A failure that another attempt cannot fix: the server refused this recipient or this
    message for good (5xx), or the message cannot be encoded."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(
            int(code) >= 500 for code, _msg in exc.recipients.values()
        )
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return int(exc.smtp_code) >= 500
    return isinstance(exc, ValueError | UnicodeError | TypeError)


# ------------------------------------------------------------------------------------ claims


@dataclass
class Claim:
    """The emails one run holds: its token and [(id, message, recipient)]."""

    token: str
    rows: list = field(default_factory=list)


def _due(now):
    return or_(
        and_(
            OutboxEmail.status == "pending",
            or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now),
        ),
        # held by a run whose lease ran out (it died, or stalled)
        and_(OutboxEmail.status == "sending", OutboxEmail.next_attempt_at <= now),
        # claimed without a lease by an earlier version, long ago
        and_(
            OutboxEmail.status == "sending",
            OutboxEmail.next_attempt_at.is_(None),
            OutboxEmail.created_at <= now - LEGACY_LEASE,
        ),
    )


def _fail_interrupted(now) -> None:
    """Emails whose runs died while sending them MAIL_MAX_ATTEMPTS times: failed (a message
    that kills the worker must not stop the queue)."""
    db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.status == "sending",
            OutboxEmail.next_attempt_at <= now,
            OutboxEmail.attempts >= max_attempts(),
        )
        .values(
            status="failed",
            claimed_by=None,
            next_attempt_at=None,
            last_error="delivery was interrupted on every attempt (the worker stopped)",
        )
        .execution_options(synchronize_session=False)
    )


def claim_batch(size: int) -> Claim | None:
    """Claim up to ``size`` due emails for a new run (None when there are none)."""
    for _attempt in range(3):
        now = utcnow()
        _fail_interrupted(now)
        ids = db.session.scalars(
            db.select(OutboxEmail.id).where(_due(now)).order_by(OutboxEmail.id).limit(size)
        ).all()
        if not ids:
            db.session.commit()
            return None
        token = secrets.token_hex(16)
        claimed = db.session.scalars(
            update(OutboxEmail)
            .where(OutboxEmail.id.in_(ids), _due(now))
            .values(
                status="sending",
                claimed_by=token,
                next_attempt_at=now + timedelta(seconds=lease_seconds()),
            )
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
            return Claim(token, list(rows))
    return None  # other runs keep taking them: they will send them


@dataclass
class Outcome:
    email_id: int
    attempts: int
    error: BaseException | None = None


def step(claim: Claim, done: Outcome | None, begin: int | None) -> tuple[int | None, float | None]:
    """One transaction (one UPDATE) between two messages: record ``done``'s result, renew the
    lease on the rest of the claim, and count an attempt for ``begin``.

    Returns (the attempts of ``begin`` if this run still holds it, else None;
    the back-off in seconds when ``done`` failed and will be retried)."""
    now = utcnow()
    params = {"token": claim.token, "lease": now + timedelta(seconds=lease_seconds())}
    if begin is not None:
        params["begin_id"] = begin
    delay = None
    if done is not None:
        result, delay = _result(done, now)
        params.update(
            done_id=done.email_id,
            done_status=result["status"],
            done_sent_at=result.get("sent_at"),
            done_error=result["last_error"],
            done_next=result["next_attempt_at"],
        )
    statement = _STEP_STATEMENTS[(begin is not None, done is not None)]
    rows = db.session.execute(statement, params).all()
    db.session.commit()
    return (dict(rows).get(begin) if begin is not None else None), delay


def _step_statement(begin: bool, done: bool):
    """The UPDATE of ``step``, built once per shape (Core, parameters bound at execution):
    the lease of the claim's rows renewed, ``begin``'s attempt counted, ``done``'s result
    recorded (a successful row keeps no claim; a failed one gets its error and back-off)."""
    table = OutboxEmail.__table__
    c = table.c
    lease = bindparam("lease", type_=c.next_attempt_at.type)
    values: dict = {"next_attempt_at": lease}
    if begin:
        values["attempts"] = c.attempts + case((c.id == bindparam("begin_id"), 1), else_=0)
    if done:
        is_done = c.id == bindparam("done_id")
        values.update(
            status=case((is_done, bindparam("done_status", type_=c.status.type)), else_=c.status),
            sent_at=case(
                (
                    is_done,
                    func.coalesce(bindparam("done_sent_at", type_=c.sent_at.type), c.sent_at),
                ),
                else_=c.sent_at,
            ),
            last_error=case(
                (is_done, bindparam("done_error", type_=c.last_error.type)), else_=c.last_error
            ),
            claimed_by=case((is_done, null()), else_=c.claimed_by),
            next_attempt_at=case(
                (is_done, bindparam("done_next", type_=c.next_attempt_at.type)), else_=lease
            ),
        )
    return (
        update(table)
        .where(c.claimed_by == bindparam("token"), c.status == "sending")
        .values(**values)
        .returning(c.id, c.attempts)
    )


_STEP_STATEMENTS = {
    (begin, done): _step_statement(begin, done) for begin in (False, True) for done in (False, True)
}


def _result(done: Outcome, now) -> tuple[dict, float | None]:
    """The columns that record one attempt's result, and the back-off when it is retried."""
    if done.error is None:
        values = {"status": "sent", "sent_at": now, "last_error": None, "next_attempt_at": None}
        return {"claimed_by": None, **values}, None
    if is_permanent(done.error) or done.attempts >= max_attempts():
        values = {"status": "failed", "next_attempt_at": None, "last_error": error_text(done.error)}
        return {"claimed_by": None, **values}, None
    delay = min(2**done.attempts * 5, 3600)
    values = {
        "status": "pending",
        "next_attempt_at": now + timedelta(seconds=delay),
        "last_error": error_text(done.error),
    }
    return {"claimed_by": None, **values}, delay


@contextmanager
def _async_commits():
    """On PostgreSQL, the run's commits do not wait for the WAL flush: a killed worker loses
    nothing (the server has its commits); a crash of the database server itself may forget
    the last records of the run, whose emails are then sent again with the same Message-ID."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        db.session.execute(text("SET synchronous_commit TO OFF"))
        db.session.commit()
    try:
        yield
    finally:
        if postgres:
            try:
                db.session.rollback()
                db.session.execute(text("RESET synchronous_commit"))
                db.session.commit()
            except Exception:  # noqa: BLE001 - the connection is then invalidated anyway
                db.session.rollback()
                db.session.connection().invalidate()


def send_claim(claim: Claim) -> tuple[int, float | None]:
    """Send the emails of ``claim``; (how many were sent, the shortest back-off if any)."""
    sent = 0
    retry_in: float | None = None
    done: Outcome | None = None

    def note(delay):
        nonlocal retry_in
        if delay is not None:
            retry_in = delay if retry_in is None else min(retry_in, delay)

    try:
        for email_id, message, recipient in claim.rows:
            opened: Exception | None = None
            try:
                _transport_open()
            except Exception as exc:  # noqa: BLE001 - counted as this email's failed attempt
                opened = exc
            attempts, delay = step(claim, done, email_id)
            done = None
            note(delay)
            if attempts is None:
                continue  # the lease ran out and another run took the email over
            if opened is not None:
                done = Outcome(email_id, attempts, opened)
                continue
            try:
                _transport_send(message, recipient)
            except Exception as exc:  # noqa: BLE001 - any transport failure is recorded
                done = Outcome(email_id, attempts, exc)
                continue
            done = Outcome(email_id, attempts)
            sent += 1
    except BaseException:
        db.session.rollback()  # a failed statement must not keep the last result unrecorded
        raise
    finally:
        if done is not None:
            note(step(claim, done, None)[1])
    return sent, retry_in


def deliver_pending(limit: int | None = None) -> int:
    """Send due emails of the outbox; return how many were sent. Safe to run concurrently.

    One SMTP connection serves the whole run."""
    outer = getattr(_run, "transport", None)
    if outer is not None:
        return _deliver_pending(limit)
    _run.transport = _Transport()
    try:
        with _async_commits():
            return _deliver_pending(limit)
    finally:
        transport, _run.transport = _run.transport, None
        transport.close()


def _deliver_pending(limit: int | None) -> int:
    sent = 0
    while True:
        retry_in: float | None = None
        while limit is None or sent < limit:
            claim = claim_batch(CLAIM_SIZE if limit is None else min(CLAIM_SIZE, limit - sent))
            if claim is None:
                break
            batch_sent, batch_retry = send_claim(claim)
            sent += batch_sent
            if batch_retry is not None:
                retry_in = batch_retry if retry_in is None else min(retry_in, batch_retry)
            if batch_sent == 0 and batch_retry is not None:
                break  # the server refuses everything now: wait for the back-off
        if retry_in is None:
            return sent
        if not current_app.config.get("JOBS_EAGER"):
            from ...jobs import enqueue

            try:
                enqueue(DELIVER_PATH, delay=retry_in)
            except Exception:  # noqa: BLE001 - the periodic sweep retries them anyway
                current_app.logger.exception("could not schedule the email retry")
            return sent
        # Eager mode (tests): retry at once, the back-off is not waited for. Each round adds
        # an attempt to the failing emails, so this ends (at MAIL_MAX_ATTEMPTS at the latest).
        db.session.execute(
            update(OutboxEmail).where(OutboxEmail.status == "pending").values(next_attempt_at=None)
        )
        db.session.commit()
