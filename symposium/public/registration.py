"""Registration and the attendee's self-service pages (personal link /<lang>/r/<token>)."""

from __future__ import annotations

import json

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from ..extensions import db, limiter
from ..i18n import fmt_datetime
from ..services import ics, tickets
from ..services import registration as reg
from ..services.events import get_published_or_404
from . import bp
from .forms import ConfirmForm, RegistrationForm, SessionChoiceForm


def _registration_limit() -> str:
    return current_app.config.get("REGISTRATION_RATE_LIMIT", "30 per minute")


def _session_label(item, lang: str) -> str:
    when = fmt_datetime(item.starts_at, item.event.timezone, lang, "short")
    left = max((item.capacity or 0) - (item.confirmed_count or 0), 0)
    if left:
        seats = ngettext("%(num)d seat left", "%(num)d seats left", left)
    else:
        seats = _("full: waiting list")
    return f"{item.t('title', lang)} — {when} ({seats})"


def _session_choices(event, items=None):
    """(key, label) of the event's sign-up sessions; ``items``: already loaded."""
    if items is None:
        items = reg.signup_sessions(db.session, event)
    return [(item.key, _session_label(item, g.lang)) for item in items]


def _data_from(form: RegistrationForm) -> reg.RegistrationData:
    return reg.RegistrationData(
        full_name=form.full_name.data or "",
        email=form.email.data or "",
        organisation=form.organisation.data,
        job_title=form.job_title.data,
        country=form.country.data or None,
        city=form.city.data,
        attendance_mode=form.attendance_mode.data or "in_person",
        preferred_language=form.preferred_language.data or g.lang,
        sessions=tuple(form.sessions.data or ()),
        accessibility_needs=form.accessibility_needs.data,
        consent=bool(form.consent.data),
    )


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@limiter.limit(_registration_limit, methods=["POST"])
def register(slug):
    form = RegistrationForm(lang=g.lang)
    checked = None
    honeypot = request.method == "POST" and bool(form.website.data)
    if request.method == "POST" and form.validate_on_submit() and not honeypot:
        # Everything that needs no database runs before the transaction starts (on SQLite the
        # first query takes the write lock until the commit)
        try:
            checked = reg.check(_data_from(form))
        except reg.RegistrationError as exc:
            _show_error(form, exc)
    if honeypot:
        event, target = get_published_or_404(slug), None  # a bot: the event row is enough
    else:
        # The event, its sign-up sessions with their seats and "has webhooks": one SELECT
        target = reg.load_target(db.session, slug)
        if target is None or not target.event.is_published:
            abort(404)
        event = target.event
    closed = reg.registration_closed_reason(event)

    def page(status=200):
        # The session choices (with seats left) are only needed to show the form
        items = target.sessions if target is not None else None
        form.set_session_choices(_session_choices(event, items))
        return render_template(
            "public/register.html", event=event, form=form, closed=closed
        ), status

    if request.method == "GET":
        return page()
    if closed:
        return page(400)
    if honeypot and not form.errors:
        # Honeypot filled: answer like a success, store nothing
        session["registration"] = {"slug": slug, "outcome": "received"}
        return redirect(url_for(".registered", slug=slug), 303)
    if checked is None:
        return page(400)
    try:
        result = reg.register(db.session, event, checked, target=target)
    except reg.RegistrationError as exc:
        db.session.rollback()
        _show_error(form, exc)
        target = None  # rolled back: the seats left are read again
        closed = reg.registration_closed_reason(event)
        return page(400)
    token = result.token
    db.session.commit()
    session["registration"] = {
        "slug": slug,
        "outcome": "created" if result.created else "already",
        "token": token if result.created else None,
    }
    return redirect(url_for(".registered", slug=slug), 303)


