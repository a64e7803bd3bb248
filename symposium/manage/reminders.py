"""Workspace: reminder emails of an event (when before the start, on/off) and the
"programme changed" emails (on/off). Organisers of the event (and admins) only."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, IntegerField, SelectField
from wtforms.fields import FieldList, FormField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from ..auth.access import roles_required
from ..extensions import db
from ..i18n import join_list
from ..services import reminders
from ..services.reminders.settings import UNITS, split_offset
from . import bp
from .common import managed_event


class OffsetRowForm(Form):
    amount = IntegerField(
        _l("Time before the start"),
        validators=[
            Optional(),
            NumberRange(min=1, message=_l("Enter a whole number of at least 1.")),
        ],
    )
    unit = SelectField(
        _l("Unit"),
        choices=[
            SelectChoice("days", _l("days")),
            SelectChoice("hours", _l("hours")),
            SelectChoice("minutes", _l("minutes")),
        ],
        default="hours",
    )


class ReminderSettingsForm(FlaskForm):
    enabled = BooleanField(_l("Send reminder emails before the event"))
    offsets = FieldList(
        FormField(OffsetRowForm),
        min_entries=reminders.MAX_OFFSETS,
        max_entries=reminders.MAX_OFFSETS,
    )
    programme_changed = BooleanField(
        _l("Email the registrants concerned when a session’s time or room changes")
    )

    def offset_minutes(self) -> list[int]:
        """The offsets typed, in minutes (empty rows left out)."""
        minutes = []
        for row in self.offsets:
            amount = row.form.amount.data
            if amount is not None:
                minutes.append(amount * UNITS.get(row.form.unit.data, 60))
        return minutes


def _filled_form(settings: reminders.ReminderSettings) -> ReminderSettingsForm:
    rows = [dict(zip(("amount", "unit"), split_offset(m), strict=True)) for m in settings.offsets]
    rows += [{"amount": None, "unit": "hours"}] * (reminders.MAX_OFFSETS - len(rows))
    return ReminderSettingsForm(
        formdata=None,
        data={
            "enabled": settings.enabled,
            "offsets": rows,
            "programme_changed": settings.programme_changed,
        },
    )


def _page(event, form: ReminderSettingsForm, problems=(), status: int = 200):
    settings = reminders.get_settings(event)
    summary = join_list(reminders.offset_label(m) for m in settings.offsets)
    return (
        render_template(
            "manage/reminders.html",
            event=event,
            form=form,
            settings=settings,
            summary=summary,
            problems=list(problems),
        ),
        status,
    )


@bp.get("/events/<slug>/reminders")
@roles_required("organiser")
def reminders_page(slug: str):
    event = managed_event(slug)
    return _page(event, _filled_form(reminders.get_settings(event)))


@bp.post("/events/<slug>/reminders")
@roles_required("organiser")
def reminders_save(slug: str):
    event = managed_event(slug)
    form = ReminderSettingsForm()
    if not form.validate_on_submit():
        return _page(event, form, status=400)
    new = reminders.ReminderSettings(
        enabled=bool(form.enabled.data),
        offsets=tuple(form.offset_minutes()),
        programme_changed=bool(form.programme_changed.data),
    )
    try:
        reminders.update_settings(db.session, event, new, user=current_user)
    except reminders.ReminderSettingsError as exc:
        db.session.rollback()
        return _page(event, form, exc.messages, status=400)
    db.session.commit()
    flash(_("Reminder settings saved."), "success")
    return redirect(url_for(".reminders_page", slug=slug))
