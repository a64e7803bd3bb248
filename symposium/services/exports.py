"""Registration lists for spreadsheets and programs: CSV (UTF-8 with BOM), XLSX and JSON.

- Times are ISO 8601 with the offset of the event's timezone in CSV and JSON
  (``2026-11-29T17:49:00+03:00``), real date-times in XLSX (the event's local time, with a
  number format), so that spreadsheets and pandas read them as times.
- Status, attendance mode and language are written in the export's language, each with its
  raw code in a column of its own; lists use the language's conjunction (Babel's format_list).
- An Arabic workbook is right to left, its sheet and columns named in Arabic.
- Formula cells are neutralised: every text cell is a string, never a formula.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from babel import Locale, UnknownLocaleError
from babel.lists import format_list
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING

from ..i18n import country_name, language, text_direction, utc_to_local
from ..models import Event, Registration

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON_CONTENT_TYPE = "application/json"


def neutralise(value) -> str:
    """Text for a cell; a value that a spreadsheet would run as a formula gets a leading '."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def status_label(status: str) -> str:
    return {
        "confirmed": _("Confirmed"),
        "waitlisted": _("Waiting list"),
        "cancelled": _("Cancelled"),
    }.get(status, status)


def mode_label(mode: str) -> str:
    return {"in_person": _("In person"), "online": _("Online")}.get(mode, mode)


def language_name(code: str | None, lang: str) -> str:
    """The name of the language ``code`` in ``lang`` (e.g. "ar" in French: "arabe")."""
    if not code:
        return ""
    try:
        return Locale.parse(code).get_display_name(lang) or code
    except (ValueError, UnknownLocaleError):
        return code


# (key of the JSON record, column header); the order of the CSV and XLSX columns
def columns() -> list[tuple[str, str]]:
    return [
        ("name", _("Name")),
        ("email", _("Email")),
        ("status_label", _("Status")),
        ("status", _("Status code")),
        ("organisation", _("Organisation")),
        ("job_title", _("Job title")),
        ("country_name", _("Country")),
        ("country", _("Country code")),
        ("city", _("City")),
        ("attendance_mode_label", _("Attendance")),
        ("attendance_mode", _("Attendance code")),
        ("preferred_language_name", _("Preferred language")),
        ("preferred_language", _("Language code")),
        ("registered_at", _("Registered at")),
        ("checked_in_at", _("Checked in at")),
        ("sessions_list", _("Sessions")),
        ("source", _("Source")),
    ]


def headers() -> list[str]:
    return [header for _key, header in columns()]


def _local(dt: datetime | None, tzname: str) -> datetime | None:
    return utc_to_local(dt, tzname).replace(microsecond=0) if dt is not None else None


def registration_record(event: Event, reg: Registration, lang: str) -> dict:
    """One registration, typed: times are aware datetimes in the event's timezone."""
    tzname = event.timezone
    sessions = [
        {"key": su.session.key, "title": su.session.t("title", lang)}
        for su in reg.session_signups
        if su.status != "cancelled"
    ]
    return {
        "name": reg.full_name,
        "email": reg.email,
        "status": reg.status,
        "status_label": status_label(reg.status),
        "organisation": reg.organisation or "",
        "job_title": reg.job_title or "",
        "country": reg.country or "",
        "country_name": country_name(reg.country, lang) if reg.country else "",
        "city": reg.city or "",
        "attendance_mode": reg.attendance_mode,
        "attendance_mode_label": mode_label(reg.attendance_mode),
        "preferred_language": reg.preferred_language,
        "preferred_language_name": language_name(reg.preferred_language, lang),
        "registered_at": _local(reg.created_at, tzname),
        "checked_in_at": _local(reg.checked_in_at, tzname),
        "sessions": sessions,
        "sessions_list": format_list([s["title"] for s in sessions], locale=lang)
        if sessions
        else "",
        "source": reg.source,
    }


def registration_row(event: Event, reg: Registration, lang: str) -> list:
    record = registration_record(event, reg, lang)
    return [record[key] for key, _header in columns()]


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the offset (``value`` is aware, in the event's timezone)."""
    return value.isoformat(timespec="seconds") if value is not None else None


def to_csv(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with a byte order mark, so that spreadsheet programs show Arabic correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([iso(v) if isinstance(v, datetime) else neutralise(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def sheet_title(title: str) -> str:
    """A valid worksheet name: without []:*?/\\ and at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"


def to_xlsx(
    header: Sequence[str],
    rows: Iterable[Sequence],
    title: str = "Registrations",
    *,
    rtl: bool = False,
) -> bytes:
    """Text cells are strings (never a formula), neutralised like the CSV; date-times are
    real date-times (their local time: Excel has no timezones) with a number format."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(title)
    ws.sheet_view.rightToLeft = rtl
    for r, row in enumerate([header, *rows], start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(value, datetime) and r > 1:
                cell.value = value.replace(tzinfo=None)
                cell.number_format = XLSX_DATETIME_FORMAT
            else:
                cell.value = neutralise(value)
                cell.data_type = TYPE_STRING
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def registrations_table(event: Event, registrations: Iterable[Registration], lang: str):
    """Header and typed rows of the CSV and XLSX exports, in ``lang``."""
    with language(lang):
        return headers(), [registration_row(event, reg, lang) for reg in registrations]


def registrations_document(event: Event, registrations: Iterable[Registration], lang: str) -> dict:
    """The JSON export: stable keys, raw codes with their labels in ``lang``, ISO times."""
    with language(lang):
        records = [registration_record(event, reg, lang) for reg in registrations]
    for record in records:
        record.pop("sessions_list")
        for key in ("registered_at", "checked_in_at"):
            record[key] = iso(record[key])
    return {
        "event": event.slug,
        "timezone": event.timezone,
        "language": lang,
        "registrations": records,
    }


def to_json(document: dict) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def export(event: Event, registrations: Sequence[Registration], lang: str, fmt: str):
    """(body, content type) of the registrations export in ``fmt`` (csv, xlsx or json)."""
    if fmt == "json":
        return to_json(registrations_document(event, registrations, lang)), JSON_CONTENT_TYPE
    header, rows = registrations_table(event, registrations, lang)
    if fmt == "csv":
        return to_csv(header, rows), CSV_CONTENT_TYPE
    with language(lang):
        title = _("Registrations")
    body = to_xlsx(header, rows, title, rtl=text_direction(lang) == "rtl")
    return body, XLSX_CONTENT_TYPE


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
