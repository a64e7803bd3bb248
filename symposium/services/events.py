"""Finding events for views and commands."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from ..extensions import db
from ..models import Event


def find_event(session: OrmSession, slug: str) -> Event | None:
    return session.scalar(select(Event).where(Event.slug == slug))


def get_event_or_404(slug: str) -> Event:
    event = find_event(db.session, slug)
    if event is None:
        abort(404)
    return event


def get_published_or_404(slug: str) -> Event:
    """A draft event does not exist for the public."""
    event = find_event(db.session, slug)
    if event is None or not event.is_published:
        abort(404)
    return event


def bump_agenda_version(event: Event) -> None:
    """Call on every change to an event's agenda (sessions, rooms, speakers): caches key on it,
    and the event's ``agenda.changed`` webhooks are owed (with the new version)."""
    from sqlalchemy.orm import object_session

    from . import webhooks

    event.agenda_version = (event.agenda_version or 0) + 1
    session = object_session(event)
    if session is not None and event.id is not None:
        webhooks.emit(
            session,
            event.id,
            "agenda.changed",
            {"event": event.slug, "agenda_version": event.agenda_version},
        )
