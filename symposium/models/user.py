"""Staff accounts: admins, organisers (assigned to events) and check-in staff."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .event import Event
from .types import UTCDateTime, utcnow

ROLES = ("admin", "organiser", "checkin")

user_event = Table(
    "user_event",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="organiser")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Changing it logs out every session of this user (Flask-Login alternative id)
    session_nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    events: Mapped[list[Event]] = relationship(secondary=user_event)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def name(self) -> str:
        return self.display_name or self.email

    def can_manage(self, event: Event) -> bool:
        if self.role == "admin":
            return True
        return self.role == "organiser" and any(e.id == event.id for e in self.events)

    def can_check_in(self, event: Event) -> bool:
        return self.role == "checkin" or self.can_manage(event)
