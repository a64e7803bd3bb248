"""Public pages: events, event home, agenda, sessions, speakers, programme changes, iCalendar."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import (
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from icalendar import Calendar
from icalendar import Event as IcsEvent

from ..extensions import db
from ..i18n import current_language, fmt_date, fmt_time, local_to_utc, localize, utc_to_local
from ..models import SESSION_KINDS
from ..models.types import utcnow
from ..services import agenda_view, ics
from ..services import speakers as speakers_service
from ..services.events import get_published_or_404
from . import bp


def kind_labels() -> dict[str, str]:
    return {
        "opening": _("Opening"),
        "keynote": _("Keynote"),
        "panel": _("Panel"),
        "roundtable": _("Roundtable"),
        "workshop": _("Workshop"),
        "break": _("Break"),
        "closing": _("Closing"),
    }


def role_labels() -> dict[str, str]:
    return {
        "speaker": _("Speaker"),
        "moderator": _("Moderator"),
        "chair": _("Chair"),
        "panellist": _("Panellist"),
    }


def registration_available(event) -> bool:
    """Whether to offer the registration link: open, within its dates, and the page exists."""
    if "public.register" not in current_app.view_functions:
        return False
    if not (event.is_published and event.registration_open):
        return False
    now = utcnow()
    if event.registration_opens_at and now < event.registration_opens_at:
        return False
    return not (event.registration_closes_at and now >= event.registration_closes_at)


def fmt_when(moment: datetime, event) -> str:
    """A moment as "1 February 2027 at 9:00" in the event's timezone and the page's language."""
    local = utc_to_local(moment, event.timezone)
    return _(
        "%(date)s at %(time)s",
        date=fmt_date(local.date(), fmt="long"),
        time=fmt_time(moment, event.timezone),
    )


@bp.context_processor
def labels():
    return {
        "fmt_when": fmt_when,
        "kind_labels": kind_labels(),
        "role_labels": role_labels(),
        "registration_available": registration_available,
    }


@bp.get("/")
def index():
    upcoming, past = agenda_view.published_events(db.session, utcnow())
    return render_template("public/index.html", upcoming=upcoming, past=past)


@bp.get("/events/<slug>/")
def event(slug):
    ev = get_published_or_404(slug)
    session_count, speaker_count = agenda_view.event_counts(db.session, ev)
    return render_template(
        "public/event.html", event=ev, session_count=session_count, speaker_count=speaker_count
    )


@bp.get("/events/<slug>/agenda")
def agenda(slug):
    ev = get_published_or_404(slug)
    rooms = agenda_view.load_rooms(db.session, ev)
    room = request.args.get("room") or None
    kind = request.args.get("kind") or None
    if room not in {r.key for r in rooms}:
        room = None
    if kind not in SESSION_KINDS:
        kind = None
    days = agenda_view.load_agenda(db.session, ev, room=room, kind=kind)
    return render_template(
        "public/agenda.html",
        event=ev,
        days=days,
        rooms=rooms,
        kinds=SESSION_KINDS,
        room=room,
        kind=kind,
    )


@bp.get("/events/<slug>/sessions/<key>")
def session_detail(slug, key):
    ev = get_published_or_404(slug)
    item = agenda_view.load_session(db.session, ev, key)
    if item is None:
        abort(404)
    return render_template("public/session.html", event=ev, item=item)


@bp.get("/events/<slug>/speakers")
def speakers(slug):
    ev = get_published_or_404(slug)
    people = agenda_view.load_speakers(db.session, ev)
    return render_template("public/speakers.html", event=ev, people=people)


@bp.get("/events/<slug>/speakers/<key>")
def speaker(slug, key):
    ev = get_published_or_404(slug)
    person = agenda_view.load_speaker(db.session, ev, key)
    if person is None:
        abort(404)
    return render_template(
        "public/speaker.html",
        event=ev,
        person=person,
        appearances=agenda_view.speaker_sessions(person),
    )


@bp.get("/events/<slug>/speakers/<key>/photo")
def speaker_photo(slug, key):
    ev = get_published_or_404(slug)
    person = agenda_view.load_speaker(db.session, ev, key)
    # only a file the app stored for this person, in this event's folder (never a path as is)
    path = speakers_service.photo_file(person) if person is not None else None
    if path is None:
        abort(404)
    response = send_file(path)
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.get("/events/<slug>/changes")
def changes(slug):
    ev = get_published_or_404(slug)
    rows = agenda_view.load_changes(db.session, ev)
    sessions = agenda_view.session_titles(db.session, ev)
    rooms = {r.key: r for r in agenda_view.load_rooms(db.session, ev)}
    people = {p.key: p for p in agenda_view.load_speakers(db.session, ev)}
    entries = [_describe_change(ev, row, sessions, rooms, people) for row in rows]
    return render_template("public/changes.html", event=ev, entries=entries)


def _field_labels() -> dict[str, str]:
    return {
        "title": _("Title"),
        "kind": _("Type"),
        "starts_at": _("Starts"),
        "ends_at": _("Ends"),
        "room": _("Room"),
        "capacity": _("Places"),
        "track": _("Track"),
        "abstract": _("Abstract"),
        "speakers": _("Speakers"),
        "position": _("Order"),
    }


def _action_labels() -> dict[str, str]:
    return {
        "created": _("Added"),
        "updated": _("Changed"),
        "moved": _("Moved"),
        "deleted": _("Removed"),
    }


def _format_value(ev, field: str, value, rooms, people) -> str:
    """A value of a change summary in the page's language (texts, times, rooms, people)."""
    lang = current_language()
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, dict):
        return localize(value, lang, ev.default_language)
    if isinstance(value, list):
        return ", ".join(_format_value(ev, field, v, rooms, people) for v in value)
    if field == "kind" and value in SESSION_KINDS:
        return kind_labels()[value]
    if field == "room" and isinstance(value, str) and value in rooms:
        return rooms[value].t("name", lang)
    if field == "speakers" and isinstance(value, str) and value in people:
        return people[value].t("name", lang)
    if isinstance(value, str) and field in {"starts_at", "ends_at", "at"}:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is None:
            moment = local_to_utc(moment, ev.timezone)
        return fmt_when(moment, ev)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _describe_change(ev, row, sessions, rooms, people) -> dict:
    current = sessions.get(row.session_key or "")
    summary = row.summary if isinstance(row.summary, dict) else {}
    if current is not None:
        title = current.t("title")
    else:
        old_title = summary.get("title")
        olds = [v for v in (old_title or []) if v] if isinstance(old_title, list) else []
        title = _format_value(ev, "title", olds[0], rooms, people) if olds else row.session_key
    fields = _field_labels()
    details = []
    if row.action in {"updated", "moved"}:
        for name, pair in summary.items():
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                continue
            details.append(
                {
                    "field": fields.get(name, name),
                    "old": _format_value(ev, name, pair[0], rooms, people),
                    "new": _format_value(ev, name, pair[1], rooms, people),
                }
            )
    return {
        "row": row,
        "action": _action_labels().get(row.action, row.action),
        "action_key": row.action,
        "title": title or "—",
        "session": current,
        "details": details,
    }


