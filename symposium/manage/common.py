"""Shared helpers of the workspace views: who may manage which event."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from ..extensions import db
from ..models import Event
from ..services.events import find_event


def managed_event(slug: str) -> Event:
    """The event named by ``slug`` if the signed-in user may manage it; else 403 (or 404).

    The permission is checked first so that nobody learns which events exist.
    """
    if current_user.role not in ("admin", "organiser"):
        abort(403)
    event = find_event(db.session, slug)
    if event is None:
        abort(404)
    if not current_user.can_manage(event):
        abort(403)
    return event


def require_admin() -> None:
    if current_user.role != "admin":
        abort(403)


def require_staff() -> None:
    """Admins and organisers (not check-in staff)."""
    if current_user.role not in ("admin", "organiser"):
        abort(403)


def owned(obj, event: Event):
    """``obj`` if it belongs to ``event``, else 404."""
    if obj is None or getattr(obj, "event_id", None) != event.id:
        abort(404)
    return obj


def wants_json() -> bool:
    from flask import request

    return request.accept_mimetypes.best == "application/json" or request.is_json


def int_arg(name: str, default: int | None = None, *, minimum: int = 1) -> int | None:
    """An integer from the query string, or ``default`` when absent, malformed or out of range
    (huge numbers would overflow the database's integer columns)."""
    from flask import request

    value = request.args.get(name, type=int)
    if value is None or value < minimum or value > 2**31 - 1:
        return default
    return value
