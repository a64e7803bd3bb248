"""Personal API tokens: created with ``secrets``, shown once, stored hashed, scoped, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session as OrmSession

from ..models import TOKEN_SCOPES, ApiToken, Event, User
from ..models.types import utcnow
from . import audit

PREFIX = "sym_"
MAX_EXPIRY_DAYS = 3650
# last_used_at is written at most this often per token (a busy token does not write per request)
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    """A token cannot be created as asked; ``message`` is translated."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class CreatedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(
    session: OrmSession,
    user: User,
    name: str,
    scope: str,
    *,
    event: Event | None = None,
    expires_in_days: int | None = None,
    by: User | None = None,
) -> CreatedToken:
    """A new token for ``user``; only organisers and admins may have one, for events they manage."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise TokenError(_("Give the token a name of at most 100 characters."))
    if scope not in TOKEN_SCOPES:
        raise TokenError(_("The scope must be read or write."))
    if user.role not in ("admin", "organiser") or not user.active:
        raise TokenError(_("Only organisers and administrators can have API tokens."))
    if event is not None and not user.can_manage(event):
        raise TokenError(_("You do not manage this event."))
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise TokenError(_("The token must expire within %(days)d days.", days=MAX_EXPIRY_DAYS))
    secret = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user=user,
        name=name,
        prefix=secret[: len(PREFIX) + 6],
        token_hash=hash_secret(secret),
        scope=scope,
        event=event,
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        "api_token.create",
        user=by or user,
        event=event,
        target=f"api_token:{token.id}",
        details={"name": name, "scope": scope, "for": user.email},
    )
    return CreatedToken(token=token, secret=secret)


def revoke_token(session: OrmSession, token: ApiToken, *, by: User | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session,
            "api_token.revoke",
            user=by,
            event=token.event,
            target=f"api_token:{token.id}",
            details={"name": token.name},
        )


def user_tokens(session: OrmSession, user: User) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def authenticate(session: OrmSession, secret: str, now: datetime | None = None) -> ApiToken | None:
    """The active token whose secret this is, with an active user; None otherwise."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    now = now or utcnow()
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or not token.is_active(now) or not token.user.active:
        return None
    if token.user.role not in ("admin", "organiser"):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        token.last_used_at = now
    return token


def may_manage(token: ApiToken, event: Event) -> bool:
    """The token's user manages ``event`` and the token is not limited to another event."""
    if token.event_id is not None and token.event_id != event.id:
        return False
    return token.user.can_manage(event)
