"""Sessions and speakers through the API: the workspace's rules, messages and audit log."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from ...extensions import db
from ...i18n import utc_to_local
from ...models import Person, Room, Session, SessionRegistration
from ...services import agenda as agenda_service
from ...services import speakers as speaker_service
from .auth import WRITE_DOC, audit_write, current_token, managed_event_or_404, token_required
from .idempotency import idempotent_write
from .problems import refuse
from .schemas import SessionSchema, SessionWriteSchema, SpeakerSchema, SpeakerWriteSchema

blp = Blueprint(
    "api_v1_agenda",
    __name__,
    url_prefix="/api/v1",
    description="Sessions and speakers of the events a token may manage (write).",
)


def _local(value: datetime, event) -> datetime:
    """A wall-clock time in the event's timezone (an offset, if given, is converted)."""
    if value.tzinfo is not None:
        return utc_to_local(value, event.timezone).replace(tzinfo=None)
    return value


def merge_i18n(current: dict | None, given: dict) -> dict:
    """Multilingual fields are merged as in a JSON merge patch: the languages given replace
    theirs, an empty text removes its language, the others stay."""
    merged = dict(current or {})
    for lang, text in given.items():
        if text:
            merged[lang] = text
        else:
            merged.pop(lang, None)
    return merged


def _session_or_404(event, key: str) -> Session:
    item = db.session.scalar(
        select(Session).where(Session.event_id == event.id, Session.key == key)
    )
    if item is None:
        abort(404)
    return item


def _person_or_404(event, key: str) -> Person:
    person = db.session.scalar(select(Person).where(Person.event_id == event.id, Person.key == key))
    if person is None:
        abort(404)
    return person


def _apply(event, data: agenda_service.SessionData, body: dict) -> None:
    """Copy the request's fields onto ``data``, resolving room and speaker keys."""
    errors = []
    for name in ("kind", "capacity", "track", "key"):
        if name in body:
            setattr(data, name, body[name])
    for name in ("title", "abstract"):
        if name in body:
            setattr(data, name, merge_i18n(getattr(data, name), body[name]))
    if "languages" in body:
        data.languages = list(body["languages"])
    if "interpretation" in body:
        data.interpretation = [f"{c['source']}-{c['target']}" for c in body["interpretation"]]
    if "starts_at" in body:
        data.starts_local = _local(body["starts_at"], event)
    if "ends_at" in body:
        data.ends_local = _local(body["ends_at"], event)
    if "room" in body:
        data.room_id = None
        if body["room"] is not None:
            room = db.session.scalar(
                select(Room).where(Room.event_id == event.id, Room.key == body["room"])
            )
            if room is None:
                errors.append({"path": "room", "message": _("This room does not exist.")})
            else:
                data.room_id = room.id
    if "speakers" in body:
        data.speakers = []
        for index, link in enumerate(body["speakers"]):
            person = db.session.scalar(
                select(Person).where(Person.event_id == event.id, Person.key == link["key"])
            )
            if person is None:
                errors.append(
                    {"path": f"speakers[{index}].key", "message": _("This person does not exist.")}
                )
            else:
                data.speakers.append((person.id, link["role"]))
    if errors:
        abort(422, errors=errors)


@blp.post("/events/<slug>/sessions")
@blp.doc(**WRITE_DOC)
@token_required("write")
@idempotent_write
@blp.arguments(SessionWriteSchema)
@blp.response(201, SessionSchema)
@blp.alt_response(409, description="The agenda's rules refuse it (the reasons are listed).")
def create_session(body, slug):
    """Add a session; the same conflict rules as the agenda builder."""
    event = managed_event_or_404(slug)
    missing = [n for n in ("title", "starts_at", "ends_at") if n not in body]
    if missing:
        abort(422, errors=[{"path": n, "message": _("This field is required.")} for n in missing])
    data = agenda_service.SessionData(title={}, starts_local=None, ends_local=None)
    _apply(event, data, body)
    try:
        item = agenda_service.save_session(db.session, event, data, by=current_token().user)
    except agenda_service.AgendaConflict as exc:
        refuse(exc.messages)
    audit_write("session.create", event, item.key)
    return item


