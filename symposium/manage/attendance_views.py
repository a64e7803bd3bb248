"""Workspace: the attendance policy (what counts for a certificate), the list of who attended
and how, and marks by hand. Shown on the certificates page; organisers of the event only."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.access import roles_required
from ..extensions import db
from ..models import Event, Registration
from ..services import attendance
from ..services import attendance_policy as policies
from ..services.registration import confirmed_total
from . import bp
from .attendance_forms import AttendancePolicyForm
from .certificate_forms import ActionForm
from .common import int_arg, managed_event, owned

PER_PAGE = 100


def attendance_context(event: Event, policy_form: AttendancePolicyForm | None = None) -> dict:
    """What the certificates page needs to show the policy, its form and the attendance list
    (one page of ``PER_PAGE`` confirmed registrations, ``?apage=``)."""
    policy = policies.get_policy(event)
    if policy_form is None:
        policy_form = AttendancePolicyForm(
            formdata=None,
            data={
                "sources": list(policy.sources),
                "min_sessions": str(policy.min_sessions or ""),
            },
        )
    page = int_arg("apage", 1)
    total = confirmed_total(db.session, event)
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    rows = policies.attendance_rows(db.session, event, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    return {
        "policy": policy,
        "policy_form": policy_form,
        "feedback_gate": policies.feedback_required(db.session, event),
        "attendance_rows": rows,
        "attendance_page": page,
        "attendance_pages": pages,
        "attendance_total": total,
    }


def _back(event: Event):
    page = int_arg("apage", None)
    args = {"apage": page} if page and page > 1 else {}
    return redirect(url_for(".certificates", slug=event.slug, _anchor="attendance", **args))


@bp.post("/events/<slug>/certificates/attendance-policy")
@roles_required("organiser")
def attendance_policy(slug: str):
    from .certificates import _page

    event = managed_event(slug)
    form = AttendancePolicyForm()
    if not form.validate_on_submit():
        return _page(event, status=400, policy_form=form)
    policy = policies.AttendancePolicy(
        sources=tuple(form.sources.data), min_sessions=form.min_sessions_value
    )
    try:
        policies.update_policy(db.session, event, policy, user=current_user)
    except policies.PolicyError as exc:
        db.session.rollback()
        target = form.min_sessions if exc.field == "min_sessions" else form.sources
        target.errors = [*target.errors, exc.message]
        return _page(managed_event(slug), status=400, policy_form=form)
    db.session.commit()
    flash(_("Attendance policy saved."), "success")
    return redirect(url_for(".certificates", slug=slug, _anchor="attendance"))


def _registration(event: Event, registration_id: int) -> Registration:
    if not ActionForm().validate_on_submit():
        abort(400)
    return owned(db.session.get(Registration, registration_id), event)


def _by_hand(slug: str, registration_id: int, change, done):
    """Mark or unmark by hand (``change``), then flash ``done(name)``."""
    event = managed_event(slug)
    registration = _registration(event, registration_id)
    try:
        change(db.session, registration, user=current_user)
    except attendance.AttendanceMarkError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back(event)
    name = registration.full_name
    db.session.commit()
    flash(done(name), "success")
    return _back(event)


@bp.post("/events/<slug>/attendance/<int:registration_id>/manual")
@roles_required("organiser")
def attendance_mark(slug: str, registration_id: int):
    return _by_hand(
        slug,
        registration_id,
        attendance.mark_by_hand,
        lambda name: _("%(name)s is marked as attended by hand.", name=name),
    )


@bp.post("/events/<slug>/attendance/<int:registration_id>/manual/remove")
@roles_required("organiser")
def attendance_unmark(slug: str, registration_id: int):
    return _by_hand(
        slug,
        registration_id,
        attendance.unmark_by_hand,
        lambda name: _("The mark by hand of %(name)s is removed.", name=name),
    )
