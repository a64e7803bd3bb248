"""Registration lists for spreadsheets: CSV (UTF-8 with BOM) and XLSX, formula cells neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING

from ..i18n import country_name, fmt_datetime
from ..models import Event, Registration

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """Text for a cell; a value that a spreadsheet would run as a formula gets a leading '."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def headers() -> list[str]:
    return [
        _("Name"),
        _("Email"),
        _("Status"),
        _("Organisation"),
        _("Job title"),
        _("Country"),
        _("City"),
        _("Attendance"),
        _("Preferred language"),
        _("Registered at"),
        _("Checked in at"),
        _("Sessions"),
        _("Source"),
    ]


def status_label(status: str) -> str:
    return {
        "confirmed": _("Confirmed"),
        "waitlisted": _("Waiting list"),
        "cancelled": _("Cancelled"),
    }.get(status, status)


def mode_label(mode: str) -> str:
    return {"in_person": _("In person"), "online": _("Online")}.get(mode, mode)


def registration_row(event: Event, reg: Registration, lang: str) -> list[str]:
    tzname = event.timezone
    sessions = ", ".join(
        su.session.t("title", lang) for su in reg.session_signups if su.status != "cancelled"
    )
    return [
        reg.full_name,
        reg.email,
        status_label(reg.status),
        reg.organisation or "",
        reg.job_title or "",
        country_name(reg.country, lang) if reg.country else "",
        reg.city or "",
        mode_label(reg.attendance_mode),
        reg.preferred_language,
        fmt_datetime(reg.created_at, tzname, lang, "short") if reg.created_at else "",
        fmt_datetime(reg.checked_in_at, tzname, lang, "short") if reg.checked_in_at else "",
        sessions,
        reg.source,
    ]


def to_csv(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with a byte order mark, so that spreadsheet programs show Arabic correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence], title: str = "Registrations") -> bytes:
    """Every cell is written as a string (never a formula), neutralised like the CSV."""
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    for r, row in enumerate([header, *rows], start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            cell.value = neutralise(value)
            cell.data_type = TYPE_STRING
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def registrations_table(event: Event, registrations: Iterable[Registration], lang: str):
    return headers(), [registration_row(event, reg, lang) for reg in registrations]


# --- the filtered registration list (shared by the list page, exports and bulk email) ---

SORTS = {
    "newest": "newest",
    "oldest": "oldest",
    "name": "name",
    "status": "status",
    "country": "country",
}


def filtered_query(event: Event, filters: dict, *, sort: str = "newest"):
    """A SELECT of the event's registrations matching ``filters``.

    filters: q (Arabic-aware search on name and email), status, country, session (id),
    checked_in ("yes"/"no"), language.
    """
    from sqlalchemy import exists, select

    from ..models import SessionRegistration
    from .search import matches

    query = select(Registration).where(Registration.event_id == event.id)
    q = (filters.get("q") or "").strip()
    if q:
        query = query.where(matches(Registration.search_text, q))
    status = filters.get("status")
    if status in ("confirmed", "waitlisted", "cancelled"):
        query = query.where(Registration.status == status)
    country = (filters.get("country") or "").strip().upper()
    if country:
        query = query.where(Registration.country == country)
    language = filters.get("language")
    if language:
        query = query.where(Registration.preferred_language == language)
    session_id = filters.get("session")
    if session_id not in (None, ""):
        try:
            sid = int(session_id)
        except (TypeError, ValueError):
            sid = -1
        query = query.where(
            exists().where(
                SessionRegistration.registration_id == Registration.id,
                SessionRegistration.session_id == sid,
                SessionRegistration.status != "cancelled",
            )
        )
    checked = filters.get("checked_in")
    if checked == "yes":
        query = query.where(Registration.checked_in_at.is_not(None))
    elif checked == "no":
        query = query.where(Registration.checked_in_at.is_(None))
    order = {
        "newest": (Registration.created_at.desc(), Registration.id.desc()),
        "oldest": (Registration.created_at.asc(), Registration.id.asc()),
        "name": (Registration.full_name.asc(), Registration.id.asc()),
        "status": (Registration.status.asc(), Registration.waitlist_seq.asc(), Registration.id),
        "country": (Registration.country.asc(), Registration.full_name.asc()),
    }.get(sort, (Registration.created_at.desc(), Registration.id.desc()))
    return query.order_by(*order)


FILTER_KEYS = ("q", "status", "country", "session", "checked_in", "language")


def filters_from_args(args) -> dict:
    return {k: args.get(k, "") for k in FILTER_KEYS if args.get(k)}
