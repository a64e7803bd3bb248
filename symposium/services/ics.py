"""iCalendar files (RFC 5545): the public agenda, one session, and one attendee's calendar.

- Times carry the event's timezone (TZID) with a VTIMEZONE limited to the dates the file uses:
  one observance per change of offset, without RDATE lists (which ical.js, the parser of
  Thunderbird and Nextcloud, and vobject misread, putting sessions an hour off after a change
  of daylight saving time).
- A session has the same UID in every file (``guids.session_guid``), whatever the feed, the
  language or the site's address; SEQUENCE and LAST-MODIFIED follow its revisions, so that a
  calendar replaces the entry it has when the time, room or title changes.
- Lines end with CRLF, the text is UTF-8; serve and attach them as ``CONTENT_TYPE``.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache

import icalendar
from babel.lists import format_list
from flask import current_app

from ..i18n import join_apposition, utc_to_local
from ..models import Event, Registration, Session
from ..models.types import utcnow
from .guids import event_guid, ical_uid, session_guid

PRODID = "-//symposium//symposium//EN"
METHOD = "PUBLISH"
# Content-Type of every calendar file (HTTP responses) and its parameters (email attachments)
CONTENT_PARAMS = (("charset", "utf-8"), ("method", METHOD))
CONTENT_TYPE = "text/calendar; " + "; ".join(f"{k}={v}" for k, v in CONTENT_PARAMS)


def _calendar(lang: str, name: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", METHOD)
    cal.add("x-wr-calname", name)
    cal["X-WR-LANGUAGE"] = lang
    return cal


def _without_rdate(timezone: icalendar.Timezone) -> icalendar.Timezone:
    """The same VTIMEZONE with one observance per onset: each RDATE of an observance becomes
    a copy of it starting then (ical.js ignores the DTSTART of an observance that has RDATEs,
    and reads only the first date of an RDATE list)."""
    out = icalendar.Timezone()
    for name, value in timezone.items():
        out[name] = value
    for observance in timezone.subcomponents:
        rdates = observance.pop("RDATE", None)
        out.add_component(observance)
        if rdates is None:
            continue
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            for onset in rdate.dts:
                extra = copy.deepcopy(observance)
                extra.pop("DTSTART")
                extra.add("dtstart", onset.dt)
                out.add_component(extra)
    return out


@lru_cache(maxsize=256)
def _vtimezone(tzid: str, first: date, last: date) -> bytes | None:
    """The VTIMEZONE of ``tzid`` valid from ``first`` to ``last``, serialised (built once per
    process and span: computing its transitions costs more than the rest of a file)."""
    try:
        timezone = icalendar.Timezone.from_tzid(tzid, first_date=first, last_date=last)
    except ValueError:
        return None
    return _without_rdate(timezone).to_ical()


def _zone_spans(cal: icalendar.Calendar) -> dict[str, tuple[date, date]]:
    """For each timezone the components' times use, the first and last date they fall on."""
    spans: dict[str, tuple[date, date]] = {}
    for component in cal.walk():
        if component.name == "VTIMEZONE":
            continue
        for prop in ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID"):
            value = component.get(prop)
            dt = getattr(value, "dt", None)
            tzid = getattr(getattr(dt, "tzinfo", None), "key", None)
            if not isinstance(dt, datetime) or not tzid or tzid == "UTC":
                continue
            day = dt.date()
            first, last = spans.get(tzid, (day, day))
            spans[tzid] = (min(first, day), max(last, day))
    return spans


def to_ical(cal: icalendar.Calendar) -> bytes:
    """``cal.to_ical()`` with, first, a VTIMEZONE for each timezone its times use, covering
    (with a day's margin) the dates they fall on. Lines end with CRLF."""
    blocks = []
    for tzid, (first, last) in sorted(_zone_spans(cal).items()):
        block = _vtimezone(tzid, first - timedelta(days=1), last + timedelta(days=1))
        if block:
            blocks.append(block)
    data = cal.to_ical()
    if blocks:
        # Before the first component (a line that starts with BEGIN:V after the calendar's own)
        at = data.find(b"\r\nBEGIN:V", len(b"BEGIN:VCALENDAR")) + 2
        if at < 2:
            at = data.rindex(b"END:VCALENDAR")
        data = data[:at] + b"".join(blocks) + data[at:]
    return data


def _location(event: Event, lang: str) -> str:
    return join_apposition([event.t("venue_name", lang), event.t("venue_address", lang)], lang)


def event_span(event: Event) -> tuple[datetime, datetime] | None:
    """Start of the first session and end of the last one, in the event's timezone."""
    sessions = [s for s in event.sessions if s.starts_at and s.ends_at]
    if not sessions:
        return None
    start = min(s.starts_at for s in sessions)
    end = max(s.ends_at for s in sessions)
    return utc_to_local(start, event.timezone), utc_to_local(end, event.timezone)


def _stamp() -> datetime:
    return utcnow().replace(microsecond=0)


def _event_component(event: Event, lang: str, url: str | None) -> icalendar.Event:
    vevent = icalendar.Event()
    vevent.add("uid", ical_uid(event_guid(event)))
    vevent.add("dtstamp", _stamp())
    # The agenda version grows with every change of the agenda, which moves this entry's times
    vevent.add("sequence", event.agenda_version or 0)
    if event.updated_at:
        vevent.add("last-modified", event.updated_at.replace(microsecond=0))
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


