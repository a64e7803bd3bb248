"""Export: an event as an interchange document (a dict with a stable order) and its text."""

from __future__ import annotations

import json
from typing import Any

from ...models import (
    Event,
    Session,
)
from .common import FORMAT_NAME, FORMAT_VERSION, _i18n_out, _local_out
from .photos import export_photo


def _session_order(item: Session):
    return (item.starts_at, item.position or 0, item.key)


def export_event(event: Event) -> dict[str, Any]:
    """The event as an interchange document (a dict; ``dumps`` gives the canonical JSON)."""
    tzname = event.timezone
    rooms = sorted(event.rooms, key=lambda r: (r.position or 0, r.key))
    people = sorted(event.people, key=lambda p: (p.position or 0, p.key))
    sessions = sorted(event.sessions, key=_session_order)
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "slug": event.slug,
        "status": event.status,
        "is_sample": bool(event.is_sample),
        "timezone": tzname,
        "default_language": event.default_language,
        "languages": list(event.languages or []),
        "title": _i18n_out(event.title),
        "description": _i18n_out(event.description),
        "organisers": _i18n_out(event.organisers),
        "starts_on": event.starts_on.isoformat(),
        "ends_on": event.ends_on.isoformat(),
        "capacity": event.capacity,
        "registration_open": bool(event.registration_open),
        "registration_opens_at": _local_out(event.registration_opens_at, tzname),
        "registration_closes_at": _local_out(event.registration_closes_at, tzname),
        "hybrid": bool(event.hybrid),
        "online_url": event.online_url,
        "venue": {"name": _i18n_out(event.venue_name), "address": _i18n_out(event.venue_address)},
        "settings": json.loads(json.dumps(event.settings or {}, sort_keys=True)),
        "rooms": [{"key": r.key, "name": _i18n_out(r.name), "capacity": r.capacity} for r in rooms],
        "speakers": [
            {
                "key": p.key,
                "name": _i18n_out(p.name),
                "title": _i18n_out(p.title),
                "organisation": _i18n_out(p.organisation),
                "city": _i18n_out(p.city),
                "country": p.country,
                "email": p.email,
                "bio": _i18n_out(p.bio),
                "photo": export_photo(p),
            }
            for p in people
        ],
        "sessions": [
            {
                "key": s.key,
                "kind": s.kind,
                "title": _i18n_out(s.title),
                "abstract": _i18n_out(s.abstract),
                "starts_at": _local_out(s.starts_at, tzname),
                "ends_at": _local_out(s.ends_at, tzname),
                "room": s.room.key if s.room is not None else None,
                "capacity": s.capacity,
                "track": s.track,
                "position": s.position or 0,
                "speakers": [
                    {"key": link.person.key, "role": link.role}
                    for link in sorted(s.speakers, key=lambda sp: (sp.position or 0, sp.id or 0))
                ],
                "languages": list(s.languages or []),
                "interpretation": list(s.interpretation or []),
                "online_url": s.online_url,
                "recording_url": s.recording_url,
            }
            for s in sessions
        ],
    }


def dumps(data: dict[str, Any]) -> str:
    """The canonical text of a document: UTF-8 as is, indented by 2, ending with a newline."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
