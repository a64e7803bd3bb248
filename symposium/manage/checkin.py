"""Check-in screen: scan a ticket (USB/phone scanner types into a focused input) or search."""

from __future__ import annotations

from flask import abort, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from ..auth.access import roles_required
from ..extensions import db
from ..models import Session
from ..services import checkin as service
from ..services.events import get_event_or_404
from . import bp


class ScanForm(FlaskForm):
    code = StringField(
        _l("Scan a ticket or paste its code"),
        validators=[Length(max=300)],
        render_kw={"autocomplete": "off", "autofocus": True, "dir": "ltr", "inputmode": "text"},
    )
    session_key = HiddenField()


def _event_for_checkin(slug: str):
    event = get_event_or_404(slug)
    if not current_user.can_check_in(event):
        abort(403)
    return event


def _chosen_session(event, key: str | None):
    if not key:
        return None
    item = db.session.scalar(
        db.select(Session).where(Session.event_id == event.id, Session.key == key)
    )
    if item is None:
        abort(404)
    return item


@bp.route("/events/<slug>/checkin", methods=["GET", "POST"])
@roles_required("organiser", "checkin")
def checkin(slug):
    event = _event_for_checkin(slug)
    form = ScanForm()
    key = form.session_key.data if request.method == "POST" else request.args.get("session")
    item = _chosen_session(event, key)
    form.session_key.data = item.key if item else ""
    result = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() and (form.code.data or "").strip():
            result = service.check_in(
                db.session, event, form.code.data, by=current_user, event_session=item
            )
            db.session.commit()
            if result.status in ("refused", "unknown"):
                status = 422
        else:
            status = 400
        form.code.data = ""  # ready for the next scan
    query = (request.args.get("q") or "").strip()[:200]
    results = service.search(db.session, event, query) if query else []
    g.noindex = True
    return (
        render_template(
            "manage/checkin.html",
            event=event,
            form=form,
            result=result,
            query=query,
            results=results,
            chosen=item,
            sessions=sorted(event.sessions, key=lambda s: (s.starts_at, s.position)),
            counts=service.counts(db.session, event),
            noindex=True,
        ),
        status,
    )
