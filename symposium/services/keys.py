"""Keys of an event's rooms, sessions and people: short, URL-safe, unique within the event."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from ..models import Event

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


def unique_key(session: OrmSession, model, event: Event, text: str | None, fallback: str) -> str:
    """A key made from ``text`` (lowercase letters, digits, ``-`` and ``_``; at most 70
    characters; ``fallback`` when nothing is left) that no ``model`` row of ``event`` uses yet:
    "-2", "-3", ... is appended when needed."""
    base = re.sub(r"[^a-z0-9_-]+", "-", (text or fallback).lower()).strip("-")
    base = (base or fallback)[:70]
    existing = set(session.scalars(select(model.key).where(model.event_id == event.id)))
    key, n = base, 2
    while key in existing:
        key, n = f"{base}-{n}", n + 1
    return key
