"""Public pages that a reverse proxy or a CDN can serve through a surge.

A page opts in by calling ``not_modified(event, *extra)`` once it knows what it depends on:
the agenda version, the event's row, the language, the URL and any ``extra`` value the page
shows (a session's seats). The answer is ``304`` when the visitor's copy is current, before any
template is rendered; otherwise the page is rendered and ``finish`` (an ``after_request`` hook)
adds ``ETag``, ``Last-Modified`` and ``Cache-Control: public, max-age=…``.

Nothing personal is ever marked public: a signed-in visitor, a pending flash message, a page that
wrote to the session (a CSRF token for a form) or set a cookie is sent ``private, no-cache``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import Response, current_app, g, request, session
from flask_login import current_user

from ..i18n import current_language
from ..models.types import utcnow

PRIVATE = ("private", None)


def _anonymous() -> bool:
    return not current_user.is_authenticated and "_flashes" not in session


def _etag(event, extra: tuple) -> str:
    parts = [
        current_app.config.get("STATIC_VERSION", ""),
        request.endpoint or "",
        request.full_path,
        current_language(),
        event.slug,
        str(event.agenda_version),
        event.updated_at.isoformat() if event.updated_at else "",
        str(event.confirmed_count),
        *(str(x) for x in extra),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def not_modified(event, *extra, last_modified: datetime | None | bool = True) -> Response | None:
    """304 when the visitor's copy is current; else None (render the page).

    ``last_modified=False`` for a page whose content can change without the event's row
    changing (seats shown): it is validated by its ETag only.
    """
    if request.method not in ("GET", "HEAD"):
        return None
    if not _anonymous():
        g.public_page = PRIVATE
        return None
    etag = _etag(event, extra)
    modified = event.updated_at if last_modified is True else (last_modified or None)
    g.public_page = (etag, modified)
    response = Response(status=200)
    response.set_etag(etag)
    if modified is not None:
        response.last_modified = modified
    _public(response)
    response.make_conditional(request)
    return response if response.status_code == 304 else None


def effective_modified(event, now: datetime | None = None) -> datetime | None:
    """The event's last change, or the moment its registration opened or closed if later."""
    now = now or utcnow()
    moments = [event.updated_at, event.registration_opens_at, event.registration_closes_at]
    return max((m for m in moments if m is not None and m <= now), default=None)


def _public(response: Response) -> None:
    response.cache_control.public = True
    response.cache_control.max_age = int(current_app.config.get("PUBLIC_CACHE_MAX_AGE", 60))


def finish(response: Response) -> Response:
    """After the page is rendered: mark it public with its validators, or private."""
    validators = g.pop("public_page", None)
    if validators is None or response.status_code != 200:
        return response
    personal = (
        validators is PRIVATE
        or session.modified
        or "csrf_token" in g  # a form's CSRF token is on the page
        or "_flashes" in session
        or "Set-Cookie" in response.headers
        or current_user.is_authenticated
    )
    if personal:
        response.cache_control.public = False
        response.cache_control.private = True
        response.cache_control.no_cache = True
        return response
    etag, modified = validators
    response.set_etag(etag)
    if modified is not None:
        response.last_modified = modified
    _public(response)
    return response
