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

    # The server-side session this object was loaded for (set at sign-in and by the loader)
    login_key = None  # str | None, not a column

    def get_id(self) -> str:
        """What the session and the remember cookie carry: the account, its nonce (a role or
        password change renews it: every session ends) and the key of this one session (signing
        out deletes it: a copied cookie stops working)."""
        return f"{self.id}:{self.session_nonce}:{self.login_key or ''}"

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
        """Organisers of the event and admins; check-in staff only for the published events
        they are assigned to (``user create --role checkin --event SLUG``)."""
        if self.role == "checkin":
            return event.is_published and any(e.id == event.id for e in self.events)
        return self.can_manage(event)


class UserSession(db.Model):
    """One signed-in session of a user: signing out deletes it, so a copied cookie stops working.

    Only a SHA-256 of the random key is stored; the key itself lives in the signed cookie.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
