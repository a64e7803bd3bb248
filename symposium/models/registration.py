"""Registrations of attendees, their session sign-ups and attendance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .event import Event, Session
from .types import UTCDateTime, utcnow

REGISTRATION_STATUSES = ("confirmed", "waitlisted", "cancelled")
ATTENDANCE_MODES = ("in_person", "online")


class Registration(db.Model):
    __tablename__ = "registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (event_id, email_normalized) index serves it (and one
    # index fewer to maintain on the registration INSERT)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    # The personal link: secrets.token_urlsafe(32) -> 256 bits
    token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    # Order of the waiting list (FIFO): a monotonically increasing sequence per event
    waitlist_seq: Mapped[int | None] = mapped_column(Integer)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    email_normalized: Mapped[str] = mapped_column(String(254))
    organisation: Mapped[str | None] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(120))
    attendance_mode: Mapped[str] = mapped_column(String(16), default="in_person")
    preferred_language: Mapped[str] = mapped_column(String(8), default="ar")
    accessibility_needs: Mapped[str | None] = mapped_column(Text)
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Folded name + email for the Arabic-aware search (see services/search.py)
    search_text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="online")  # online / manual
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # How attendance was recorded: door (check-in), import (attendance list), manual
    attendance_source: Mapped[str | None] = mapped_column(String(16))

    event: Mapped[Event] = relationship()
    checked_in_by = relationship("User")
    session_signups: Mapped[list[SessionRegistration]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("event_id", "email_normalized"),
        Index("ix_registration_event_status_seq", "event_id", "status", "waitlist_seq"),
    )

    @property
    def attended(self) -> bool:
        return self.checked_in_at is not None


# The check-in search scans this index (the folded keys of one event, and the order), not the
# table (services/checkin.py: search_rows)
Index(
    "ix_registration_event_search",
    Registration.event_id,
    Registration.search_text,
    Registration.full_name,
)


class SessionRegistration(db.Model):
    """A sign-up for a session that has its own capacity, with its own waiting list."""

    __tablename__ = "session_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    waitlist_seq: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    registration: Mapped[Registration] = relationship(back_populates="session_signups")
    session: Mapped[Session] = relationship()

    __table_args__ = (UniqueConstraint("registration_id", "session_id"),)


class Counter(db.Model):
    """Named monotonically increasing counters (waiting-list order, certificate numbers).

    Incremented with an atomic UPDATE inside the caller's transaction.
    """

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class RegistrationNotice(db.Model):
    """An email owed to a registrant (confirmation, waiting list, promotion...).

    Written in the same transaction as the change it reports (so it exists exactly when the
    change is committed) and turned into an outbox email by a background job, so that the
    registration request does not pay for rendering the email and its calendar file.
    """

    __tablename__ = "registration_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    signup_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_registration.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the email was written to the outbox (or skipped); NULL = still owed
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    registration: Mapped[Registration] = relationship()
    signup: Mapped[SessionRegistration | None] = relationship()
