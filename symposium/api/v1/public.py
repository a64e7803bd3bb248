"""The public part of the API: published events and their programme; no token needed."""

from __future__ import annotations

from flask import abort
from flask_smorest import Blueprint

from ...extensions import db
from ...models.types import utcnow
from ...services import agenda_view, session_languages
from ...services.events import get_published_or_404
from .schemas import (
    ChangeSchema,
    EventSchema,
    LanguageArgs,
    RoomSchema,
    SessionListArgs,
    SessionSchema,
    SpeakerSchema,
)

blp = Blueprint(
    "api_v1_public",
    __name__,
    url_prefix="/api/v1",
    description="Published events and their programme (no token needed).",
)


@blp.get("/events")
@blp.arguments(LanguageArgs, location="query", as_kwargs=True)
@blp.response(200, EventSchema(many=True))
def events(**_args):
    """Published events: upcoming ones (soonest first), then past ones (latest first)."""
    upcoming, past = agenda_view.published_events(db.session, utcnow())
    return [*upcoming, *past]


@blp.get("/events/<slug>")
@blp.arguments(LanguageArgs, location="query", as_kwargs=True)
@blp.response(200, EventSchema)
@blp.alt_response(404, schema=None, description="No published event has this slug.")
def event(slug, **_args):
    """One published event."""
    return get_published_or_404(slug)


@blp.get("/events/<slug>/rooms")
@blp.arguments(LanguageArgs, location="query", as_kwargs=True)
@blp.response(200, RoomSchema(many=True))
def rooms(slug, **_args):
    """The rooms of a published event."""
    return agenda_view.load_rooms(db.session, get_published_or_404(slug))


@blp.get("/events/<slug>/sessions")
@blp.arguments(SessionListArgs, location="query", as_kwargs=True)
@blp.response(200, SessionSchema(many=True))
def sessions(slug, language=None, **_args):
    """The agenda of a published event, in time order (``language``: those one can follow in
    that language, spoken or interpreted into it)."""
    event = get_published_or_404(slug)
    items = [item for day in agenda_view.load_agenda(db.session, event) for item in day.sessions]
    if language:
        items = [item for item in items if session_languages.followable_in(item, language)]
    return items


@blp.get("/events/<slug>/sessions/<key>")
@blp.arguments(LanguageArgs, location="query", as_kwargs=True)
@blp.response(200, SessionSchema)
@blp.alt_response(404, schema=None, description="No such session.")
def session(slug, key, **_args):
    """One session."""
    item = agenda_view.load_session(db.session, get_published_or_404(slug), key)
    if item is None:
        abort(404)
    return item


@blp.get("/events/<slug>/speakers")
@blp.arguments(LanguageArgs, location="query", as_kwargs=True)
@blp.response(200, SpeakerSchema(many=True))
def speakers(slug, **_args):
    """The speakers of a published event, in the programme's order."""
    return agenda_view.load_speakers(db.session, get_published_or_404(slug))


@blp.get("/events/<slug>/changes")
@blp.arguments(LanguageArgs, location="query", as_kwargs=True)
@blp.response(200, ChangeSchema(many=True))
def changes(slug, **_args):
    """Changes made to the published agenda, newest first."""
    return agenda_view.load_changes(db.session, get_published_or_404(slug))
