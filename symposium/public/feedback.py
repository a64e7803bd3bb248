"""The feedback questionnaire on the personal link: /<lang>/r/<token>/feedback.

Before it opens: a page saying when. While open: the form (answer, then change the answers
until the closing date). After it closes: the answers, read-only. Personal page: no-store,
noindex. The form is built per registrant (its questions and the sessions they rate).
"""

from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..services import feedback as service
from . import bp
from .registration import _no_store, _own


def _rating_choices():
    return [SelectChoice("", _("No answer"))] + [
        SelectChoice(str(r), str(r)) for r in service.RATINGS
    ]


def build_form(questions, rated, lang: str, formdata=None, data=None):
    """A FlaskForm with one field per answer (field names from ``service.field_key``)."""

    class FeedbackForm(FlaskForm):
        pass

    for question in questions:
        if question.kind == "rating":
            for item in rated.sessions:
                setattr(
                    FeedbackForm,
                    service.field_key(question, item),
                    RadioField(
                        item.t("title", lang),
                        choices=_rating_choices(),
                        validate_choice=False,  # the service checks, with its own messages
                        default="",
                    ),
                )
        elif question.kind == "choice":
            choices = [
                SelectChoice(c["key"], service.choice_label(question, c["key"], lang))
                for c in question.choices or []
            ]
            if not question.required:
                choices.append(SelectChoice("", _("No answer")))
            setattr(
                FeedbackForm,
                service.field_key(question),
                RadioField(
                    service.question_text(question, lang),
                    choices=choices,
                    validate_choice=False,
                    default="",
                ),
            )
        else:
            setattr(
                FeedbackForm,
                service.field_key(question),
                TextAreaField(
                    service.question_text(question, lang),
                    render_kw={"rows": 4, "maxlength": service.TEXT_MAX},
                ),
            )
    if formdata is None:
        return FeedbackForm(formdata=None, data=data or {})
    return FeedbackForm()


def _values(form) -> dict[str, str | None]:
    return {f.name: f.data for f in form if f.name != "csrf_token"}


def _page(registration, *, form=None, status=200, message=None):
    event = registration.event
    questions = service.questions(db.session, event)
    rated = service.rated_sessions(db.session, registration)
    response = service.response_of(db.session, registration)
    current = service.current_values(response)
    if form is None:
        form = build_form(questions, rated, g.lang, data=current)
    opens = service.opens_at(event)
    closes = service.closes_at(event)
    return _no_store(
        Response(
            render_template(
                "public/feedback.html",
                registration=registration,
                event=event,
                questions=questions,
                rated=rated,
                form=form,
                field_key=service.field_key,
                question_text=service.question_text,
                choice_label=service.choice_label,
                phase=service.phase(event),
                may_answer=service.may_answer(registration),
                response=response,
                current=current,
                opens=service.when(opens, event, g.lang),
                closes=service.when(closes, event, g.lang),
                when=service.when,
                message=message,
                noindex=True,
            ),
            status=status,
        )
    )


@bp.route("/r/<token>/feedback", methods=["GET", "POST"])
def selfservice_feedback(token):
    registration = _own(token)
    event = registration.event
    if not service.may_answer(registration):
        return _page(registration, status=403)
    questions = service.questions(db.session, event)
    if not questions:
        return _page(registration, status=404)
    if request.method == "GET":
        return _page(registration)
    closed = service.closed_message(registration)
    if closed:
        return _page(registration, status=409, message=closed)
    rated = service.rated_sessions(db.session, registration)
    form = build_form(questions, rated, g.lang, formdata=request.form)
    if not form.validate_on_submit():  # the CSRF token
        return _page(registration, form=form, status=400)
    try:
        service.submit(db.session, registration, _values(form))
    except service.FeedbackError as exc:
        db.session.rollback()
        for key, text in exc.fields.items():
            if key in form:
                form[key].errors = [*form[key].errors, text]
        status = 409 if isinstance(exc, service.FeedbackClosed) else 400
        return _page(registration, form=form, status=status, message=exc.messages[0])
    db.session.commit()
    flash(
        _(
            "Thank you: your answers are saved. You can change them until %(date)s.",
            date=service.when(service.closes_at(event), event, g.lang),
        ),
        "success",
    )
    return redirect(url_for(".selfservice_feedback", token=token), 303)


@bp.app_template_global()
def feedback_card(registration):
    """What the self-service page says about the questionnaire, or None when there is none
    for this registration (no question, or not a confirmed registration)."""
    if not service.may_answer(registration):
        return None
    event = registration.event
    if not service.questions(db.session, event):
        return None
    return {
        "phase": service.phase(event),
        "answered": service.has_answered(db.session, registration),
        "opens": service.when(service.opens_at(event), event),
        "closes": service.when(service.closes_at(event), event),
        "url": url_for("public.selfservice_feedback", token=registration.token),
    }
