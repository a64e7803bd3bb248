"""Workspace: the agenda builder (a day grid of rooms by time), sessions and rooms."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..i18n import utc_to_local
from ..models import Room, Session
from ..services import agenda as agenda_service
from ..services import session_languages
from . import bp
from .common import form_page, managed_event, owned, submit_form, wants_json
from .forms import (
    ActionForm,
    MoveForm,
    RoomForm,
    SessionForm,
    fill_i18n,
    i18n_value,
)

SLOT = timedelta(minutes=15)
EXTRA_SPEAKER_ROWS = 3
EXTRA_CHANNEL_ROWS = 2


# --- the grid -------------------------------------------------------------------------------


@dataclass
class Column:
    room: Room | None
    index: int  # CSS grid column (1 = the times)


@dataclass
class Placed:
    item: Session
    start: datetime
    end: datetime
    column: int
    row_start: int
    row_end: int


@dataclass
class Grid:
    day: date
    slots: list[datetime] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    unassigned_lanes: int = 1
    items: list[Placed] = field(default_factory=list)

    @property
    def column_count(self) -> int:
        return len(self.columns)


def _floor(dt: datetime) -> datetime:
    return dt.replace(minute=dt.minute - dt.minute % 15, second=0, microsecond=0)


def _ceil(dt: datetime) -> datetime:
    floored = _floor(dt)
    return floored if floored == dt else floored + SLOT


def event_days(event) -> list[date]:
    days, d = [], event.starts_on
    while d <= event.ends_on and len(days) < 60:
        days.append(d)
        d += timedelta(days=1)
    return days


def build_grid(event, day: date) -> Grid:
    """Place the sessions of ``day`` (local date) in rooms x 15-minute rows."""
    tzname = event.timezone
    grid = Grid(day=day)
    todays = []
    for item in event.sessions:
        start = utc_to_local(item.starts_at, tzname).replace(tzinfo=None)
        end = utc_to_local(item.ends_at, tzname).replace(tzinfo=None)
        if start.date() == day:
            todays.append((item, start, end))
    first = datetime.combine(day, time(8, 0))
    last = datetime.combine(day, time(18, 0))
    if todays:
        first = min(first, _floor(min(s for _, s, _ in todays)))
        last = max(last, _ceil(max(e for _, _, e in todays)))
    last = min(last, datetime.combine(day + timedelta(days=1), time(0, 0)))
    t = first
    while t < last:
        grid.slots.append(t)
        t += SLOT

    rooms = list(event.rooms)
    room_col = {room.id: i + 2 for i, room in enumerate(rooms)}
    grid.columns = [Column(room, i + 2) for i, room in enumerate(rooms)]
    # sessions without a room: their own column(s), one lane per overlap
    lanes_end: list[datetime] = []
    unassigned: list[tuple[Session, datetime, datetime, int]] = []
    for item, start, end in sorted((x for x in todays if x[0].room_id is None), key=lambda x: x[1]):
        for lane, lane_end in enumerate(lanes_end):
            if lane_end <= start:
                lanes_end[lane] = end
                break
        else:
            lane = len(lanes_end)
            lanes_end.append(end)
        unassigned.append((item, start, end, lane))
    grid.unassigned_lanes = max(1, len(lanes_end))
    base = len(rooms) + 2
    for lane in range(grid.unassigned_lanes):
        grid.columns.append(Column(None, base + lane))

    def rows(start, end):
        r1 = int((_floor(start) - first) / SLOT) + 2
        r2 = int((min(_ceil(end), last) - first) / SLOT) + 2
        return r1, max(r2, r1 + 1)

    for item, start, end in todays:
        if item.room_id is not None and item.room_id in room_col:
            r1, r2 = rows(start, end)
            grid.items.append(Placed(item, start, end, room_col[item.room_id], r1, r2))
    for item, start, end, lane in unassigned:
        r1, r2 = rows(start, end)
        grid.items.append(Placed(item, start, end, base + lane, r1, r2))
    return grid


@bp.get("/events/<slug>/agenda")
def agenda(slug):
    event = managed_event(slug)
    days = event_days(event)
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = days[0] if days else event.starts_on
    if day not in days and days:
        day = days[0]
    grid = build_grid(event, day)
    return render_template(
        "manage/agenda.html",
        event=event,
        days=days,
        grid=grid,
        action_form=ActionForm(),
        move_form=MoveForm(),
    )


# --- sessions -------------------------------------------------------------------------------


def _prepare(form: SessionForm, event) -> None:
    form.room.choices = [("", _("No room"))] + [(str(r.id), r.t("name")) for r in event.rooms]
    people = sorted(event.people, key=lambda p: p.t("name").casefold())
    person_choices = [("", "—")] + [(str(p.id), p.t("name")) for p in people]
    for entry in form.speakers:
        entry.person.choices = person_choices
    codes = session_languages.allowed_codes(event)
    form.languages.choices = [(c, session_languages.language_name(c)) for c in codes]
    channel_choices = [("", "—")] + list(form.languages.choices)
    for entry in form.interpretation:
        entry.source.choices = channel_choices
        entry.target.choices = channel_choices


def _pad_speakers(form: SessionForm, event) -> None:
    while (
        len(form.speakers.entries)
        < len([e for e in form.speakers if e.person.data]) + EXTRA_SPEAKER_ROWS
    ):
        form.speakers.append_entry()
    filled = len([e for e in form.interpretation if e.source.data or e.target.data])
    while len(form.interpretation.entries) < filled + EXTRA_CHANNEL_ROWS:
        form.interpretation.append_entry()
    _prepare(form, event)


def _fill(form: SessionForm, data: agenda_service.SessionData, *, with_key: bool = True) -> None:
    form.key.data = data.key if with_key else ""
    form.kind.data = data.kind
    form.starts_at.data = data.starts_local
    form.ends_at.data = data.ends_local
    form.room.data = str(data.room_id) if data.room_id else ""
    form.capacity.data = data.capacity
    form.track.data = data.track
    fill_i18n(form, "title", data.title)
    fill_i18n(form, "abstract", data.abstract)
    while form.speakers.entries:
        form.speakers.pop_entry()
    for pid, role in data.speakers:
        entry = form.speakers.append_entry()
        entry.person.data = str(pid)
        entry.role.data = role
    form.languages.data = list(data.languages)
    while form.interpretation.entries:
        form.interpretation.pop_entry()
    for value in data.interpretation:
        channel = session_languages.parse_channel(value)
        if channel is not None:
            entry = form.interpretation.append_entry()
            entry.source.data = channel.source
            entry.target.data = channel.target
    form.online_url.data = data.online_url or ""
    form.recording_url.data = data.recording_url or ""


def _data(form: SessionForm) -> agenda_service.SessionData:
    speakers = []
    for entry in form.speakers:
        pid = entry.person.data
        if pid and str(pid).isdigit():
            speakers.append((int(pid), entry.role.data or "speaker"))
    room = form.room.data
    channels = []
    for entry in form.interpretation:
        source, target = (entry.source.data or "").strip(), (entry.target.data or "").strip()
        if source and target:  # half a row is refused by the form (ChannelRowForm)
            channels.append(f"{source}-{target}")
    return agenda_service.SessionData(
        key=(form.key.data or "").strip().lower() or None,
        kind=form.kind.data,
        title=i18n_value(form, "title"),
        abstract=i18n_value(form, "abstract"),
        starts_local=form.starts_at.data,
        ends_local=form.ends_at.data,
        room_id=int(room) if room and str(room).isdigit() else None,
        capacity=form.capacity.data,
        track=form.track.data,
        speakers=speakers,
        languages=[code for code in (form.languages.data or []) if code],
        interpretation=channels,
        online_url=form.online_url.data,
        recording_url=form.recording_url.data,
    )


def _render_session_form(event, form, item, problems, status=200, *, copy_of=None):
    _pad_speakers(form, event)
    return render_template(
        "manage/session_form.html",
        event=event,
        form=form,
        item=item,
        copy_of=copy_of,
        problems=problems,
    ), status


def _grid_url(event, item=None) -> str:
    day = None
    if item is not None:
        day = utc_to_local(item.starts_at, event.timezone).date().isoformat()
    return url_for(".agenda", slug=event.slug, day=day)


def _back_to_grid(event, item=None):
    return redirect(_grid_url(event, item))


@bp.route("/events/<slug>/sessions/new", methods=["GET", "POST"])
def session_new(slug):
    event = managed_event(slug)
    form = SessionForm()
    _prepare(form, event)
    if request.method == "GET":
        start = request.args.get("start")
        try:
            start_dt = datetime.fromisoformat(start) if start else None
        except ValueError:
            start_dt = None
        if start_dt is None:
            start_dt = datetime.combine(event.starts_on, time(9, 0))
        form.starts_at.data = start_dt
        form.ends_at.data = start_dt + timedelta(hours=1)
        form.room.data = request.args.get("room", "")
        return _render_session_form(event, form, None, [])
    problems, done = submit_form(
        form,
        lambda: agenda_service.save_session(db.session, event, _data(form), by=current_user),
        agenda_service.AgendaConflict,
        success=_("The session is saved."),
        redirect_to=lambda saved: _grid_url(event, saved),
    )
    return done or _render_session_form(event, form, None, problems, 400)


@bp.route("/events/<slug>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def session_edit(slug, session_id):
    event = managed_event(slug)
    item = owned(db.session.get(Session, session_id), event)
    form = SessionForm()
    if request.method == "GET":
        _fill(form, agenda_service.data_from_session(item))
        return _render_session_form(event, form, item, [])
    _prepare(form, event)
    problems, done = submit_form(
        form,
        lambda: agenda_service.save_session(
            db.session, event, _data(form), item=item, by=current_user
        ),
        agenda_service.AgendaConflict,
        success=_("The session is saved."),
        redirect_to=lambda _saved: _grid_url(event, item),
    )
    return done or _render_session_form(event, form, item, problems, 400)


@bp.get("/events/<slug>/sessions/<int:session_id>/duplicate")
def session_duplicate(slug, session_id):
    """The form for a new session, filled from ``session_id`` and placed right after it."""
    event = managed_event(slug)
    item = owned(db.session.get(Session, session_id), event)
    data = agenda_service.data_from_session(item)
    duration = data.ends_local - data.starts_local
    data.starts_local = data.ends_local
    data.ends_local = data.starts_local + duration
    form = SessionForm(formdata=None)
    _fill(form, data, with_key=False)
    return _render_session_form(event, form, None, [], copy_of=item)


@bp.route("/events/<slug>/sessions/<int:session_id>/move", methods=["GET", "POST"])
def session_move(slug, session_id):
    """Move a session in time or room: a plain form; the drag and drop script posts here too."""
    event = managed_event(slug)
    item = owned(db.session.get(Session, session_id), event)
    form = MoveForm()
    form.room.choices = [("", _("No room"))] + [(str(r.id), r.t("name")) for r in event.rooms]
    problems: list[str] = []
    if request.method == "GET":
        form.starts_at.data = utc_to_local(item.starts_at, event.timezone).replace(tzinfo=None)
        form.room.data = str(item.room_id) if item.room_id else ""
    elif form.validate_on_submit():
        room = form.room.data
        try:
            agenda_service.move_session(
                db.session,
                event,
                item,
                starts_local=form.starts_at.data,
                room_id=int(room) if room and str(room).isdigit() else None,
                by=current_user,
            )
        except agenda_service.AgendaConflict as exc:
            db.session.rollback()
            problems = exc.messages
        else:
            db.session.commit()
            # Flashed for the script too: it reloads the grid, which shows the message
            flash(_("The session is moved."), "success")
            if wants_json():
                return jsonify({"ok": True, "message": _("The session is moved.")})
            return _back_to_grid(event, item)
    else:
        problems = [
            f"{form[name].label.text}: {err}" for name, errs in form.errors.items() for err in errs
        ]
    if request.method == "POST" and wants_json():
        return jsonify({"ok": False, "messages": problems}), 400
    status = 400 if request.method == "POST" else 200
    return render_template(
        "manage/session_move.html", event=event, item=item, form=form, problems=problems
    ), status


@bp.route("/events/<slug>/sessions/<int:session_id>/delete", methods=["GET", "POST"])
def session_delete(slug, session_id):
    event = managed_event(slug)
    item = owned(db.session.get(Session, session_id), event)
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        day = utc_to_local(item.starts_at, event.timezone).date().isoformat()
        agenda_service.delete_session(db.session, event, item, by=current_user)
        db.session.commit()
        flash(_("The session is deleted."), "success")
        return redirect(url_for(".agenda", slug=event.slug, day=day))
    return render_template("manage/session_delete.html", event=event, item=item, form=form)


# --- rooms ----------------------------------------------------------------------------------


def _room_data(form: RoomForm) -> agenda_service.RoomData:
    return agenda_service.RoomData(
        key=(form.key.data or "").strip().lower() or None,
        name=i18n_value(form, "name"),
        capacity=form.capacity.data,
        position=form.position.data,
    )


def _rooms_page(event, room=None):
    """The list of rooms with the form to add one (``room=None``) or to edit ``room``."""
    form = RoomForm()
    if room is not None and request.method == "GET":
        form.key.data = room.key
        form.capacity.data = room.capacity
        form.position.data = room.position
        fill_i18n(form, "name", room.name)
    problems, done = submit_form(
        form,
        lambda: agenda_service.save_room(
            db.session, event, _room_data(form), room=room, by=current_user
        ),
        agenda_service.AgendaConflict,
        success=_("The room is saved."),
        redirect_to=lambda _saved: url_for(".rooms", slug=event.slug),
    )
    return done or form_page(
        "manage/rooms.html",
        event=event,
        form=form,
        problems=problems,
        action_form=ActionForm(),
        room=room,
    )


@bp.route("/events/<slug>/rooms", methods=["GET", "POST"])
def rooms(slug):
    return _rooms_page(managed_event(slug))


@bp.route("/events/<slug>/rooms/<int:room_id>/edit", methods=["GET", "POST"])
def room_edit(slug, room_id):
    event = managed_event(slug)
    return _rooms_page(event, owned(db.session.get(Room, room_id), event))


@bp.post("/events/<slug>/rooms/<int:room_id>/delete")
def room_delete(slug, room_id):
    event = managed_event(slug)
    room = owned(db.session.get(Room, room_id), event)
    if ActionForm().validate_on_submit():
        agenda_service.delete_room(db.session, event, room, by=current_user)
        db.session.commit()
        flash(_("The room is deleted; its sessions have no room now."), "success")
    return redirect(url_for(".rooms", slug=event.slug))
