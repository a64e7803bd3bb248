"""The organiser workspace under /<lang>/manage/: every view requires login."""

from flask_login import login_required

from ..i18n import localized_blueprint

bp = localized_blueprint("manage", __name__, url_prefix="/manage")


@bp.before_request
@login_required
def require_login():
    """Nothing under /manage is reachable anonymously."""
    return None


from . import (  # noqa: E402,F401
    agenda_views,
    attendance_views,
    certificates,
    checkin,
    events_views,
    feedback,
    materials_views,
    people_views,
    registrations_views,
    reminders,
    tokens,
    views,
    webhooks,
)
