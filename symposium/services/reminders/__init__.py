"""Scheduled emails: reminders before an event and "the programme changed".

- ``settings``: per-event options in ``Event.settings["reminders"]`` (offsets, on/off);
- ``before``: the reminders at each offset before the event's start;
- ``changes``: the "programme changed" emails after a session moves (time or room);
- ``claim``: exactly once per registration and key (``ReminderLog``), whatever runs at once;
- ``emails``: rendering, in the registrant's language and the event's timezone.

``run`` (the periodic job, every REMINDER_SWEEP_SECONDS, 60 by default) calls
``send_due(session, now)``. It runs on the one scheduler shared with the mail sweep: in the
web process by default, on Celery beat when CELERY_BROKER_URL is set, or from cron with
``flask --app symposium jobs run-due``. The emails it queues leave with the outbox.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app
from sqlalchemy.orm import Session as OrmSession

from ...extensions import db
from ...models.types import utcnow
from .before import send_reminders
from .changes import send_changes
from .settings import (
    DEFAULT_OFFSETS,
    MAX_OFFSET_MINUTES,
    MAX_OFFSETS,
    ReminderSettings,
    ReminderSettingsError,
    get_settings,
    offset_label,
    update_settings,
)

PATH = "symposium.services.reminders:run"

__all__ = [
    "DEFAULT_OFFSETS",
    "MAX_OFFSETS",
    "MAX_OFFSET_MINUTES",
    "PATH",
    "ReminderSettings",
    "ReminderSettingsError",
    "get_settings",
    "init_app",
    "offset_label",
    "run",
    "send_due",
    "update_settings",
]


def send_due(session: OrmSession, now: datetime) -> dict[str, int]:
    """Queue every reminder and "programme changed" email due at ``now`` (commits in
    batches); how many of each were queued. Safe to run in several processes at once."""
    counts = {"reminders": 0, "programme_changed": 0}
    try:
        counts["reminders"] = send_reminders(session, now)
    except Exception:  # noqa: BLE001 - the programme changes still go
        session.rollback()
        current_app.logger.exception("the reminder sweep failed")
    try:
        counts["programme_changed"] = send_changes(session, now)
    except Exception:  # noqa: BLE001 - logged; the next sweep tries again
        session.rollback()
        current_app.logger.exception("the programme change sweep failed")
    return counts


def run() -> dict[str, int]:
    """The periodic job."""
    return send_due(db.session, utcnow())


def init_app(app: Flask) -> None:
    from ... import scheduler

    scheduler.register_periodic(
        "reminders", float(app.config.get("REMINDER_SWEEP_SECONDS") or 60), PATH
    )
