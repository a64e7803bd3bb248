"""Workspace: personal API tokens — create (shown once), list, revoke."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..extensions import db
from ..models import ApiToken, Event
from ..services.api_tokens import (
    MAX_EXPIRY_DAYS,
    TokenError,
    create_token,
    revoke_token,
    user_tokens,
)
from . import bp
from .common import require_staff
from .forms import ActionForm


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    scope = SelectField(
        _l("Scope"),
        choices=[
            SelectChoice("read", _l("Read only")),
            SelectChoice("write", _l("Read and write")),
        ],
        default="read",
    )
    event = SelectField(_l("Event"), choices=[], validate_choice=True)
    expires = IntegerField(
        _l("Expires after (days)"),
        validators=[Optional(), NumberRange(min=1, max=MAX_EXPIRY_DAYS)],
        default=90,
    )


def _managed_events() -> list[Event]:
    events = db.session.scalars(select(Event).order_by(Event.starts_on.desc(), Event.slug))
    return [e for e in events if current_user.can_manage(e)]


def _page(form, created=None, status=200):
    tokens = user_tokens(db.session, current_user)
    response = render_template(
        "manage/tokens.html",
        form=form,
        tokens=tokens,
        created=created,
        action_form=ActionForm(),
    )
    headers = {"Cache-Control": "no-store"} if created else {}
    return response, status, headers


@bp.route("/tokens", methods=["GET", "POST"])
def tokens():
    require_staff()
    form = TokenForm()
    events = _managed_events()
    form.event.choices = [SelectChoice("", _("All the events I manage"))] + [
        SelectChoice(e.slug, e.t("title") or e.slug) for e in events
    ]
    if not form.validate_on_submit():
        return _page(form, status=400 if form.is_submitted() else 200)
    event = next((e for e in events if e.slug == form.event.data), None)
    try:
        created = create_token(
            db.session,
            current_user,
            form.name.data,
            form.scope.data,
            event=event,
            expires_in_days=form.expires.data,
        )
    except TokenError as exc:
        db.session.rollback()
        form.name.errors = [*form.name.errors, exc.message]
        return _page(form, status=400)
    db.session.commit()
    # Shown on this page only, once: the stored hash cannot give it back
    return _page(TokenForm(formdata=None), created=created)


@bp.post("/tokens/<int:token_id>/revoke")
def token_revoke(token_id):
    require_staff()
    form = ActionForm()
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if form.validate_on_submit():
        revoke_token(db.session, token, by=current_user)
        db.session.commit()
        flash(_("The token “%(name)s” was revoked.", name=token.name), "success")
    return redirect(url_for(".tokens"))