@bp.get("/events/<slug>/event.ics")
def event_ics(slug):
    ev = get_published_or_404(slug)
    lang = current_language()
    cal = Calendar()
    cal.add("prodid", "-//symposium//agenda//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", ev.t("title", lang))
    cal.add("x-wr-timezone", ev.timezone)
    venue = ev.t("venue_name", lang)
    stamp = utcnow().replace(microsecond=0)
    for day in agenda_view.load_agenda(db.session, ev):
        for item in day.sessions:
            vevent = IcsEvent()
            vevent.add(
                "uid", f"{uuid.uuid5(uuid.NAMESPACE_URL, f'symposium:{ev.slug}:{item.key}')}"
            )
            vevent.add("dtstamp", stamp)
            vevent.add("dtstart", utc_to_local(item.starts_at, ev.timezone))
            vevent.add("dtend", utc_to_local(item.ends_at, ev.timezone))
            vevent.add("summary", item.t("title", lang))
            description = item.t("abstract", lang)
            names = [
                link.person.t("name", lang) for link in item.speakers if link.person is not None
            ]
            if names:
                description = (description + "\n\n" if description else "") + ", ".join(names)
            if description:
                vevent.add("description", description)
            place = ", ".join(
                p for p in (item.room.t("name", lang) if item.room else "", venue) if p
            )
            if place:
                vevent.add("location", place)
            vevent.add(
                "url",
                url_for(".session_detail", slug=ev.slug, key=item.key, _external=True),
            )
            vevent.add("categories", [kind_labels().get(item.kind, item.kind)])
            cal.add_component(vevent)
    return Response(
        ics.to_ical(cal),
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'attachment; filename="{ev.slug}.ics"',
            "Cache-Control": "no-cache",
        },
    )
