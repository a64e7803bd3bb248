"""Online participation: who gets personal join links, to which sessions, and when they open.

The meeting or stream of a session is ``Session.online_url``, else the event's
``online_url``. It is never shown publicly: registrants reach it through their personal join
link ``/<lang>/r/<token>/join/<session key>``, which opens ``opens_minutes`` before the
session (default 15) and closes at its end. Each join inside that window is recorded
(``SessionJoin``: first and last time, in UTC, and how many times).

Per-event options, in ``Event.settings["online"]``:

- ``opens_minutes``: how long before a session its join link opens (0 to 240);
- ``in_person_links``: in-person registrants get join links too (default: only online ones).

Only a published event gives links: the self-service page stays, but a draft (or withdrawn)
event's meetings are reached by nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from ..models import Event, Registration, Session, SessionJoin
from ..models.types import utcnow
from .registration.privacy import personal_url

DEFAULT_OPENS_MINUTES = 15
MAX_OPENS_MINUTES = 240

# Where a session's join link stands at a given time
BEFORE, OPEN, ENDED = "before", "open", "ended"


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


def settings_problems(opens_minutes) -> list[str]:
    """Why these options cannot be saved (translated), or an empty list (None: unchanged)."""
    if opens_minutes is not None and (
        isinstance(opens_minutes, bool)
        or not isinstance(opens_minutes, int)
        or not 0 <= opens_minutes <= MAX_OPENS_MINUTES
    ):
        return [
            _(
                "Join links open between 0 and %(max)s minutes before a session.",
                max=MAX_OPENS_MINUTES,
            )
        ]
    return []


def store_settings(event: Event, settings: OnlineSettings) -> None:
    """Write the options into ``event.settings`` (a new dict, so that the JSON change is seen)."""
    event.settings = {**(event.settings or {}), "online": settings.as_dict()}


def update_settings(
    event: Event, *, opens_minutes: int | None = None, in_person_links: bool | None = None
) -> None:
    """Change the options given (None: keep the event's current value)."""
    current = get_settings(event)
    store_settings(
        event,
        OnlineSettings(
            current.opens_minutes if opens_minutes is None else opens_minutes,
            current.in_person_links if in_person_links is None else in_person_links,
        ),
    )


def is_web_url(value: str | None) -> bool:
    return bool(value) and value.strip().lower().startswith(("https://", "http://"))


def meeting_url(item: Session) -> str | None:
    """Where a join link of ``item`` leads: the session's meeting, else the event's (only
    http and https addresses: anything else is no meeting)."""
    for url in (item.online_url, item.event.online_url):
        if is_web_url(url):
            return url.strip()
    return None


def join_window(item: Session, settings: OnlineSettings | None = None) -> tuple[datetime, datetime]:
    """(opens, closes) of the session's join links, in UTC."""
    settings = settings or get_settings(item.event)
    return item.starts_at - timedelta(minutes=settings.opens_minutes), item.ends_at


def join_state(
    item: Session, now: datetime | None = None, settings: OnlineSettings | None = None
) -> str:
    """``BEFORE`` the window, ``OPEN`` inside it, ``ENDED`` after the session."""
    opens, closes = join_window(item, settings)
    now = now or utcnow()
    if now < opens:
        return BEFORE
    return OPEN if now < closes else ENDED


def offers_links(registration: Registration) -> bool:
    """Whether this registration gets join links: confirmed, of a published event, and online
    (or in person when the organiser allows it)."""
    if registration.status != "confirmed" or registration.anonymised_at is not None:
        return False
    if not registration.event.is_published:
        return False
    if registration.attendance_mode == "online":
        return True
    return get_settings(registration.event).in_person_links


def _held(registration: Registration) -> set[int]:
    return {s.session_id for s in registration.session_signups if s.status == "confirmed"}


def _has_meeting(item: Session) -> bool:
    # A break has no meeting of its own unless the organiser gave it one
    if item.kind == "break" and not is_web_url(item.online_url):
        return False
    return meeting_url(item) is not None


def joinable_sessions(registration: Registration) -> list[Session]:
    """The sessions this registration may join online, in time order: those with a meeting,
    except sessions needing a sign-up that this registration does not hold (confirmed)."""
    if not offers_links(registration):
        return []
    held = _held(registration)
    return [
        item
        for item in sorted(registration.event.sessions, key=lambda s: (s.starts_at, s.position))
        if _has_meeting(item) and (not item.requires_signup or item.id in held)
    ]


def join_url(registration: Registration, item: Session, lang: str | None = None) -> str:
    """The absolute personal join link of ``registration`` for ``item``."""
    return f"{personal_url(registration, lang)}/join/{quote(item.key, safe='')}"


@dataclass(frozen=True)
class JoinLink:
    """One session's personal join link, as the self-service page, emails and .ics show it."""

    session: Session
    url: str
    opens_at: datetime
    closes_at: datetime
    state: str
    recording_url: str | None


def join_links(
    registration: Registration, lang: str | None = None, now: datetime | None = None
) -> list[JoinLink]:
    """The personal join links of ``registration`` (none when it gets no links)."""
    sessions = joinable_sessions(registration)
    if not sessions:
        return []
    settings = get_settings(registration.event)
    now = now or utcnow()
    links = []
    for item in sessions:
        opens, closes = join_window(item, settings)
        links.append(
            JoinLink(
                session=item,
                url=join_url(registration, item, lang),
                opens_at=opens,
                closes_at=closes,
                state=join_state(item, now, settings),
                recording_url=item.recording_url if is_web_url(item.recording_url) else None,
            )
        )
    return links


@dataclass(frozen=True)
class Refusal:
    """Why a join link does not lead to the meeting: an HTTP status and a translated reason."""

    status: int
    message: str


def refusal(registration: Registration, item: Session) -> Refusal | None:
    """Why ``registration`` may not join ``item`` online (None: it may)."""
    if not registration.event.is_published:
        return Refusal(404, _("This event is not published."))
    if registration.status == "cancelled" or registration.anonymised_at is not None:
        return Refusal(403, _("This registration is cancelled: its join links no longer work."))
    if registration.status != "confirmed":
        return Refusal(
            403, _("Your registration is not confirmed yet: join links come with a confirmed seat.")
        )
    if not offers_links(registration):
        return Refusal(
            403, _("Join links are for online participants: your registration is in person.")
        )
    if not _has_meeting(item):
        return Refusal(404, _("This session has no online meeting."))
    if item.requires_signup and item.id not in _held(registration):
        return Refusal(403, _("This session needs a sign-up, and you do not hold a seat in it."))
    return None


def _bump(session: OrmSession, registration_id: int, session_id: int, now: datetime) -> int:
    """One more join on an existing row (atomic in the database); the number of rows updated."""
    result = session.execute(
        update(SessionJoin)
        .where(SessionJoin.registration_id == registration_id, SessionJoin.session_id == session_id)
        .values(joins=SessionJoin.joins + 1, last_joined_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def record_join(
    session: OrmSession, registration: Registration, item: Session, now: datetime | None = None
) -> None:
    """Record one join of ``item`` by ``registration`` at ``now`` (UTC): the first one inserts
    the row, the others update it. Two first joins at the same time both count: the loser of
    the insert (unique registration and session) updates the winner's row instead."""
    now = now or utcnow()
    if _bump(session, registration.id, item.id, now):
        return
    try:
        with session.begin_nested():
            session.add(
                SessionJoin(
                    registration_id=registration.id,
                    session_id=item.id,
                    first_joined_at=now,
                    last_joined_at=now,
                    joins=1,
                )
            )
    except IntegrityError:
        _bump(session, registration.id, item.id, now)
