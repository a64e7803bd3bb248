"""Creating and editing events from the workspace: details, publication, registration."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from ..i18n import LANGUAGES, NUMBERING_SYSTEMS, clean_i18n
from ..models import Event
from . import audit, online
from .registration.seats import confirmed_total, lock_event

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
I18N_FIELDS = ("title", "description", "venue_name", "venue_address", "organisers")


class EventError(ValueError):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class EventData:
    slug: str
    timezone: str
    starts_on: date
    ends_on: date
    default_language: str = "ar"
    languages: list[str] = field(default_factory=lambda: list(LANGUAGES))
    title: dict = field(default_factory=dict)
    description: dict = field(default_factory=dict)
    venue_name: dict = field(default_factory=dict)
    venue_address: dict = field(default_factory=dict)
    organisers: dict = field(default_factory=dict)
    capacity: int | None = None
    hybrid: bool = False
    online_url: str | None = None
    registration_opens_at: datetime | None = None  # aware UTC
    registration_closes_at: datetime | None = None  # aware UTC
    digits: str = "latn"  # numbering system of Arabic text: "latn" or "arab" (event.settings)
    # event.settings["online"] (services/online.py); None: unchanged
    online_opens_minutes: int | None = None
    online_in_person_links: bool | None = None


def valid_timezone(name: str) -> bool:
    from .textcheck import timezone_problem  # one rule for every entry (not "localtime")

    return timezone_problem(name) is None


def check_event(session: OrmSession, data: EventData, *, event: Event | None = None) -> list[str]:
    problems = []
    if not SLUG_RE.match(data.slug or ""):
        problems.append(_("The short name may only contain lowercase letters, digits and hyphens."))
    else:
        other = session.scalar(select(Event.id).where(Event.slug == data.slug))
        if other is not None and (event is None or other != event.id):
            problems.append(
                _("Another event already uses the short name %(slug)s.", slug=data.slug)
            )
    if not valid_timezone(data.timezone):
        problems.append(_("Unknown timezone: %(tz)s", tz=data.timezone))
    if data.ends_on < data.starts_on:
        problems.append(_("The event cannot end before it starts."))
    langs = [code for code in data.languages if code in LANGUAGES]
    if not langs:
        problems.append(_("Offer at least one language."))
    if data.default_language not in langs:
        problems.append(_("The default language must be one of the offered languages."))
    if not clean_i18n(data.title).get(data.default_language):
        problems.append(_("The title is required in the event's default language."))
    if data.capacity is not None and data.capacity < 0:
        problems.append(_("The capacity cannot be negative."))
    confirmed = (
        confirmed_total(session, event) if event is not None and data.capacity is not None else 0
    )
    if data.capacity is not None and data.capacity < confirmed:
        problems.append(
            _(
                "The capacity (%(capacity)s) cannot be below the %(count)s confirmed registrations.",
                capacity=data.capacity,
                count=confirmed,
            )
        )
    if (
        data.registration_opens_at
        and data.registration_closes_at
        and data.registration_closes_at <= data.registration_opens_at
    ):
        problems.append(_("Registration must close after it opens."))
    if data.online_url and not online.is_web_url(data.online_url):
        problems.append(_("The online link must start with https://."))
    problems += online.settings_problems(data.online_opens_minutes)
    if data.digits not in NUMBERING_SYSTEMS:
        problems.append(_("Unknown digits: %(digits)s", digits=data.digits))
    return problems


def save_event(
    session: OrmSession, data: EventData, *, event: Event | None = None, by=None
) -> Event:
    if event is not None and data.capacity is not None:
        # The confirmed registrations are counted against the new capacity while none can
        # commit (an event without a capacity counts them, see registration.seats)
        lock_event(session, event, capacity=True)
    problems = check_event(session, data, event=event)
    if problems:
        raise EventError(problems)
    creating = event is None
    if creating:
        event = Event(slug=data.slug, status="draft", registration_open=False)
        session.add(event)
    event.slug = data.slug
    event.timezone = data.timezone
    event.starts_on = data.starts_on
    event.ends_on = data.ends_on
    event.languages = [code for code in LANGUAGES if code in data.languages]
    event.default_language = data.default_language
    for name in I18N_FIELDS:
        setattr(event, name, clean_i18n(getattr(data, name)))
    event.capacity = data.capacity
    event.hybrid = data.hybrid
    event.online_url = (data.online_url or "").strip() or None
    event.registration_opens_at = data.registration_opens_at
    event.registration_closes_at = data.registration_closes_at
    event.settings = {**(event.settings or {}), "digits": data.digits}  # a new dict: JSON change
    online.update_settings(
        event,
        opens_minutes=data.online_opens_minutes,
        in_person_links=data.online_in_person_links,
    )
    session.flush()
    if creating and by is not None and by.role == "organiser":
        by.events.append(event)
    audit.record(
        session,
        "event.create" if creating else "event.update",
        user=by,
        event=event,
        target=event.slug,
    )
    session.flush()
    return event


def set_status(session: OrmSession, event: Event, status: str, *, by=None) -> None:
    if status not in ("draft", "published"):
        raise EventError([_("Unknown status.")])
    if event.status != status:
        event.status = status
        audit.record(
            session,
            "event.publish" if status == "published" else "event.unpublish",
            user=by,
            event=event,
            target=event.slug,
        )
    session.flush()


def set_registration_open(session: OrmSession, event: Event, is_open: bool, *, by=None) -> None:
    if event.registration_open != is_open:
        event.registration_open = is_open
        audit.record(
            session,
            "registration.open" if is_open else "registration.close",
            user=by,
            event=event,
            target=event.slug,
        )
    session.flush()
