"""Accounts: create users, check passwords. No HTTP here."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from ..models import ROLES, User


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


def authenticate(session: OrmSession, email: str, password: str) -> User | None:
    user = find_user(session, email)
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


def rotate_nonce(user: User) -> None:
    """Log out every session of ``user`` (their cookies carry the old nonce)."""
    user.session_nonce = secrets.token_hex(16)


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
    user.events = list(events) if role == "organiser" else []
    session.flush()
