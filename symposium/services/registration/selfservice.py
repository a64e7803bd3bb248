"""Changes a registered person makes to their own registration (their session choices)."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy.orm import Session as OrmSession

from ...models import Registration
from ...models.types import utcnow
from .. import audit
from .checks import RegistrationError
from .seats import _add_signup, _resolve_sessions, lock_event
from .waitlists import _release_signup, fill_free_session_seats


def change_sessions(
    session: OrmSession, registration: Registration, keys: Iterable[str], *, by=None
) -> Registration:
    """Replace the session choices; new choices follow the capacity rules."""
    if registration.status == "cancelled":
        raise RegistrationError(_("This registration is cancelled."))
    event = registration.event
    chosen = _resolve_sessions(session, event, keys)
    lock_event(session, event)
    wanted = {item.id for item in chosen}
    current = {signup.session_id: signup for signup in registration.session_signups}
    freed = []
    for sid, signup in current.items():
        if sid not in wanted:
            if signup.attended_at is not None:
                continue  # attendance already recorded stays
            if _release_signup(session, signup) is not None:
                freed.append(sid)
    session.flush()
    for item in chosen:
        if item.id not in current:
            _add_signup(session, registration, item)
    registration.updated_at = utcnow()
    session.flush()
    for sid in freed:
        fill_free_session_seats(session, sid)
    audit.record(
        session,
        "registration.sessions",
        user=by,
        event=event,
        target=f"registration:{registration.id}",
        details={"sessions": sorted(item.key for item in chosen)},
    )
    return registration
