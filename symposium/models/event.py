"""The event, its rooms, its agenda (sessions) and the people who speak."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import event as sa_event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import localize
from .types import UTCDateTime, utcnow

SESSION_KINDS = ("opening", "keynote", "panel", "roundtable", "workshop", "break", "closing")
SPEAKER_ROLES = ("speaker", "moderator", "chair", "panellist")
EVENT_STATUSES = ("draft", "published")


class Event(db.Model):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    default_language: Mapped[str] = mapped_column(String(8), default="ar")
    languages: Mapped[list] = mapped_column(JSON, default=lambda: ["ar", "en", "fr"])
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    description: Mapped[dict] = mapped_column(JSON, default=dict)
    venue_name: Mapped[dict] = mapped_column(JSON, default=dict)
    venue_address: Mapped[dict] = mapped_column(JSON, default=dict)
    organisers: Mapped[dict] = mapped_column(JSON, default=dict)  # multilingual "hosted by" line
    capacity: Mapped[int | None] = mapped_column(Integer)
    # Number of confirmed registrations, maintained by an atomic conditional UPDATE so that
    # concurrent registrations can never push it past ``capacity``.
    confirmed_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    registration_open: Mapped[bool] = mapped_column(Boolean, default=False)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hybrid: Mapped[bool] = mapped_column(Boolean, default=False)
    online_url: Mapped[str | None] = mapped_column(String(500))
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)  # e.g. certificate options
    agenda_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    rooms: Mapped[list[Room]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Room.position"
    )
    sessions: Mapped[list[Session]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Session.starts_at"
    )
    people: Mapped[list[Person]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Person.position"
    )

    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
    )

    def t(self, field: str, lang: str | None = None) -> str:
        """The multilingual field ``field`` in ``lang`` with fallback to the default language."""
        return localize(getattr(self, field), lang, self.default_language)

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class Room(db.Model):
    __tablename__ = "room"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    name: Mapped[dict] = mapped_column(JSON, default=dict)
    capacity: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[Event] = relationship(back_populates="rooms")

    __table_args__ = (UniqueConstraint("event_id", "key"),)

    def t(self, field: str, lang: str | None = None) -> str:
        return localize(getattr(self, field), lang, self.event.default_language)


class Session(db.Model):
    """An item of the agenda. Times are stored in UTC and shown in the event's timezone."""

    __tablename__ = "session"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16), default="panel")
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    abstract: Mapped[dict] = mapped_column(JSON, default=dict)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    capacity: Mapped[int | None] = mapped_column(Integer)
    confirmed_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    track: Mapped[str | None] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Grows by one, and ``revised_at`` moves, whenever the time, room or title changes (see
    # ``_bump_revision``): the SEQUENCE and LAST-MODIFIED of the session's calendar entries, so
    # that calendars replace an entry they already have.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    revised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The meeting or stream of the session (falls back to the event's ``online_url``): never
    # shown publicly, only reached through registrants' personal join links
    online_url: Mapped[str | None] = mapped_column(String(500))
    recording_url: Mapped[str | None] = mapped_column(String(500))  # shown after the session
    # Spoken language(s), e.g. ["ar"], and interpretation channels offered, e.g. ["ar-en", "ar-fr"]
    languages: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    interpretation: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")

    event: Mapped[Event] = relationship(back_populates="sessions")
    room: Mapped[Room | None] = relationship()
    speakers: Mapped[list[SessionPerson]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionPerson.position"
    )

    __table_args__ = (
        UniqueConstraint("event_id", "key"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
    )

    @property
    def requires_signup(self) -> bool:
        """Sessions with their own capacity need a sign-up at registration."""
        return self.capacity is not None

    def t(self, field: str, lang: str | None = None) -> str:
        return localize(getattr(self, field), lang, self.event.default_language)


# What a calendar entry of a session shows of its time and place: a change to one of these is a
# new revision of the entry.
REVISED_FIELDS = ("starts_at", "ends_at", "room_id", "room", "title")


@sa_event.listens_for(Session, "before_update")
def _bump_revision(mapper, connection, item: Session) -> None:
    """Bump ``revision`` and ``revised_at`` when a flush changes what a calendar shows, from
    any path (agenda editor, moves, room deletion, interchange import)."""
    state = sa_inspect(item)
    if any(state.attrs[name].history.has_changes() for name in REVISED_FIELDS):
        item.revision = (item.revision or 0) + 1
        item.revised_at = utcnow()


@sa_event.listens_for(Room, "before_update")
def _bump_sessions_of_renamed_room(mapper, connection, room: Room) -> None:
    """A renamed room changes the place every calendar entry of its sessions shows: a new
    revision of each (one UPDATE, whatever path renames it)."""
    if not sa_inspect(room).attrs["name"].history.has_changes():
        return
    table = Session.__table__
    connection.execute(
        table.update()
        .where(table.c.room_id == room.id)
        .values(revision=table.c.revision + 1, revised_at=utcnow())
    )


class Person(db.Model):
    """A speaker, moderator or chair of an event."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    name: Mapped[dict] = mapped_column(JSON, default=dict)
    title: Mapped[dict] = mapped_column(JSON, default=dict)  # e.g. "Mayor of AlUla"
    organisation: Mapped[dict] = mapped_column(JSON, default=dict)
    city: Mapped[dict] = mapped_column(JSON, default=dict)
    country: Mapped[str | None] = mapped_column(String(2))
    email: Mapped[str | None] = mapped_column(String(254))
    bio: Mapped[dict] = mapped_column(JSON, default=dict)  # sanitised HTML per language
    photo_path: Mapped[str | None] = mapped_column(String(255))
    portal_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Folded names, organisation and email for the Arabic-aware search (services/search.py)
    search_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    position: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[Event] = relationship(back_populates="people")
    sessions: Mapped[list[SessionPerson]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("event_id", "key"),)

    def t(self, field: str, lang: str | None = None) -> str:
        return localize(getattr(self, field), lang, self.event.default_language)


class SessionPerson(db.Model):
    """A person's part in a session, with their confirmation from the speaker portal."""

    __tablename__ = "session_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="speaker")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # pending / confirmed / declined, set by the speaker in their portal
    confirmation: Mapped[str] = mapped_column(String(16), default="pending")
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[Session] = relationship(back_populates="speakers")
    person: Mapped[Person] = relationship(back_populates="sessions")

    __table_args__ = (UniqueConstraint("session_id", "person_id"),)


class AgendaChange(db.Model):
    """A change to a published agenda: who, when, what. Listed on the public changes page."""

    __tablename__ = "agenda_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    session_key: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(16))  # created / updated / moved / deleted
    summary: Mapped[dict] = mapped_column(JSON, default=dict)  # field -> [old, new]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")
    event: Mapped[Event] = relationship()
