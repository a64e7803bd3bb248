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


def check_name_and_key(
    session: OrmSession,
    model,
    event: Event,
    name: dict,
    key: str | None,
    *,
    current=None,
    fallback: str,
    taken_message: str,
) -> tuple[str, list[str]]:
    """The checks every keyed, named row of an event shares (rooms, people): a name in the
    event's default language, and a valid key no other row uses (made from the English name
    when empty). Returns the key and the problems found."""
    from flask_babel import gettext as _

    problems = []
    if not name.get(event.default_language):
        problems.append(_("The name is required in the event's default language."))
    if not key:
        key = unique_key(session, model, event, name.get("en"), fallback)
    elif not KEY_RE.match(key):
        problems.append(
            _("The key may only contain lowercase letters, digits, hyphens and underscores.")
        )
    else:
        other = session.scalar(select(model.id).where(model.event_id == event.id, model.key == key))
        if other is not None and (current is None or other != current.id):
            problems.append(taken_message)
    return key, problems
