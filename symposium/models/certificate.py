"""Certificates: issued once, stored, verifiable by anyone, revocable by organisers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .event import Event, Person
from .registration import Registration
from .types import UTCDateTime, utcnow

CERTIFICATE_KINDS = ("attendance", "participation", "appreciation")


class Certificate(db.Model):
    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Verification code: secrets.token_urlsafe -> at least 80 bits; the only public identifier
    code: Mapped[str] = mapped_column(String(64), unique=True)
    # Printed certificate number: random, not sequential (e.g. "IDE26-7KQ3-M9XD")
    number: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    holder_name: Mapped[str] = mapped_column(Text)  # speakers' names have no fixed limit
    language: Mapped[str] = mapped_column(String(8))
    bilingual: Mapped[bool] = mapped_column(Boolean, default=False)
    pdf_path: Mapped[str | None] = mapped_column(String(255))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    revocation_reason: Mapped[str | None] = mapped_column(String(500))
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)  # re-issued since
    version: Mapped[int] = mapped_column(Integer, default=1)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    event: Mapped[Event] = relationship()
    registration: Mapped[Registration | None] = relationship()
    person: Mapped[Person | None] = relationship()

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None


class Signatory(db.Model):
    """An organiser's name, title and signature image printed on certificates."""

    __tablename__ = "signatory"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[dict] = mapped_column(JSON, default=dict)
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    signature_path: Mapped[str | None] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
