"""The hybrid symposium: online joins, reminders sent, speakers' materials and feedback.

Per-event options of these features live in ``Event.settings`` under their own keys
("online", "attendance", "reminders", "feedback"), read and written by their services.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .event import Event, Session
from .registration import Registration
from .types import UTCDateTime, utcnow

MATERIAL_KINDS = ("slides", "recording", "article", "link")
QUESTION_KINDS = ("rating", "choice", "text")


class SessionJoin(db.Model):
    """A registrant who opened their personal join link of a session inside its window.

    One row per registration and session (the first join, the last, and how many times).
    """

    __tablename__ = "session_join"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), index=True
    )
    first_joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    joins: Mapped[int] = mapped_column(Integer, default=1)

    registration: Mapped[Registration] = relationship()
    session: Mapped[Session] = relationship()

    __table_args__ = (UniqueConstraint("registration_id", "session_id"),)


class ReminderLog(db.Model):
    """A scheduled email owed once per registration: its row is inserted in the transaction
    that queues the email, and the unique key makes a second sweep's insert fail, so each
    reminder is sent exactly once however many sweeps run at the same time."""

    __tablename__ = "reminder_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    # e.g. "before:1440" (a reminder 1440 minutes before the start), "changed:<session>:<rev>"
    key: Mapped[str] = mapped_column(String(120))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship()

    __table_args__ = (UniqueConstraint("registration_id", "key"),)


class SessionMaterial(db.Model):
    """Slides (a sanitised PDF in the app's storage) or a link attached to a session."""

    __tablename__ = "session_material"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="slides")
    title: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str | None] = mapped_column(String(500))  # links
    storage_key: Mapped[str | None] = mapped_column(String(255))  # files
    filename: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    added_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    added_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[Session] = relationship()


class FeedbackQuestion(db.Model):
    """A question of an event's questionnaire. ``rating`` questions are asked once per
    attended session (1-5); ``choice`` and ``text`` once per respondent."""

    __tablename__ = "feedback_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="rating")
    text: Mapped[dict] = mapped_column(JSON, default=dict)  # per language
    # choice questions: [{"key": "k1", "label": {"ar": ..., "en": ..., "fr": ...}}, ...]
    choices: Mapped[list] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[Event] = relationship()


class FeedbackResponse(db.Model):
    """One registrant's answers to the questionnaire (one per registration)."""

    __tablename__ = "feedback_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    registration: Mapped[Registration] = relationship()
    answers: Mapped[list[FeedbackAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class FeedbackAnswer(db.Model):
    __tablename__ = "feedback_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_response.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_question.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), index=True
    )
    rating: Mapped[int | None] = mapped_column(Integer)
    choice: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[FeedbackResponse] = relationship(back_populates="answers")
    question: Mapped[FeedbackQuestion] = relationship()
    session: Mapped[Session | None] = relationship()
