"""The personal unsubscribe link of bulk emails: a page with a button (GET) and the one-click
POST of RFC 8058, which mail clients send without a session or a CSRF token."""

from __future__ import annotations

from flask import abort, g, render_template, request

from ..extensions import csrf, db
from ..services import unsubscribe as service
from . import bp


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: the signed personal link is the only credential
def unsubscribe(token):
    registration = service.registration_for(db.session, token)
    if registration is None:
        abort(404)
    g.noindex = True
    if request.method == "POST":
        service.unsubscribe(db.session, registration)
        db.session.commit()
        done = True
    else:
        done = service.is_unsubscribed(db.session, registration)
    response = render_template(
        "public/unsubscribe.html",
        event=registration.event,
        token=token,
        done=done,
        noindex=True,
    )
    return response, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
