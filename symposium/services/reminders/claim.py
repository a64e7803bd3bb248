"""Claiming scheduled emails: one ``ReminderLog`` row per registration and key, inserted in the
transaction that queues the email.

``claim`` inserts the rows with ``INSERT … ON CONFLICT DO NOTHING RETURNING`` and answers the
ones this transaction inserted. A concurrent sweep that wants the same row waits for ours (the
unique index on PostgreSQL; SQLite's BEGIN IMMEDIATE lets one writer in at a time) and then
inserts nothing, so it does not send: each email leaves exactly once, and none is lost if our
transaction rolls back (theirs then inserts it).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from ...models import Registration
from ...models.hybrid import ReminderLog
from ..mail import RawEmail, queue_email, record_failed


def claim(session: OrmSession, pairs: list[tuple[int, str]], now: datetime) -> set[tuple[int, str]]:
    """Insert a ReminderLog row for each (registration id, key) that has none yet; the pairs
    inserted now (the others were claimed before, by this sweep or another one)."""
    pairs = sorted(set(pairs))  # the same order in every sweep: no deadlock between them
    if not pairs:
        return set()
    rows = [{"registration_id": rid, "key": key, "sent_at": now} for rid, key in pairs]
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        claimed: set[tuple[int, str]] = set()
        for start in range(0, len(rows), 500):
            statement = (
                insert(ReminderLog)
                .values(rows[start : start + 500])
                .on_conflict_do_nothing(index_elements=["registration_id", "key"])
                .returning(ReminderLog.registration_id, ReminderLog.key)
            )
            claimed.update((rid, key) for rid, key in session.execute(statement))
        return claimed
    return _claim_one_by_one(session, rows)  # pragma: no cover - other databases


def _claim_one_by_one(session: OrmSession, rows: list[dict]) -> set[tuple[int, str]]:
    """Elsewhere: one savepoint per row; a duplicate key means another sweep has it."""
    claimed = set()
    for row in rows:
        try:
            with session.begin_nested():
                session.add(ReminderLog(**row))
                session.flush()
        except IntegrityError:
            continue
        claimed.add((row["registration_id"], row["key"]))
    return claimed


def _session_object(session: OrmSession) -> OrmSession:
    """The Session behind a scoped session (``db.session``), or the session itself."""
    registry = getattr(session, "registry", None)
    return registry() if registry is not None else session


@contextmanager
def _kept_loaded(session: OrmSession):
    """Commit without expiring what is loaded (the emails are rendered from it next)."""
    real = _session_object(session)
    previous = real.expire_on_commit
    real.expire_on_commit = False
    try:
        yield
    finally:
        real.expire_on_commit = previous


def render_then_claim(
    session: OrmSession,
    registrations: list[Registration],
    build: Callable[[Registration], RawEmail | None],
    *,
    keys: list[str],
    kind: str,
    now: datetime,
) -> int:
    """Send one batch: render each registration's email (``build``; None: nothing to send),
    then in one transaction claim ``keys`` for each of them and queue the emails of those whose
    first key this transaction claimed. Returns how many were queued.

    The reading transaction ends before the rendering, so that on SQLite (where a transaction
    holds the write lock) registrations are not kept waiting while emails are rendered. An
    email rendered for a registration another sweep claims meanwhile is dropped."""
    with _kept_loaded(session):
        session.commit()
    built: list[tuple[Registration, RawEmail | Exception | None]] = []
    for registration in registrations:
        try:
            built.append((registration, build(registration)))
        except Exception as exc:  # noqa: BLE001 - one bad email must not block the others
            built.append((registration, exc))
    pairs = [(registration.id, key) for registration, _message in built for key in keys]
    claimed = claim(session, pairs, now)
    queued = 0
    for registration, message in built:
        if (registration.id, keys[0]) not in claimed or message is None:
            continue
        if not isinstance(message, Exception):
            try:
                with session.begin_nested():
                    queue_email(session, message, kind=kind)
                    session.flush()
                queued += 1
                continue
            except Exception as exc:  # noqa: BLE001 - e.g. a value the database refuses
                message = exc
        current_app.logger.warning(
            "%s email for registration %s cannot be built: %s", kind, registration.id, message
        )
        record_failed(session, recipient=registration.email, kind=kind, error=message)
    session.commit()  # the log rows and the emails together
    return queued
