"""When an event starts and ends, in UTC: one answer for every time-aware rule.

The event runs from the first session's start (or midnight of ``starts_on`` in the event's
timezone when it has no sessions) to the last session's end (or the end of ``ends_on``).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from ..i18n import local_to_utc
from ..models import Event
from ..models.types import utcnow


def event_starts_at(event: Event) -> datetime:
    """The first instant of the event, in UTC."""
    starts = [s.starts_at for s in event.sessions]
    if starts:
        return min(starts).astimezone(UTC)
    return local_to_utc(datetime.combine(event.starts_on, time.min), event.timezone)


def event_ends_at(event: Event) -> datetime:
    """The last instant of the event, in UTC."""
    ends = [s.ends_at for s in event.sessions]
    if ends:
        return max(ends).astimezone(UTC)
    day_after = datetime.combine(event.ends_on + timedelta(days=1), time.min)
    return local_to_utc(day_after, event.timezone)


def has_started(event: Event, now: datetime | None = None) -> bool:
    return (now or utcnow()) >= event_starts_at(event)


def has_ended(event: Event, now: datetime | None = None) -> bool:
    return (now or utcnow()) >= event_ends_at(event)
