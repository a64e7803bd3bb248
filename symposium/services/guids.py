"""Stable identifiers shared by every feed: calendars, schedule.xml/json and the API.

They depend on the event's slug and the session's (or person's) key only, never on the base URL,
so that a calendar or a conference app that subscribed to two feeds sees one item, and a move to
another host changes nothing.
"""

from __future__ import annotations

import uuid

from ..models import Event, Person, Session


def event_guid(event: Event) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"symposium:{event.slug}"))


def session_guid(event: Event, session: Session) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"symposium:{event.slug}:{session.key}"))


def person_guid(event: Event, person: Person) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"symposium:{event.slug}:person:{person.key}"))


def room_guid(event: Event, room_key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"symposium:{event.slug}:room:{room_key}"))
