"""Reminder options of an event, in ``Event.settings["reminders"]``.

- ``enabled``: reminders before the event are sent (default on);
- ``offsets``: when, in minutes before the event's start (default 1 day and 1 hour; at most
  ``MAX_OFFSETS`` of them, each from 1 minute to 30 days);
- ``programme_changed``: registrants of a session whose time or room changes after the event
  is published get a "the programme changed" email (default on).
"""

from __future__ import annotations

from dataclasses import dataclass

from babel.units import format_unit
from flask_babel import gettext as _
from sqlalchemy.orm import Session as OrmSession

from ...i18n import _digits, _locale, _numbering, current_language
from ...models import Event
from .. import audit

KEY = "reminders"
DEFAULT_OFFSETS = (1440, 60)
MAX_OFFSETS = 5
MAX_OFFSET_MINUTES = 30 * 24 * 60
UNITS = {"days": 1440, "hours": 60, "minutes": 1}


class ReminderSettingsError(ValueError):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class ReminderSettings:
    enabled: bool = True
    offsets: tuple[int, ...] = DEFAULT_OFFSETS
    programme_changed: bool = True

    def as_dict(self) -> dict:
        return {
            "enabled": self.enabled,
            "offsets": list(self.offsets),
            "programme_changed": self.programme_changed,
        }


def _clean_offsets(values) -> tuple[int, ...]:
    """Valid offsets, largest first, without duplicates (anything else is dropped)."""
    kept = set()
    for value in values or ():
        if isinstance(value, bool):
            continue
        try:
            minutes = int(value)
        except (TypeError, ValueError):
            continue
        if 1 <= minutes <= MAX_OFFSET_MINUTES:
            kept.add(minutes)
    return tuple(sorted(kept, reverse=True)[:MAX_OFFSETS])


def get_settings(event: Event) -> ReminderSettings:
    raw = (event.settings or {}).get(KEY)
    if not isinstance(raw, dict):
        return ReminderSettings()
    offsets = raw.get("offsets")
    return ReminderSettings(
        enabled=bool(raw.get("enabled", True)),
        offsets=DEFAULT_OFFSETS if offsets is None else _clean_offsets(offsets),
        programme_changed=bool(raw.get("programme_changed", True)),
    )


def check_offsets(offsets: list[int], enabled: bool) -> list[str]:
    """The translated problems of a list of offsets (minutes) typed by an organiser."""
    problems = []
    if any(minutes < 1 for minutes in offsets):
        problems.append(_("A reminder must be at least one minute before the start."))
    if any(minutes > MAX_OFFSET_MINUTES for minutes in offsets):
        problems.append(_("A reminder can be at most 30 days before the start."))
    if len(set(offsets)) > MAX_OFFSETS:
        problems.append(_("At most five reminders per event."))
    if enabled and not offsets:
        problems.append(_("Give at least one reminder time, or turn reminders off."))
    return problems


def update_settings(
    session: OrmSession, event: Event, new: ReminderSettings, *, user=None
) -> ReminderSettings:
    """Save ``new`` (raise ReminderSettingsError, writing nothing, if its offsets are wrong)."""
    problems = check_offsets(list(new.offsets), new.enabled)
    if problems:
        raise ReminderSettingsError(problems)
    checked = ReminderSettings(
        enabled=bool(new.enabled),
        offsets=_clean_offsets(new.offsets),
        programme_changed=bool(new.programme_changed),
    )
    event.settings = {**(event.settings or {}), KEY: checked.as_dict()}  # a new dict
    audit.record(session, "reminders.settings", user=user, event=event, details=checked.as_dict())
    session.flush()
    return checked


def split_offset(minutes: int) -> tuple[int, str]:
    """(amount, unit) of an offset in its largest exact unit: 1440 -> (1, "days")."""
    for unit, size in UNITS.items():
        if minutes % size == 0:
            return minutes // size, unit
    return minutes, "minutes"  # pragma: no cover - "minutes" always divides


def offset_label(minutes: int, lang: str | None = None) -> str:
    """An offset in words, in its largest exact unit: "1 day", "90 minutes", "ساعة"."""
    amount, unit = split_offset(minutes)
    unit_name = {"days": "duration-day", "hours": "duration-hour", "minutes": "duration-minute"}
    lang = lang or current_language()
    text = format_unit(amount, unit_name[unit], length="long", locale=_locale(lang))
    return _digits(text, _numbering(lang, None))
