"""Claiming scheduled emails: one ``ReminderLog`` row per registration and key, inserted in the
transaction that queues the email.

``claim`` inserts the rows with ``INSERT … ON CONFLICT DO NOTHING RETURNING`` and answers the
ones this transaction inserted. A concurrent sweep that wants the same row waits for ours (the
unique index on PostgreSQL; SQLite's BEGIN IMMEDIATE lets one writer in at a time) and then
inserts nothing, so it does not send: each email leaves exactly once, and none is lost if our
transaction rolls back (theirs then inserts it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from ...models.hybrid import ReminderLog


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
