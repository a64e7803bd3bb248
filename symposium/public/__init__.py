"""Public pages: event home, agenda, sessions, speakers, registration, self-service."""

from ..i18n import localized_blueprint

bp = localized_blueprint("public", __name__)

from . import documents, feeds, materials, portal, registration, unsubscribe, views  # noqa: E402,F401
