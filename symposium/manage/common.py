"""Shared helpers of the workspace views: who may manage which event, and the common
"validate -> save -> commit or show the problems" step of their forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response

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
    return request.accept_mimetypes.best == "application/json" or request.is_json


def int_arg(name: str, default: int | None = None, *, minimum: int = 1) -> int | None:
    """An integer from the query string, or ``default`` when absent, malformed or out of range
    (huge numbers would overflow the database's integer columns)."""
    value = request.args.get(name, type=int)
    if value is None or value < minimum or value > 2**31 - 1:
        return default
    return value


def error_messages(exc: Exception) -> list[str]:
    """The translated messages of a service's domain error: its ``messages`` list, or its one
    ``message`` (or its text)."""
    messages = getattr(exc, "messages", None)
    if messages is not None:
        return messages
    return [getattr(exc, "message", None) or str(exc)]


def submit_form(
    form,
    save: Callable[[], Any],
    errors: type[Exception] | tuple[type[Exception], ...],
    *,
    success: str,
    redirect_to: Callable[[Any], str],
) -> tuple[list[str], Response | None]:
    """The POST step shared by the workspace forms.

    When ``form`` validates, ``save()`` runs; a domain error (one of ``errors``) rolls the
    session back and its messages become the problems shown with the form; otherwise the session
    is committed, ``success`` is flashed and the answer is a redirect to ``redirect_to(result)``,
    ``result`` being what ``save()`` returned. Returns ``(problems, response)``; ``response`` is
    None unless the save succeeded (nothing happens on a GET or an invalid form).
    """
    if not form.validate_on_submit():
        return [], None
    try:
        result = save()
    except errors as exc:
        db.session.rollback()
        return error_messages(exc), None
    db.session.commit()
    flash(success, "success")
    return [], redirect(redirect_to(result))


def form_page(template: str, **context):
    """A page with a form: status 400 when it answers a POST (the form was not saved), else 200."""
    status = 400 if request.method == "POST" else 200
    return render_template(template, **context), status
