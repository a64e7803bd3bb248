"""Workspace: an event's webhook endpoints, their delivery log, redelivery, enable/disable."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..extensions import db
from ..models import WEBHOOK_EVENT_TYPES, WebhookDelivery, WebhookEndpoint
from ..services import webhooks
from . import bp
from .common import managed_event
from .forms import ActionForm, MultiCheckboxField


class EndpointForm(FlaskForm):
    url = URLField(_l("Address (URL)"), validators=[DataRequired(), Length(max=500)])
    event_types = MultiCheckboxField(
        _l("Send these events"),
        choices=[SelectChoice(t, t) for t in WEBHOOK_EVENT_TYPES],
        default=list(WEBHOOK_EVENT_TYPES),
    )


def _endpoint(event, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.event_id != event.id:
        abort(404)
    return endpoint


def _page(event, form, created=None, status=200):
    endpoints = db.session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.event_id == event.id)
        .order_by(WebhookEndpoint.id)
    ).all()
    html = render_template(
        "manage/webhooks.html",
        event=event,
        endpoints=endpoints,
        form=form,
        created=created,
        action_form=ActionForm(),
    )
    return html, status, ({"Cache-Control": "no-store"} if created else {})


@bp.route("/events/<slug>/webhooks", methods=["GET", "POST"])
def webhooks_page(slug):
    event = managed_event(slug)
    form = EndpointForm()
    if not form.validate_on_submit():
        return _page(event, form, status=400 if form.is_submitted() else 200)
    try:
        endpoint = webhooks.create_endpoint(
            db.session, event, form.url.data, form.event_types.data or [], by=current_user
        )
    except webhooks.WebhookError as exc:
        db.session.rollback()
        getattr(form, exc.field or "url").errors = [exc.message]
        return _page(event, form, status=400)
    db.session.commit()
    return _page(event, EndpointForm(formdata=None), created=endpoint)


@bp.get("/events/<slug>/webhooks/<int:endpoint_id>")
def webhook_log(slug, endpoint_id):
    event = managed_event(slug)
    endpoint = _endpoint(event, endpoint_id)
    deliveries = db.session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(100)
    ).all()
    return render_template(
        "manage/webhook_log.html",
        event=event,
        endpoint=endpoint,
        deliveries=deliveries,
        action_form=ActionForm(),
    )


@bp.post("/events/<slug>/webhooks/<int:endpoint_id>/<action>")
def webhook_action(slug, endpoint_id, action):
    event = managed_event(slug)
    endpoint = _endpoint(event, endpoint_id)
    if action not in ("enable", "disable", "delete") or not ActionForm().validate_on_submit():
        abort(400)
    if action == "delete":
        webhooks.delete_endpoint(db.session, endpoint, by=current_user)
        db.session.commit()
        flash(_("The webhook is deleted."), "success")
        return redirect(url_for(".webhooks_page", slug=event.slug))
    webhooks.set_active(db.session, endpoint, action == "enable", by=current_user)
    db.session.commit()
    flash(
        _("The webhook is enabled.") if action == "enable" else _("The webhook is disabled."),
        "success",
    )
    return redirect(url_for(".webhook_log", slug=event.slug, endpoint_id=endpoint.id))


@bp.post("/events/<slug>/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver")
def webhook_redeliver(slug, endpoint_id, delivery_id):
    event = managed_event(slug)
    endpoint = _endpoint(event, endpoint_id)
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    webhooks.redeliver(db.session, delivery, by=current_user)
    db.session.commit()
    flash(_("The delivery is sent again."), "success")
    return redirect(
        url_for(".webhook_log", slug=event.slug, endpoint_id=endpoint.id)
        + ("?" + request.query_string.decode() if request.query_string else "")
    )