@blp.patch("/events/<slug>/sessions/<key>")
@blp.doc(**WRITE_DOC)
@token_required("write")
@idempotent_write
@blp.arguments(SessionWriteSchema)
@blp.response(200, SessionSchema)
@blp.alt_response(409, description="The agenda's rules refuse it (the reasons are listed).")
def update_session(body, slug, key):
    """Change some fields of a session (a move is a change of times or room)."""
    event = managed_event_or_404(slug)
    item = _session_or_404(event, key)
    body.pop("key", None)
    data = agenda_service.data_from_session(item)
    _apply(event, data, body)
    try:
        item = agenda_service.save_session(
            db.session, event, data, item=item, by=current_token().user
        )
    except agenda_service.AgendaConflict as exc:
        refuse(exc.messages)
    audit_write("session.update", event, item.key, {"fields": sorted(body)})
    return item


@blp.delete("/events/<slug>/sessions/<key>")
@blp.doc(**WRITE_DOC)
@token_required("write")
@idempotent_write
@blp.response(204)
@blp.alt_response(409, description="People signed up for it: cancel their places first.")
def delete_session(slug, key):
    """Remove a session that nobody has signed up for."""
    event = managed_event_or_404(slug)
    item = _session_or_404(event, key)
    signed_up = db.session.scalar(
        select(db.func.count()).where(SessionRegistration.session_id == item.id)
    )
    if signed_up:
        refuse([_("People signed up for this session: cancel their places first.")])
    agenda_service.delete_session(db.session, event, item, by=current_token().user)
    audit_write("session.delete", event, key)
    return None


def _person_data(person: Person | None, body: dict) -> speaker_service.PersonData:
    base = speaker_service.PersonData(name={})
    if person is not None:
        base = speaker_service.PersonData(
            key=person.key,
            name=dict(person.name or {}),
            title=dict(person.title or {}),
            organisation=dict(person.organisation or {}),
            city=dict(person.city or {}),
            bio=dict(person.bio or {}),
            country=person.country,
            email=person.email,
        )
    for name in ("key", "country", "email"):
        if name in body:
            setattr(base, name, body[name])
    for name in ("name", "title", "organisation", "city", "bio"):
        if name in body:
            setattr(base, name, merge_i18n(getattr(base, name), body[name]))
    return base


@blp.post("/events/<slug>/speakers")
@blp.doc(**WRITE_DOC)
@token_required("write")
@idempotent_write
@blp.arguments(SpeakerWriteSchema)
@blp.response(201, SpeakerSchema)
def create_speaker(body, slug):
    """Add a speaker (the bio is sanitised HTML)."""
    event = managed_event_or_404(slug)
    if not body.get("name"):
        abort(422, errors=[{"path": "name", "message": _("This field is required.")}])
    try:
        person = speaker_service.save_person(
            db.session, event, _person_data(None, body), by=current_token().user
        )
    except speaker_service.SpeakerError as exc:
        refuse(exc.messages, 422)
    audit_write("person.create", event, person.key)
    return person


@blp.patch("/events/<slug>/speakers/<key>")
@blp.doc(**WRITE_DOC)
@token_required("write")
@idempotent_write
@blp.arguments(SpeakerWriteSchema)
@blp.response(200, SpeakerSchema)
def update_speaker(body, slug, key):
    """Change some fields of a speaker."""
    event = managed_event_or_404(slug)
    person = _person_or_404(event, key)
    body.pop("key", None)
    try:
        person = speaker_service.save_person(
            db.session, event, _person_data(person, body), person=person, by=current_token().user
        )
    except speaker_service.SpeakerError as exc:
        refuse(exc.messages, 422)
    audit_write("person.update", event, person.key, {"fields": sorted(body)})
    return person


@blp.delete("/events/<slug>/speakers/<key>")
@blp.doc(**WRITE_DOC)
@token_required("write")
@idempotent_write
@blp.response(204)
def delete_speaker(slug, key):
    """Remove a speaker from the event and its sessions."""
    event = managed_event_or_404(slug)
    person = _person_or_404(event, key)
    speaker_service.delete_person(db.session, event, person, by=current_token().user)
    audit_write("person.delete", event, key)
    return None
