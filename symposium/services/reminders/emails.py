"""The reminder and "programme changed" emails, rendered in the registrant's language with the
times in the event's timezone (the email Jinja environment of ``services/notifications``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from babel.dates import format_timedelta
from flask_babel import gettext as _

from ...i18n import (
    _digits,
    _numbering,
    fmt_date,
    fmt_time,
    language,
    text_direction,
    tz_label,
    use_numbering,
    utc_to_local,
)
from ...models import Registration, Session
from .. import ics, mail, online
from ..event_time import event_starts_at
from ..notifications import email_environment
from ..registration.privacy import personal_url
from .settings import offset_label

KIND_REMINDER = "reminder"
KIND_CHANGED = "programme_changed"


@dataclass(frozen=True)
class Change:
    """What changed in one session, as shown to one registrant: the old and new time range
    (local wall-clock, or None if the time did not change) and room names."""

    session: Session
    old_start: datetime | None = None  # UTC
    old_end: datetime | None = None
    old_room: str | None = None  # a name, already in the reader's language
    room_changed: bool = False


def time_range(starts: datetime, ends: datetime, tzname: str, lang: str) -> str:
    """A session's time, e.g. "Sunday 24 January 2027, 09:30–10:00", in ``lang`` and the
    event's timezone."""
    local_start = utc_to_local(starts, tzname)
    local_end = utc_to_local(ends, tzname)
    start = fmt_time(starts, tzname, lang)
    if local_end.date() != local_start.date():
        end = _(
            "%(date)s, %(time)s",
            date=fmt_date(local_end.date(), lang, "full"),
            time=fmt_time(ends, tzname, lang),
        )
    else:
        end = fmt_time(ends, tzname, lang)
    return _(
        "%(date)s, %(start)s–%(end)s",
        date=fmt_date(local_start.date(), lang, "full"),
        start=start,
        end=end,
    )


def in_time(delta: timedelta, lang: str) -> str:
    """The time left, rounded, in words: "in 1 day", "dans 40 minutes", "خلال ساعتين"."""
    text = format_timedelta(
        max(delta, timedelta(minutes=1)), add_direction=True, threshold=0.85, locale=lang
    )
    return _digits(text, _numbering(lang, None))


def _base_context(registration: Registration, lang: str) -> dict:
    event = registration.event
    return {
        "registration": registration,
        "event": event,
        "lang": lang,
        "text_dir": text_direction(lang),
        "url": personal_url(registration, lang),
        "event_title": event.t("title", lang),
        "venue": event.t("venue_name", lang),
        "timezone": tz_label(event.timezone, lang),
    }


def _render(registration: Registration, template: str, context: dict, lang: str):
    env = email_environment(lang)
    text = env.get_template(f"email/{template}.txt").render(context)
    html = env.get_template(f"email/{template}.html").render(context)
    return text, html


def join_links(registration: Registration, lang: str, now: datetime) -> list[dict]:
    """The registrant's personal join links of sessions not yet ended."""
    event = registration.event
    return [
        {
            "title": item.t("title", lang),
            "when": time_range(item.starts_at, item.ends_at, event.timezone, lang),
            "url": online.join_url(registration, item, lang),
        }
        for item in online.joinable_sessions(registration)
        if item.ends_at > now
    ]


def reminder_email(registration: Registration, offset: int, now: datetime) -> mail.RawEmail:
    """The reminder ``offset`` minutes before the event: when and where, the join links (online
    registrants) or the ticket (in person, its QR code attached), and the personal link."""
    event = registration.event
    with language(registration.preferred_language) as lang, use_numbering(event):
        starts = event_starts_at(event)
        in_person = registration.attendance_mode != "online"
        context = _base_context(registration, lang) | {
            "offset": offset_label(offset, lang),
            "in_time": in_time(starts - now, lang),
            "start_date": fmt_date(utc_to_local(starts, event.timezone).date(), lang, "full"),
            "start_time": fmt_time(starts, event.timezone, lang),
            "online": registration.attendance_mode == "online",
            "in_person": in_person,
            "join_links": join_links(registration, lang, now),
        }
        context["ticket_url"] = context["url"] + "/ticket.svg" if in_person else None
        subject = _(
            "Reminder: %(event)s starts %(in_time)s",
            event=context["event_title"],
            in_time=context["in_time"],
        )
        text, html = _render(registration, "reminder", context, lang)
    attachments = []
    if in_person:
        from ..tickets import checkin_code

        png = _qr_png(checkin_code(registration))
        attachments.append(mail.Attachment("ticket.png", png, "image", "png"))
    return mail.build_raw(
        to=registration.email,
        subject=subject,
        text=text,
        html=html,
        attachments=attachments,
        lang=lang,
    )


def _qr_png(data: str) -> bytes:
    import io

    out = io.BytesIO()
    segno.make(data, error="m", micro=False).save(out, kind="png", scale=6, border=2)
    return out.getvalue()


def changed_email(registration: Registration, changes: list[Change]) -> mail.RawEmail:
    """The email "the programme changed": each session with its old and new time and/or
    room, and the registrant's calendar file (whose entries replace the old ones)."""
    event = registration.event
    with language(registration.preferred_language) as lang, use_numbering(event):
        tzname = event.timezone
        items = []
        for change in changes:
            item = change.session
            entry = {"title": item.t("title", lang), "old_time": None, "old_room": None}
            if change.old_start is not None:
                entry["old_time"] = time_range(change.old_start, change.old_end, tzname, lang)
                entry["new_time"] = time_range(item.starts_at, item.ends_at, tzname, lang)
            else:
                entry["time"] = time_range(item.starts_at, item.ends_at, tzname, lang)
            if change.room_changed:
                entry["old_room"] = change.old_room or _("no room")
                entry["new_room"] = item.room.t("name", lang) if item.room else _("no room")
            items.append(entry)
        context = _base_context(registration, lang) | {"changes": items}
        subject = _("The programme changed: %(event)s", event=context["event_title"])
        text, html = _render(registration, "programme_changed", context, lang)
        calendar = ics.registration_ics(registration, lang)
    return mail.build_raw(
        to=registration.email,
        subject=subject,
        text=text,
        html=html,
        attachments=[
            mail.Attachment("event.ics", calendar, "text", "calendar", ics.CONTENT_PARAMS)
        ],
        lang=lang,
    )
