"""Check-in screen: scan a ticket (USB/phone scanner types into a focused input) or search.

Check-in staff reach only the published events their account is assigned to; they see names,
organisations, statuses and opaque check-in ids, never a personal (self-service) token. The
page answers JSON too (``Accept: application/json`` or ``?format=json``) for scanner scripts.
"""

from __future__ import annotations

from flask import abort, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import Length

from ..auth.access import roles_required
from ..extensions import db
from ..models import Session
from ..services import checkin as service
from ..services.events import find_event
from . import bp
from .common import wants_json


class ScanForm(FlaskForm):
    code = StringField(
        _l("Scan a ticket or paste its code"),
        validators=[Length(max=300)],
        render_kw={"autocomplete": "off", "autofocus": True, "dir": "ltr", "inputmode": "text"},
    )
    session_key = HiddenField()
    # admins only: check in before the event starts (audited)
    override = BooleanField()


def _event_for_checkin(slug: str):
    """The event if the user may check people in there: 404 unknown, 403 not theirs (check-in
    staff: not assigned, or not published)."""
    event = find_event(db.session, slug)
    if event is None:
        abort(404)
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


def _json_wanted() -> bool:
    return request.args.get("format") == "json" or wants_json()


def _result_json(result) -> dict:
    return {
        "status": result.status,
        "message": result.message,
        "registration": service.row(result.registration).as_json()
        if result.registration is not None
        else None,
    }


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
                db.session,
                event,
                form.code.data,
                by=current_user,
                event_session=item,
                override=bool(form.override.data) and current_user.role == "admin",
            )
            db.session.commit()
            if result.status in ("refused", "unknown", "early"):
                status = 422
        else:
            status = 400
        form.code.data = ""  # ready for the next scan
        form.override.data = False
    query = (request.args.get("q") or "").strip()[:200]
    rows = service.search_rows(db.session, event, query) if query else []
    counts = service.counts(db.session, event)
    g.noindex = True
    if _json_wanted():
        body = {
            "event": event.slug,
            "open": service.check_in_open(event),
            "counts": counts,
            "query": query,
            "results": [r.as_json() for r in rows],
        }
        if result is not None:
            body["result"] = _result_json(result)
        elif status == 400:
            body["error"] = str(_l("The code could not be read. Please scan again."))
        return jsonify(body), status
    return (
        render_template(
            "manage/checkin.html",
            event=event,
            form=form,
            result=result,
            early_code=service.row(result.registration).checkin_id
            if result is not None and result.status == "early" and result.registration
            else None,
            not_started=None
            if service.check_in_open(event)
            else service.not_started_message(event),
            query=query,
            results=rows,
            chosen=item,
            sessions=sorted(event.sessions, key=lambda s: (s.starts_at, s.position)),
            counts=counts,
            noindex=True,
        ),
        status,
    )