def _show_error(form, exc: reg.RegistrationError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = [*target.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


@bp.get("/events/<slug>/registered")
def registered(slug):
    event = get_published_or_404(slug)
    info = session.get("registration") or {}
    if info.get("slug") != slug:
        return redirect(url_for(".register", slug=slug))
    registration = reg.by_token(db.session, info.get("token") or "")
    g.noindex = True
    return render_template(
        "public/registered.html",
        event=event,
        outcome=info.get("outcome"),
        registration=registration,
        position=reg.waitlist_position(db.session, registration) if registration else None,
        noindex=True,
    )


# --------------------------------------------------------------------------- self-service


def _own(token: str):
    registration = reg.by_token(db.session, token)
    if registration is None:
        abort(404)
    g.noindex = True
    return registration


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _selfservice_page(registration, sessions_form=None, status=200):
    event = registration.event
    actions = reg.selfservice_actions(registration)
    if sessions_form is None:
        sessions_form = SessionChoiceForm()
        sessions_form.sessions.data = [s.session.key for s in registration.session_signups]
    if actions.change_sessions:
        sessions_form.sessions.choices = [SelectChoice(k, v) for k, v in _session_choices(event)]
    signups = sorted(registration.session_signups, key=lambda s: s.session.starts_at)
    qr = None
    if actions.ticket:
        qr = Markup(tickets.qr_svg_inline(tickets.checkin_code(registration), scale=5))  # noqa: S704 - segno output
    response = Response(
        render_template(
            "public/selfservice.html",
            registration=registration,
            event=event,
            position=reg.waitlist_position(db.session, registration),
            signups=[(s, reg.session_waitlist_position(db.session, s)) for s in signups],
            sessions_form=sessions_form,
            actions=actions,
            qr=qr,
            noindex=True,
        ),
        status=status,
    )
    return _no_store(response)


@bp.get("/r/<token>")
def selfservice(token):
    return _selfservice_page(_own(token))


def _refused(registration, message: str):
    """The personal page, with ``message`` (an action refused), status 400."""
    flash(message, "error")
    return _selfservice_page(registration, status=400)


@bp.post("/r/<token>/sessions")
def selfservice_sessions(token):
    registration = _own(token)
    form = SessionChoiceForm()
    form.sessions.choices = [SelectChoice(k, v) for k, v in _session_choices(registration.event)]
    if not form.validate_on_submit():
        return _selfservice_page(registration, form, 400)
    try:
        reg.change_own_sessions(db.session, registration, form.sessions.data or [])
    except reg.SelfServiceClosedError as exc:
        db.session.rollback()
        return _refused(registration, exc.message)
    except reg.RegistrationError as exc:
        # e.g. two sessions at the same time: nothing is stored, the choices stay as ticked
        db.session.rollback()
        form.sessions.errors = [exc.message]
        return _selfservice_page(registration, form, 400)
    db.session.commit()
    flash(_("Your session choices are saved."), "success")
    return redirect(url_for(".selfservice", token=token), 303)


def _confirm_page(registration, action: str, status=200):
    return _no_store(
        Response(
            render_template(
                "public/selfservice_confirm.html",
                registration=registration,
                event=registration.event,
                action=action,
                someone_waiting=reg.someone_waiting(db.session, registration),
                form=ConfirmForm(),
                noindex=True,
            ),
            status=status,
        )
    )


@bp.route("/r/<token>/cancel", methods=["GET", "POST"])
def selfservice_cancel(token):
    registration = _own(token)
    if registration.status == "cancelled":
        flash(_("This registration is already cancelled."), "info")
        return redirect(url_for(".selfservice", token=token), 303)
    closed = reg.selfservice_closed_reason(registration)
    if closed and request.method == "GET":
        flash(closed, "info")
        return redirect(url_for(".selfservice", token=token), 303)
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _confirm_page(registration, "cancel", 200 if request.method == "GET" else 400)
    try:
        promotions = reg.cancel_own(db.session, registration)
    except reg.RegistrationError as exc:
        db.session.rollback()
        return _refused(registration, exc.message)
    db.session.commit()
    _flash_cancelled(promotions)
    return redirect(url_for(".selfservice", token=token), 303)


def _flash_cancelled(promotions: reg.Promotions) -> None:
    """Say what happened to the freed seats, and only what happened."""
    if promotions:
        flash(
            _(
                "Your registration is cancelled. Your seat has been given to the next person "
                "waiting."
            ),
            "success",
        )
    else:
        flash(_("Your registration is cancelled."), "success")
    for signups in promotions.sessions.values():
        flash(
            _(
                "Your seat in “%(session)s” has been given to the next person on its waiting list.",
                session=signups[0].session.t("title", g.lang),
            ),
            "info",
        )


@bp.route("/r/<token>/delete", methods=["GET", "POST"])
def selfservice_delete(token):
    registration = _own(token)
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _confirm_page(registration, "delete", 200 if request.method == "GET" else 400)
    slug = registration.event.slug
    reg.anonymise(db.session, registration)
    db.session.commit()
    session.pop("registration", None)
    flash(_("Your personal data has been deleted."), "success")
    if "public.event" in current_app.view_functions:
        return redirect(url_for(".event", slug=slug), 303)
    return redirect(url_for(".index"), 303)


@bp.get("/r/<token>/data.json")
def selfservice_data(token):
    registration = _own(token)
    body = json.dumps(reg.export_data(db.session, registration), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-registration.json"'
    return _no_store(response)


@bp.get("/r/<token>/ticket.svg")
def ticket_qr(token):
    registration = _own(token)
    if not reg.selfservice_actions(registration).ticket:
        abort(404)
    svg = tickets.qr_svg(tickets.checkin_code(registration))
    return _no_store(Response(svg, mimetype="image/svg+xml"))


@bp.get("/r/<token>/calendar.ics")
def selfservice_ics(token):
    registration = _own(token)
    content = ics.registration_ics(registration, g.lang)
    response = Response(content, content_type=ics.CONTENT_TYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{registration.event.slug}.ics"'
    )
    return _no_store(response)
