"""Public pages: events, event home, agenda, sessions, speakers, programme changes, iCalendar."""

from __future__ import annotations

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

from ..extensions import db
from ..i18n import (
    current_language,
    fmt_date,
    fmt_time,
    join_list,
    local_to_utc,
    localize,
    utc_to_local,
)
from ..models import SESSION_KINDS
from ..models.types import utcnow
from ..services import agenda_view, ics, materials
from ..services import session_languages as session_langs
from ..services import speakers as speakers_service
from ..services.events import get_published_or_404
from . import bp, caching
from . import materials as public_materials

bp.after_request(caching.finish)


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
        "session_language_info": session_langs.info,
        "session_language_name": session_langs.language_name,
    }


@bp.get("/")
def index():
    upcoming, past = agenda_view.published_events(db.session, utcnow())
    return render_template("public/index.html", upcoming=upcoming, past=past)


@bp.get("/events/<slug>/")
def event(slug):
    ev = get_published_or_404(slug)
    # what changes with time, not with the row: registration opening or closing
    cached = caching.not_modified(
        ev, registration_available(ev), last_modified=caching.effective_modified(ev)
    )
    if cached:
        return cached
    session_count, speaker_count = agenda_view.event_counts(db.session, ev)
    return render_template(
        "public/event.html", event=ev, session_count=session_count, speaker_count=speaker_count
    )


@bp.get("/events/<slug>/agenda")
def agenda(slug):
    ev = get_published_or_404(slug)
    cached = caching.not_modified(ev)
    if cached:
        return cached
    rooms = agenda_view.load_rooms(db.session, ev)
    room = request.args.get("room") or None
    kind = request.args.get("kind") or None
    if room not in {r.key for r in rooms}:
        room = None
    if kind not in SESSION_KINDS:
        kind = None
    days = agenda_view.load_agenda(db.session, ev, room=room, kind=kind)
    # ?language=fr: the sessions one can follow in French (spoken or interpreted into)
    language_choices = session_langs.filter_choices(item for day in days for item in day.sessions)
    language = request.args.get("language") or None
    if language not in session_langs.allowed_codes(ev):
        language = None
    days = session_langs.filter_days(days, language)
    return render_template(
        "public/agenda.html",
        event=ev,
        days=days,
        rooms=rooms,
        kinds=SESSION_KINDS,
        room=room,
        kind=kind,
        language=language,
        language_choices=language_choices,
    )


@bp.get("/events/<slug>/sessions/<key>")
def session_detail(slug, key):
    ev = get_published_or_404(slug)
    item = agenda_view.load_session(db.session, ev, key)
    if item is None:
        abort(404)
    # the seats left change without the event's row: validated by the ETag alone
    seats = item.confirmed_count if item.capacity is not None else None
    # materials appear when published or when the session ends: the ETag names those shown
    shown = materials.shown(db.session, item)
    last_modified = item.capacity is None and not shown.pending
    cached = caching.not_modified(ev, seats, shown.etag, last_modified=last_modified)
    if cached:
        return cached
    return render_template("public/session.html", event=ev, item=item, materials=shown)


@bp.get("/events/<slug>/speakers")
def speakers(slug):
    ev = get_published_or_404(slug)
    cached = caching.not_modified(ev)
    if cached:
        return cached
    people = agenda_view.load_speakers(db.session, ev)
    return render_template("public/speakers.html", event=ev, people=people)


@bp.get("/events/<slug>/speakers/<key>")
def speaker(slug, key):
    ev = get_published_or_404(slug)
    person = agenda_view.load_speaker(db.session, ev, key)
    if person is None:
        abort(404)
    cached = caching.not_modified(ev)
    if cached:
        return cached
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
    entries = public_materials.with_material_changes(ev, entries)
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
        "languages": _("Languages"),
        "interpretation": _("Interpretation"),
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
        return join_list([_format_value(ev, field, v, rooms, people) for v in value], lang)
    if field == "kind" and value in SESSION_KINDS:
        return kind_labels()[value]
    if field == "room" and isinstance(value, str) and value in rooms:
        return rooms[value].t("name", lang)
    if field == "speakers" and isinstance(value, str) and value in people:
        return people[value].t("name", lang)
    if field == "languages" and isinstance(value, str):
        return session_langs.language_name(value, lang)
    if field == "interpretation" and isinstance(value, str):
        return session_langs.channel_label(value, lang)
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


def _ics_response(content: bytes, filename: str) -> Response:
    return Response(
        content,
        content_type=ics.CONTENT_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-cache",
        },
    )


def _session_url(ev):
    return lambda item: url_for(".session_detail", slug=ev.slug, key=item.key, _external=True)


@bp.get("/events/<slug>/event.ics")
def event_ics(slug):
    ev = get_published_or_404(slug)
    sessions = [item for day in agenda_view.load_agenda(db.session, ev) for item in day.sessions]
    content = ics.agenda_ics(
        ev, sessions, current_language(), _session_url(ev), kind_labels=kind_labels()
    )
    return _ics_response(content, f"{ev.slug}.ics")


@bp.get("/events/<slug>/sessions/<key>.ics")
def session_ics(slug, key):
    ev = get_published_or_404(slug)
    item = agenda_view.load_session(db.session, ev, key)
    if item is None:
        abort(404)
    content = ics.session_ics(
        item, current_language(), _session_url(ev)(item), kind_labels=kind_labels()
    )
    return _ics_response(content, f"{ev.slug}-{item.key}.ics")
