"""Public pages: event home, agenda, sessions, speakers, registration, self-service."""

from ..i18n import localized_blueprint

bp = localized_blueprint("public", __name__)

from . import (  # noqa: E402,F401
    documents,
    feedback,
    feeds,
    materials,
    online,
    portal,
    registration,
    unsubscribe,
    views,
)
