"""Online participation: who gets personal join links, to which sessions, and when they open.

The meeting or stream of a session is ``Session.online_url``, else the event's
``online_url``. It is never shown publicly: registrants reach it through their personal join
link ``/<lang>/r/<token>/join/<session key>``, which opens ``opens_minutes`` before the
session (default 15) and closes at its end.

Per-event options, in ``Event.settings["online"]``:

- ``opens_minutes``: how long before a session its join link opens (0 to 240);
- ``in_person_links``: in-person registrants get join links too (default: only online ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from ..models import Event, Registration, Session
from .registration.privacy import personal_url

DEFAULT_OPENS_MINUTES = 15
MAX_OPENS_MINUTES = 240


@dataclass(frozen=True)
class OnlineSettings:
    opens_minutes: int = DEFAULT_OPENS_MINUTES
    in_person_links: bool = False

    def as_dict(self) -> dict:
        return {"opens_minutes": self.opens_minutes, "in_person_links": self.in_person_links}


def get_settings(event: Event) -> OnlineSettings:
    raw = (event.settings or {}).get("online") or {}
    try:
        minutes = int(raw.get("opens_minutes", DEFAULT_OPENS_MINUTES))
    except (TypeError, ValueError):
        minutes = DEFAULT_OPENS_MINUTES
    minutes = min(max(minutes, 0), MAX_OPENS_MINUTES)
    return OnlineSettings(opens_minutes=minutes, in_person_links=bool(raw.get("in_person_links")))


def meeting_url(item: Session) -> str | None:
    """Where a join link of ``item`` leads: the session's meeting, else the event's."""
    return item.online_url or item.event.online_url or None


def join_window(item: Session, settings: OnlineSettings | None = None) -> tuple[datetime, datetime]:
    """(opens, closes) of the session's join links, in UTC."""
    settings = settings or get_settings(item.event)
    return item.starts_at - timedelta(minutes=settings.opens_minutes), item.ends_at


def offers_links(registration: Registration) -> bool:
    """Whether this registration gets join links: confirmed, and online (or in person when
    the organiser allows it)."""
    if registration.status != "confirmed" or registration.anonymised_at is not None:
        return False
    if registration.attendance_mode == "online":
        return True
    return get_settings(registration.event).in_person_links


def joinable_sessions(registration: Registration) -> list[Session]:
    """The sessions this registration may join online, in time order: those with a meeting,
    except sessions needing a sign-up that this registration does not hold (confirmed)."""
    if not offers_links(registration):
        return []
    held = {s.session_id for s in registration.session_signups if s.status == "confirmed"}
    return [
        item
        for item in sorted(registration.event.sessions, key=lambda s: (s.starts_at, s.position))
        if meeting_url(item) and (not item.requires_signup or item.id in held)
    ]


def join_url(registration: Registration, item: Session, lang: str | None = None) -> str:
    """The absolute personal join link of ``registration`` for ``item``."""
    return f"{personal_url(registration, lang)}/join/{quote(item.key, safe='')}"
