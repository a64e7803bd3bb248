"""Workspace home, the dashboard of an event, the audit log and the staff accounts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth import services as accounts
from ..extensions import db
from ..i18n import current_language
from ..models import AuditLog, Event, User
from ..services import audit, dashboard
from . import bp
from .common import int_arg, managed_event, require_admin
from .forms import ActionForm, UserCreateForm, UserEditForm, role_labels, user_role_choices


@bp.get("/")
def home():
    """The events the user may manage; check-in staff see the check-in screens."""
    query = select(Event).order_by(Event.starts_on.desc(), Event.id.desc())
    if current_user.role == "organiser":
        ids = [e.id for e in current_user.events]
        query = query.where(Event.id.in_(ids))
    elif current_user.role == "checkin":  # their assigned events, once published
        ids = [e.id for e in current_user.events]
        query = query.where(Event.status == "published", Event.id.in_(ids))
    events = db.session.scalars(query).all()
    return render_template("manage/home.html", events=events)


@bp.get("/events/<slug>/dashboard", endpoint="dashboard")
def dashboard_view(slug):
    event = managed_event(slug)
    lang = current_language()
    figures = dashboard.figures(db.session, event)
    charts = dashboard.charts(
        figures,
        lang,
        {
            "per_day": _("Registrations per day"),
            "countries": _("Countries"),
            "languages": _("Preferred languages"),
            "sessions": _("Fill rate of the sessions"),
            "unknown": _("Not given"),
        },
    )
    return render_template("manage/dashboard.html", event=event, figures=figures, charts=charts)


@bp.get("/audit", endpoint="audit")
def audit_log():
    require_admin()
    page = int_arg("page", 1)
    query = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())
    event_id = int_arg("event")
    user_id = int_arg("user")
    if event_id:
        query = query.where(AuditLog.event_id == event_id)
    if user_id:
        query = query.where(AuditLog.user_id == user_id)
    pagination = db.paginate(query, page=page, per_page=50, error_out=False)
    events = db.session.scalars(select(Event).order_by(Event.starts_on.desc())).all()
    users = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template(
        "manage/audit.html",
        pagination=pagination,
        events=events,
        events_by_id={e.id: e for e in events},
        users=users,
        event_id=event_id,
        user_id=user_id,
    )


def _event_choices():
    return [
        (e.id, e.t("title") or e.slug)
        for e in db.session.scalars(select(Event).order_by(Event.starts_on.desc()))
    ]


@bp.route("/users", methods=["GET", "POST"])
def users():
    require_admin()
    form = UserCreateForm()
    form.role.choices = user_role_choices()
    form.events.choices = _event_choices()
    if request.method == "GET":
        form.role.data = "organiser"
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                db.session,
                form.email.data,
                form.password.data,
                form.role.data,
                form.display_name.data or None,
            )
            chosen = [db.session.get(Event, i) for i in form.events.data or []]
            accounts.set_role_and_events(db.session, user, form.role.data, [e for e in chosen if e])
            audit.record(
                db.session,
                "user.create",
                user=current_user,
                target=user.email,
                details={"role": user.role},
            )
        except accounts.AccountError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("The account %(email)s is created.", email=user.email), "success")
            return redirect(url_for(".users"))
    status = 400 if request.method == "POST" else 200
    accounts_list = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render_template(
        "manage/users.html", form=form, users=accounts_list, role_labels=role_labels()
    ), status


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def user_edit(user_id):
    require_admin()
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = UserEditForm()
    form.role.choices = user_role_choices()
    form.events.choices = _event_choices()
    if request.method == "GET":
        form.role.data = user.role
        form.events.data = [e.id for e in user.events]
        form.active.data = user.active
    elif form.validate_on_submit():
        if user.id == current_user.id and (form.role.data != "admin" or not form.active.data):
            form.role.errors.append(_("You cannot remove your own administrator rights."))
        else:
            chosen = [db.session.get(Event, i) for i in form.events.data or []]
            accounts.set_role_and_events(db.session, user, form.role.data, [e for e in chosen if e])
            if user.active != bool(form.active.data):
                accounts.set_active(db.session, user, bool(form.active.data))
            audit.record(
                db.session,
                "user.update",
                user=current_user,
                target=user.email,
                details={
                    "role": user.role,
                    "active": user.active,
                    "events": [e.slug for e in user.events],
                },
            )
            db.session.commit()
            flash(_("The account %(email)s is saved.", email=user.email), "success")
            return redirect(url_for(".users"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "manage/user_edit.html",
        form=form,
        user=user,
        role_labels=role_labels(),
        action_form=ActionForm(),
    ), status
