"""Global identifiers of events and sessions, the same in every document that names them.

A session has one identifier whatever the feed (the public ``event.ics``, a person's calendar,
the file attached to their email, a session's own ``.ics``, later ``schedule.xml``), so a
calendar that reads several of them shows it once, and an updated file replaces the entry.

They are name-based UUIDs (version 5) of the event's slug and the session's key in a namespace
of this application: they do not depend on the site's address (SYMPOSIUM_BASE_URL), nor on the
language or the database ids, so they survive a move to another host and an export/import.
"""

from __future__ import annotations

import uuid

# Fixed once for symposium (never change it: every identifier ever published derives from it)
NAMESPACE = uuid.UUID("c5119693-19e4-4b1e-817b-6922bcf38698")

# Right-hand side of iCalendar UIDs ("<guid>@symposium", RFC 5545 §3.8.4.7)
UID_DOMAIN = "symposium"


def event_guid(event) -> str:
    """The event's GUID (a UUID string)."""
    return str(uuid.uuid5(NAMESPACE, f"event/{event.slug}"))


def session_guid(event, session) -> str:
    """The GUID of ``session`` (an agenda item, by its key) of ``event`` (a UUID string)."""
    return str(uuid.uuid5(NAMESPACE, f"session/{event.slug}/{session.key}"))


def ical_uid(guid: str) -> str:
    """The iCalendar UID carrying ``guid``."""
    return f"{guid}@{UID_DOMAIN}"


def person_guid(event, person) -> str:
    """The GUID of a speaker of ``event`` (by their key), for schedule feeds and the API."""
    return str(uuid.uuid5(NAMESPACE, f"person/{event.slug}/{person.key}"))


def room_guid(event, room_key: str) -> str:
    """The GUID of a room of ``event`` (by its key)."""
    return str(uuid.uuid5(NAMESPACE, f"room/{event.slug}/{room_key}"))
