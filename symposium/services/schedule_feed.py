"""The agenda as the frab/voc schedule that conference apps read (schedule.xml, schedule.json).

Giggity, ConfClerk, Fahrplan and EventFahrplan import these formats; the XML follows the frab
XSD and the JSON the voc JSON Schema (both vendored for the tests, see docs/interchange.md).
Times are local to the event with its UTC offset; GUIDs are the ones the calendars use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

from ..i18n import language, utc_to_local
from ..models import Event, Session
from .agenda_view import AgendaDay
from .guids import event_guid, person_guid, room_guid, session_guid
from .session_languages import describe as describe_languages
from .session_languages import spoken

GENERATOR = {"name": "symposium", "version": "0.1.0"}
TIMESLOT = "00:15"
_TZ_NAME = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")


@dataclass
class FeedLinks:
    """Absolute URLs of the public pages, made by the caller (which knows the request)."""

    event: str
    session: Callable[[str], str]
    speaker: Callable[[str], str]


def _slugify(text: str) -> str:
    """Lower-case letters, digits, - and _; never ending in - or _ (the schema's slug pattern)."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")
    return slug or "x"


def acronym(event: Event) -> str:
    """The conference acronym: the slug with _ for - (the JSON Schema allows - only before a year)."""
    value = re.sub(r"[^a-z0-9_]", "_", event.slug.lower())
    if not re.match(r"[a-z0-9_-]", value[:1]):
        value = "e" + value
    return value.ljust(4, "_")


def _duration(start: datetime, end: datetime) -> str:
    minutes = max(0, int((end - start) / timedelta(minutes=1)))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _languages_line(item: Session, lang: str) -> str:
    with language(lang):
        return describe_languages(item, lang)


def _session_record(event: Event, item: Session, lang: str, links: FeedLinks) -> dict:
    local_start = utc_to_local(item.starts_at, event.timezone)
    local_end = utc_to_local(item.ends_at, event.timezone)
    persons = [
        {
            "id": link.person.id,
            "guid": person_guid(event, link.person),
            "name": link.person.t("name", lang),
            "url": links.speaker(link.person.key),
        }
        for link in item.speakers
        if link.person is not None
    ]
    room = item.room.t("name", lang) if item.room else (event.t("venue_name", lang) or event.slug)
    return {
        "guid": session_guid(event, item),
        "id": item.id,
        "date": local_start.isoformat(),
        "end": local_end.isoformat(),
        "start": local_start.strftime("%H:%M"),
        "duration": _duration(item.starts_at, item.ends_at),
        "room": room,
        "room_key": item.room.key if item.room else "",
        "slug": _slugify(f"{event.slug}-{item.key}"),
        "url": links.session(item.key),
        "title": item.t("title", lang),
        "subtitle": "",
        "track": item.track or "",
        "type": item.kind,
        # the schema has one language per event: the first spoken one; every spoken language and
        # the interpretation offered are told in words in the description
        "language": (spoken(item) or [event.default_language])[0],
        "abstract": item.t("abstract", lang),
        "description": _languages_line(item, lang),
        "persons": persons,
        "links": [{"url": links.session(item.key), "title": item.t("title", lang)}],
    }


def build_schedule(event: Event, days: list[AgendaDay], lang: str, links: FeedLinks) -> dict:
    """One neutral description of the schedule, from which both formats are written."""
    out_days = []
    rooms: dict[str, dict] = {}
    for index, day in enumerate(days, start=1):
        records = [_session_record(event, item, lang, links) for item in day.sessions]
        by_room: dict[str, list[dict]] = {}
        for record in records:
            by_room.setdefault(record["room"], []).append(record)
            rooms.setdefault(
                record["room"],
                {
                    "name": record["room"],
                    "guid": room_guid(event, record["room_key"] or "venue"),
                },
            )
        out_days.append(
            {
                "index": index,
                "date": day.day.isoformat(),
                "day_start": min(r["date"] for r in records),
                "day_end": max(r["end"] for r in records),
                "rooms": by_room,
            }
        )
    tracks = sorted({s.track for d in days for s in d.sessions if s.track})
    return {
        "version": str(event.agenda_version or 1),
        "title": event.t("title", lang),
        "acronym": acronym(event),
        "start": event.starts_on.isoformat(),
        "end": event.ends_on.isoformat(),
        "days_count": (event.ends_on - event.starts_on).days + 1,
        "timezone": event.timezone,
        "url": links.event,
        "guid": event_guid(event),
        "tracks": tracks,
        "rooms": list(rooms.values()),
        "days": out_days,
    }


def to_json(schedule: dict) -> dict:
    """The voc schedule.json document."""
    conference = {
        "acronym": schedule["acronym"],
        "title": schedule["title"],
        "start": schedule["start"],
        "end": schedule["end"],
        "daysCount": schedule["days_count"],
        "timeslot_duration": TIMESLOT,
        "url": schedule["url"],
        "tracks": [{"name": t, "slug": _slugify(t)} for t in schedule["tracks"]],
        "rooms": [{"name": r["name"], "guid": r["guid"]} for r in schedule["rooms"]],
        "days": [
            {
                "index": day["index"],
                "date": day["date"],
                "day_start": day["day_start"],
                "day_end": day["day_end"],
                "rooms": {
                    name: [_json_event(record) for record in records]
                    for name, records in day["rooms"].items()
                },
            }
            for day in schedule["days"]
        ],
    }
    if _TZ_NAME.match(schedule["timezone"]):
        conference["time_zone_name"] = schedule["timezone"]
    return {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": GENERATOR,
        "schedule": {"version": schedule["version"], "conference": conference},
    }


def _json_event(record: dict) -> dict:
    return {
        "guid": record["guid"],
        "id": record["id"],
        "date": record["date"],
        "end": record["end"],
        "start": record["start"],
        "duration": record["duration"],
        "room": record["room"],
        "slug": record["slug"],
        "url": record["url"],
        "title": record["title"],
        "subtitle": record["subtitle"],
        "track": record["track"] or None,
        "type": record["type"],
        "language": record["language"],
        "abstract": record["abstract"],
        "description": record["description"],
        "persons": [
            {"guid": p["guid"], "name": p["name"], "url": p["url"]} for p in record["persons"]
        ],
        "links": record["links"],
    }


def to_xml(schedule: dict) -> bytes:
    """The frab schedule.xml document (UTF-8)."""
    root = ET.Element("schedule")
    ET.SubElement(root, "version").text = schedule["version"]
    conference = ET.SubElement(root, "conference")
    for name, value in (
        ("title", schedule["title"]),
        ("acronym", schedule["acronym"]),
        ("start", schedule["start"]),
        ("end", schedule["end"]),
        ("days", str(schedule["days_count"])),
        ("timeslot_duration", TIMESLOT),
    ):
        ET.SubElement(conference, name).text = value
    for day in schedule["days"]:
        day_el = ET.SubElement(
            root,
            "day",
            {
                "index": str(day["index"]),
                "date": day["date"],
                "start": day["day_start"],
                "end": day["day_end"],
            },
        )
        for room_name, records in day["rooms"].items():
            room_el = ET.SubElement(day_el, "room", {"name": room_name})
            for record in records:
                _xml_event(room_el, record)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _xml_event(parent: ET.Element, record: dict) -> None:
    event_el = ET.SubElement(parent, "event", {"id": str(record["id"]), "guid": record["guid"]})
    for name in (
        "date",
        "start",
        "duration",
        "room",
        "slug",
        "title",
        "subtitle",
        "track",
        "type",
        "language",
        "abstract",
        "description",
    ):  # the XSD has no <url>: the session page is the first <link>
        ET.SubElement(event_el, name).text = record[name]
    persons = ET.SubElement(event_el, "persons")
    for person in record["persons"]:
        ET.SubElement(persons, "person", {"id": str(person["id"])}).text = person["name"]
    links = ET.SubElement(event_el, "links")
    for link in record["links"]:
        ET.SubElement(links, "link", {"href": link["url"]}).text = link["title"]
