"""Attendance recorded elsewhere (an online platform, a paper list): import a CSV of emails;
and attendance marked by hand by an organiser (``mark_by_hand`` / ``unmark_by_hand``).

The file needs an ``email`` column (header matched case-insensitively; a UTF-8 BOM and ``;``
or tab separators are tolerated); other columns are ignored. Each listed confirmed
registration is marked attended (``checked_in_at`` now unless already set,
``attendance_source="import"``). Unknown addresses and registrations that are waitlisted or
cancelled are reported, not fatal. Nothing is marked before the event starts
(services/event_time.py): the whole file is refused, saying when the event starts.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from ..models import Event, Registration
from ..models.types import utcnow
from . import audit

EMAIL_HEADERS = {"email", "e-mail", "email address", "e-mail address", "mail", "courriel"}
MAX_ROWS = 50_000


class AttendanceImportError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class AttendanceImportResult:
    marked: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    not_confirmed: list[tuple[str, str]] = field(default_factory=list)  # (email, status)
    rows: int = 0

    def as_dict(self) -> dict:
        return {
            "marked": len(self.marked),
            "already": len(self.already),
            "unknown": list(self.unknown),
            "not_confirmed": [list(item) for item in self.not_confirmed],
            "rows": self.rows,
        }


def _normalize_email(value: str) -> str:
    try:
        from .registration import normalize_email
    except ImportError:  # pragma: no cover - the registration area defines it
        return unicodedata.normalize("NFC", value or "").strip().casefold()
    return normalize_email(value)


def read_emails(data: bytes | str) -> list[str]:
    """The email column of a CSV file, in order, without blanks (raises on a bad file)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise AttendanceImportError(_("The file must be a CSV file encoded in UTF-8."))
    else:
        text = data.removeprefix("\ufeff")
    if not text.strip():
        raise AttendanceImportError(_("The file is empty."))
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise AttendanceImportError(_("The file is empty."))
    column = next(
        (
            i
            for i, name in enumerate(header)
            if " ".join(name.strip().casefold().split()) in EMAIL_HEADERS
        ),
        None,
    )
    if column is None:
        raise AttendanceImportError(_("The file has no “email” column."))
    emails = []
    try:
        for row in reader:
            if len(emails) >= MAX_ROWS:
                raise AttendanceImportError(_("The file has too many rows."))
            if column < len(row) and row[column].strip():
                emails.append(row[column].strip())
    except csv.Error:
        raise AttendanceImportError(_("The file could not be read as CSV."))
    return emails


def import_attendance(
    session: OrmSession, event: Event, data: bytes | str, *, user=None
) -> AttendanceImportResult:
    """Mark the registrations listed in ``data`` as attended; return what happened."""
    from .event_time import has_started

    if not has_started(event):
        raise AttendanceImportError(_not_started(event))
    emails = read_emails(data)
    result = AttendanceImportResult(rows=len(emails))
    seen: dict[str, str] = {}
    for email in emails:
        seen.setdefault(_normalize_email(email), email)
    if not seen:
        return result
    registrations = {
        r.email_normalized: r
        for r in session.scalars(
            select(Registration).where(
                Registration.event_id == event.id,
                Registration.email_normalized.in_(list(seen)),
            )
        )
    }
    now = utcnow()
    for key, typed in seen.items():
        registration = registrations.get(key)
        if registration is None:
            result.unknown.append(typed)
        elif registration.status != "confirmed":
            result.not_confirmed.append((typed, registration.status))
        elif registration.checked_in_at is not None:
            result.already.append(typed)
        else:
            registration.checked_in_at = now
            registration.attendance_source = "import"
            registration.checked_in_by_id = getattr(user, "id", None)
            result.marked.append(typed)
    audit.record(
        session,
        "attendance.import",
        user=user,
        event=event,
        details={
            "rows": result.rows,
            "marked": len(result.marked),
            "already": len(result.already),
            "unknown": len(result.unknown),
            "not_confirmed": len(result.not_confirmed),
        },
    )
    session.flush()
    return result


# --------------------------------------------------------------------------- by hand


class AttendanceMarkError(AttendanceImportError):
    """A mark by hand that cannot be made or removed (the message is translated)."""


def _not_started(event: Event) -> str:
    from ..i18n import fmt_date, fmt_time, utc_to_local
    from .event_time import event_starts_at

    start = event_starts_at(event)
    return _(
        "Attendance cannot be recorded before the event starts: %(date)s at %(time)s (event time).",
        date=fmt_date(utc_to_local(start, event.timezone).date(), fmt="full"),
        time=fmt_time(start, event.timezone),
    )


def mark_by_hand(session: OrmSession, registration: Registration, *, user=None) -> Registration:
    """An organiser vouches that this confirmed registrant attended (``attendance_source``
    "manual"). A door check-in keeps its time and becomes a mark by hand (the previous
    source is kept in the audit log, so that removing the mark restores it)."""
    from .event_time import has_started

    event = registration.event
    if registration.status != "confirmed":
        raise AttendanceMarkError(_("Only a confirmed registration can be marked as attended."))
    if not has_started(event):
        raise AttendanceMarkError(_not_started(event))
    previous = registration.attendance_source if registration.checked_in_at else None
    if previous == "manual":
        raise AttendanceMarkError(_("This registration is already marked by hand."))
    if previous == "import":
        raise AttendanceMarkError(_("This registration is already marked attended by an import."))
    audit.record(
        session,
        "attendance.manual",
        user=user,
        event=event,
        target=f"registration:{registration.id}",
        details={
            "previous_source": previous,
            "previous_at": registration.checked_in_at.isoformat() if previous else None,
        },
    )
    if registration.checked_in_at is None:
        registration.checked_in_at = utcnow()
        registration.checked_in_by_id = getattr(user, "id", None)
    registration.attendance_source = "manual"
    session.flush()
    return registration


def unmark_by_hand(session: OrmSession, registration: Registration, *, user=None) -> Registration:
    """Remove a mark by hand: back to the door check-in it replaced, else not attended."""
    from ..models import AuditLog

    if registration.checked_in_at is None or registration.attendance_source != "manual":
        raise AttendanceMarkError(_("This registration is not marked by hand."))
    entry = session.scalar(
        select(AuditLog)
        .where(
            AuditLog.event_id == registration.event_id,
            AuditLog.action == "attendance.manual",
            AuditLog.target == f"registration:{registration.id}",
        )
        .order_by(AuditLog.id.desc())
        .limit(1)
    )
    previous = (entry.details or {}).get("previous_source") if entry is not None else None
    if previous:
        registration.attendance_source = previous
    else:
        registration.checked_in_at = None
        registration.checked_in_by_id = None
        registration.attendance_source = None
    audit.record(
        session,
        "attendance.manual_removed",
        user=user,
        event=registration.event,
        target=f"registration:{registration.id}",
        details={"restored_source": previous},
    )
    session.flush()
    return registration
