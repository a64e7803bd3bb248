"""iCalendar files (RFC 5545): the event, and one attendee's event with their sessions.

Times carry the event's timezone (TZID with a VTIMEZONE block), so calendars show the right
local start wherever the reader is. UIDs are stable (uuid5), so a re-imported file updates the
entries instead of duplicating them.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app

from ..i18n import utc_to_local
from ..models import Event, Registration, Session
from ..models.types import utcnow

PRODID = "-//symposium//symposium//EN"


def _uid(kind: str, *parts) -> str:
    base = current_app.config.get("SYMPOSIUM_BASE_URL", "symposium")
    name = "/".join([base, kind, *(str(p) for p in parts)])
    return f"{uuid.uuid5(uuid.NAMESPACE_URL, name)}@symposium"


def _calendar(lang: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal["X-WR-LANGUAGE"] = lang
    return cal


@lru_cache(maxsize=64)
def _vtimezone(tzid: str) -> bytes | None:
    """The VTIMEZONE block of ``tzid``, serialised (built once per process: computing and
    folding its transitions costs far more than the rest of a calendar file)."""
    try:
        return icalendar.Timezone.from_tzid(tzid).to_ical()
    except ValueError:
        return None


def to_ical(cal: icalendar.Calendar) -> bytes:
    """``cal.to_ical()`` with the VTIMEZONE blocks its times need, as
    ``Calendar.add_missing_timezones`` would add them (first, before the events)."""
    blocks = [block for tzid in sorted(cal.get_missing_tzids()) if (block := _vtimezone(tzid))]
    data = cal.to_ical()
    if not blocks:
        return data
    # Before the first component (a line that starts with BEGIN:V after the calendar's own)
    at = data.find(b"\r\nBEGIN:V", len(b"BEGIN:VCALENDAR")) + 2
    if at < 2:
        at = data.rindex(b"END:VCALENDAR")
    return data[:at] + b"".join(blocks) + data[at:]


def _location(event: Event, lang: str) -> str:
    parts = [event.t("venue_name", lang), event.t("venue_address", lang)]
    return ", ".join(p for p in parts if p)


def event_span(event: Event) -> tuple[datetime, datetime] | None:
    """Start of the first session and end of the last one, in the event's timezone."""
    sessions = [s for s in event.sessions if s.starts_at and s.ends_at]
    if not sessions:
        return None
    start = min(s.starts_at for s in sessions)
    end = max(s.ends_at for s in sessions)
    return utc_to_local(start, event.timezone), utc_to_local(end, event.timezone)


def _event_component(event: Event, lang: str, url: str | None) -> icalendar.Event:
    vevent = icalendar.Event()
    vevent.add("uid", _uid("event", event.slug))
    vevent.add("dtstamp", utcnow())
    vevent.add("summary", event.t("title", lang))
    span = event_span(event)
    if span:
        vevent.add("dtstart", span[0])
        vevent.add("dtend", span[1])
    else:
        vevent.add("dtstart", event.starts_on)
        vevent.add("dtend", event.ends_on + timedelta(days=1))
    location = _location(event, lang)
    if location:
        vevent.add("location", location)
    description = event.t("description", lang)
    if url:
        description = f"{description}\n\n{url}".strip()
        vevent.add("url", url)
    if description:
        vevent.add("description", description)
    return vevent


def _session_component(item: Session, lang: str, url: str | None) -> icalendar.Event:
    tz = ZoneInfo(item.event.timezone)
    vevent = icalendar.Event()
    vevent.add("uid", _uid("session", item.event.slug, item.key))
    vevent.add("dtstamp", utcnow())
    vevent.add("summary", item.t("title", lang))
    vevent.add("dtstart", item.starts_at.astimezone(tz))
    vevent.add("dtend", item.ends_at.astimezone(tz))
    where = [item.room.t("name", lang)] if item.room else []
    where.append(_location(item.event, lang))
    location = ", ".join(p for p in where if p)
    if location:
        vevent.add("location", location)
    if url:
        vevent.add("url", url)
    return vevent


def event_ics(event: Event, lang: str, url: str | None = None) -> bytes:
    """One VEVENT for the whole event (first session to last, or the whole days)."""
    cal = _calendar(lang)
    cal.add("x-wr-calname", event.t("title", lang))
    cal.add_component(_event_component(event, lang, url))
    return to_ical(cal)


def public_urls(event: Event, lang: str) -> tuple[str, str]:
    """The absolute public event page and the prefix of its session pages, on
    SYMPOSIUM_BASE_URL (usable outside a request, e.g. in a background job)."""
    base = current_app.config.get("SYMPOSIUM_BASE_URL", "").rstrip("/")
    page = f"{base}/{lang}/events/{event.slug}/"
    return page, f"{page}sessions/"


_REGISTRATION_CACHE: OrderedDict[tuple, bytes] = OrderedDict()
_REGISTRATION_CACHE_SIZE = 256
_cache_lock = threading.Lock()


def registration_ics(registration: Registration, lang: str) -> bytes:
    """The event plus the sessions this person holds a seat in.

    Nothing personal goes in the file: its entries link to the public pages, not to the
    personal link (a calendar entry is often shared, or synced to a work calendar, and the
    personal link can cancel the registration). So the file is the same for everyone holding
    the same seats, and it is built once per process for each version of the event and its
    agenda, language and set of sessions.
    """
    event = registration.event
    seats = tuple(
        sorted(s.session_id for s in registration.session_signups if s.status == "confirmed")
    )
    key = (
        current_app.config.get("SYMPOSIUM_BASE_URL"),
        event.id,
        event.slug,
        event.updated_at,
        event.agenda_version,
        lang,
        seats,
    )
    with _cache_lock:
        content = _REGISTRATION_CACHE.get(key)
        if content is not None:
            _REGISTRATION_CACHE.move_to_end(key)
            return content
    page, sessions_prefix = public_urls(event, lang)
    cal = _calendar(lang)
    cal.add("x-wr-calname", event.t("title", lang))
    cal.add_component(_event_component(event, lang, page))
    for signup in registration.session_signups:
        if signup.status == "confirmed":
            item = signup.session
            cal.add_component(_session_component(item, lang, sessions_prefix + item.key))
    content = to_ical(cal)
    with _cache_lock:
        _REGISTRATION_CACHE[key] = content
        while len(_REGISTRATION_CACHE) > _REGISTRATION_CACHE_SIZE:
            _REGISTRATION_CACHE.popitem(last=False)
    return content
