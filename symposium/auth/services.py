"""Accounts: create users, check passwords. No HTTP here."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import object_session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import ROLES, User
from ..models.user import UserSession


class AccountError(ValueError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(session: OrmSession, email: str) -> User | None:
    return session.scalars(
        select(User).where(func.lower(User.email) == normalise_email(email))
    ).first()


def create_user(
    session: OrmSession, email: str, password: str, role: str, display_name: str | None = None
) -> User:
    from flask_babel import gettext as _

    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(_("Unknown role: %(role)s", role=role))
    if len(password) < 10:
        raise AccountError(_("The password must have at least 10 characters."))
    if find_user(session, email) is not None:
        raise AccountError(_("A user with this email already exists."))
    user = User(
        email=email, role=role, display_name=display_name, session_nonce=secrets.token_hex(16)
    )
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


@cache
def _dummy_hash() -> str:
    """A hash of a random password, checked for unknown emails so that they take as long."""
    return generate_password_hash(secrets.token_urlsafe(16), method="scrypt")


def authenticate(session: OrmSession, email: str, password: str) -> User | None:
    """The active user with this email and password, else None.

    The password is hashed in every case (a dummy hash for an unknown email), so that the
    answer takes the same time whether the email is known or not.
    """
    user = find_user(session, email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def start_session(session: OrmSession, user: User) -> str:
    """Open a server-side session for ``user``; its key goes into the cookie (``get_id``)."""
    key = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, key_hash=_key_hash(key)))
    session.flush()
    user.login_key = key
    return key


def end_session(session: OrmSession, user: User) -> None:
    """Sign out this session of ``user`` on the server: its cookie (or a copy) stops working."""
    if user.login_key:
        session.execute(
            delete(UserSession).where(
                UserSession.user_id == user.id, UserSession.key_hash == _key_hash(user.login_key)
            )
        )
    user.login_key = None


def session_is_open(session: OrmSession, user: User, key: str) -> bool:
    if not key or len(key) > 100:
        return False
    return (
        session.scalar(
            select(UserSession.id).where(
                UserSession.user_id == user.id, UserSession.key_hash == _key_hash(key)
            )
        )
        is not None
    )


def rotate_nonce(user: User) -> None:
    """Log out every session of ``user`` (their cookies carry the old nonce)."""
    user.session_nonce = secrets.token_hex(16)
    session = object_session(user)
    if session is not None and user.id is not None:
        session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def change_password(session: OrmSession, user: User, current: str, new: str) -> None:
    from flask_babel import gettext as _

    if not user.check_password(current):
        raise AccountError(_("The current password is wrong."))
    if len(new) < 10:
        raise AccountError(_("The password must have at least 10 characters."))
    user.set_password(new)
    rotate_nonce(user)
    session.flush()


def set_active(session: OrmSession, user: User, active: bool) -> None:
    user.active = active
    if not active:
        rotate_nonce(user)
    session.flush()


def set_role_and_events(session: OrmSession, user: User, role: str, events: list) -> None:
    from flask_babel import gettext as _

    if role not in ROLES:
        raise AccountError(_("Unknown role: %(role)s", role=role))
    if user.role != role:
        rotate_nonce(user)
    user.role = role
    user.events = list(events) if role in ("organiser", "checkin") else []
    session.flush()
