"""Sign in and out of the organiser workspace (Flask-Login)."""

from ..i18n import localized_blueprint

bp = localized_blueprint("auth", __name__)

from . import access, views  # noqa: E402,F401