def session_component(
    item: Session,
    lang: str,
    url: str | None,
    *,
    kind_labels: Mapping[str, str] | None = None,
) -> icalendar.Event:
    """The VEVENT of one session, the same (but for DTSTAMP) in every file that lists it."""
    event = item.event
    vevent = icalendar.Event()
    vevent.add("uid", ical_uid(session_guid(event, item)))
    vevent.add("dtstamp", _stamp())
    vevent.add("sequence", item.revision or 0)
    if item.revised_at:
        vevent.add("last-modified", item.revised_at.replace(microsecond=0))
    vevent.add("summary", item.t("title", lang))
    vevent.add("dtstart", utc_to_local(item.starts_at, event.timezone))
    vevent.add("dtend", utc_to_local(item.ends_at, event.timezone))
    description = item.t("abstract", lang)
    names = [link.person.t("name", lang) for link in item.speakers if link.person is not None]
    names = [name for name in names if name]
    if names:
        speakers = format_list(names, locale=lang)
        description = f"{description}\n\n{speakers}" if description else speakers
    if description:
        vevent.add("description", description)
    where = [item.room.t("name", lang)] if item.room else []
    where.append(_location(event, lang))
    location = join_apposition(where, lang)
    if location:
        vevent.add("location", location)
    if url:
        vevent.add("url", url)
    if kind_labels is not None:
        vevent.add("categories", [kind_labels.get(item.kind, item.kind)])
    return vevent


def event_ics(event: Event, lang: str, url: str | None = None) -> bytes:
    """One VEVENT for the whole event (first session to last, or the whole days)."""
    cal = _calendar(lang, event.t("title", lang))
    cal.add_component(_event_component(event, lang, url))
    return to_ical(cal)


def agenda_ics(
    event: Event,
    sessions: Iterable[Session],
    lang: str,
    session_url: Callable[[Session], str],
    *,
    kind_labels: Mapping[str, str] | None = None,
) -> bytes:
    """The public agenda: one VEVENT per session."""
    cal = _calendar(lang, event.t("title", lang))
    cal.add("x-wr-timezone", event.timezone)
    for item in sessions:
        cal.add_component(session_component(item, lang, session_url(item), kind_labels=kind_labels))
    return to_ical(cal)


def session_ics(
    item: Session, lang: str, url: str, *, kind_labels: Mapping[str, str] | None = None
) -> bytes:
    """One session on its own (the "add to calendar" link of its page)."""
    event = item.event
    cal = _calendar(lang, item.t("title", lang))
    cal.add("x-wr-timezone", event.timezone)
    cal.add_component(session_component(item, lang, url, kind_labels=kind_labels))
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
    """The event plus the sessions this person holds a seat in, and those they may join online.

    Nothing else personal goes in the file: its entries link to the public pages, not to the
    personal link (a calendar entry is often shared, or synced to a work calendar, and the
    personal link can cancel the registration). The exception is what the registrant needs to
    attend online: each session they may join carries its personal join link (in CONFERENCE,
    RFC 7986, and in the DESCRIPTION, which Google Calendar and Outlook show; for an online
    participant also as the LOCATION). Without join links the file is the same for everyone
    holding the same seats, and it is built once per process for each version of the event and
    its agenda, language and set of sessions; with them it is built for the person.
    """
    from . import online

    event = registration.event
    links = {link.session.id: link for link in online.join_links(registration, lang)}
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
    if not links:
        with _cache_lock:
            content = _REGISTRATION_CACHE.get(key)
            if content is not None:
                _REGISTRATION_CACHE.move_to_end(key)
                return content
    page, sessions_prefix = public_urls(event, lang)
    cal = _calendar(lang, event.t("title", lang))
    cal.add_component(_event_component(event, lang, page))
    sessions = {
        s.session.id: s.session for s in registration.session_signups if s.status == "confirmed"
    }
    sessions.update({link.session.id: link.session for link in links.values()})
    for item in sorted(sessions.values(), key=lambda s: (s.starts_at, s.position, s.id)):
        vevent = session_component(item, lang, sessions_prefix + item.key)
        link = links.get(item.id)
        if link is not None:
            _add_join_link(vevent, link.url, online_only=registration.attendance_mode == "online")
        cal.add_component(vevent)
    content = to_ical(cal)
    if links:
        return content
    with _cache_lock:
        _REGISTRATION_CACHE[key] = content
        while len(_REGISTRATION_CACHE) > _REGISTRATION_CACHE_SIZE:
            _REGISTRATION_CACHE.popitem(last=False)
    return content


def _add_join_link(vevent: icalendar.Event, url: str, *, online_only: bool) -> None:
    """A personal join link on a session's entry (translated in the current language)."""
    from flask_babel import gettext as _

    label = _("Join online")
    vevent.add(
        "conference",
        icalendar.vUri(url),
        parameters={"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": label},
    )
    text = _("Join online (personal link): %(url)s", url=url)
    description = vevent.get("description")
    vevent.pop("description", None)
    vevent.add("description", f"{text}\n\n{description}" if description else text)
    if online_only:
        vevent.pop("location", None)
        vevent.add("location", url)
