"""Results of the questionnaire: counts per session and per choice, free texts, SVG charts,
and the CSV/XLSX export (one row per answer).

Charts are inline SVG drawn on the server: a horizontal bar per value with its label and its
count written as text, a <title> and a <desc> that say the same in words. SVG has no logical
properties, so in a right-to-left language the x axis is mirrored: labels on the right, bars
growing to the left, as the page reads.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload

from ...i18n import fmt_number, language, text_direction, utc_to_local
from ...models import Event, FeedbackAnswer, FeedbackQuestion, FeedbackResponse, Session
from .. import exports
from .answers import RATINGS
from .questionnaire import choice_label, question_text, questions


@dataclass
class Bars:
    """One chart: (label, count) rows, in order."""

    rows: list[tuple[str, int]]
    count: int = 0
    average: float | None = None


@dataclass
class QuestionResult:
    question: FeedbackQuestion
    per_session: list[tuple[Session, Bars]] = field(default_factory=list)
    bars: Bars | None = None  # choice questions
    texts: list[str] = field(default_factory=list)  # text questions


@dataclass
class Results:
    responses: int
    questions: list[QuestionResult]


def _answers(session: OrmSession, event: Event) -> list[FeedbackAnswer]:
    return list(
        session.scalars(
            select(FeedbackAnswer)
            .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
            .where(FeedbackResponse.event_id == event.id)
            .order_by(FeedbackResponse.submitted_at, FeedbackAnswer.id)
        )
    )


def results(session: OrmSession, event: Event, lang: str) -> Results:
    responses = session.scalar(
        select(func.count(FeedbackResponse.id)).where(FeedbackResponse.event_id == event.id)
    )
    answers = _answers(session, event)
    agenda = {
        s.id: s
        for s in session.scalars(
            select(Session).where(Session.event_id == event.id).order_by(Session.starts_at)
        )
    }
    out = []
    for question in questions(session, event):
        mine = [a for a in answers if a.question_id == question.id]
        result = QuestionResult(question)
        if question.kind == "rating":
            by_session: dict[int, list[int]] = {}
            for a in mine:
                if a.rating is not None and a.session_id in agenda:
                    by_session.setdefault(a.session_id, []).append(a.rating)
            for sid, item in agenda.items():
                ratings = by_session.get(sid)
                if not ratings:
                    continue
                rows = [(str(r), ratings.count(r)) for r in reversed(RATINGS)]
                result.per_session.append(
                    (item, Bars(rows, len(ratings), sum(ratings) / len(ratings)))
                )
        elif question.kind == "choice":
            counts = {c["key"]: 0 for c in question.choices or []}
            for a in mine:
                if a.choice is not None:
                    counts[a.choice] = counts.get(a.choice, 0) + 1
            rows = [(choice_label(question, key, lang), n) for key, n in counts.items()]
            result.bars = Bars(rows, sum(counts.values()))
        else:
            result.texts = [a.text for a in mine if a.text]
        out.append(result)
    return Results(responses, out)


# ------------------------------------------------------------------------------ SVG charts

ROW = 26
LABEL_W = 150
COUNT_W = 70
WIDTH = 560


def _fit(label: str, limit: int = 22) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(bars: Bars, title: str, lang: str) -> Markup:
    """An accessible horizontal bar chart (inline SVG), mirrored for right-to-left languages."""
    rtl = text_direction(lang) == "rtl"
    height = ROW * len(bars.rows) + 8
    track = WIDTH - LABEL_W - COUNT_W
    top = max((n for _label, n in bars.rows), default=0) or 1
    described = ("؛ " if rtl else "; ").join(
        ngettext(
            "%(label)s: %(count)s answer",
            "%(label)s: %(count)s answers",
            n,
            label=label,
            count=fmt_number(n, lang),
        )
        for label, n in bars.rows
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="feedback-chart" role="img" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'direction="{"rtl" if rtl else "ltr"}">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(described)}</desc>",
    ]
    for index, (label, n) in enumerate(bars.rows):
        y = 4 + index * ROW
        length = round(track * n / top) if n else 0
        # text-anchor "start" follows ``direction``: the right edge of right-to-left text
        if rtl:
            label_x = WIDTH - 4
            bar_x = WIDTH - LABEL_W - length
            count_x = bar_x - 6
        else:
            label_x = 4
            bar_x = LABEL_W
            count_x = LABEL_W + length + 6
        parts.append(
            f'<text x="{label_x}" y="{y + 16}" text-anchor="start" '
            f'class="bar-label">{escape(_fit(label))}</text>'
        )
        parts.append(
            f'<rect x="{bar_x}" y="{y + 3}" width="{length}" height="{ROW - 8}" '
            f'class="bar" data-count="{n}" fill="#2f6f8f"/>'
        )
        parts.append(
            f'<text x="{count_x}" y="{y + 16}" text-anchor="start" '
            f'class="bar-count">{escape(fmt_number(n, lang))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def average_text(bars: Bars, lang: str) -> str:
    """E.g. "Average 4.3 out of 5, 12 answers"."""
    return ngettext(
        "Average %(average)s out of 5, %(count)s answer",
        "Average %(average)s out of 5, %(count)s answers",
        bars.count,
        average=fmt_number(round(bars.average or 0, 1), lang),
        count=fmt_number(bars.count, lang),
    )


# ------------------------------------------------------------------------------ export


def export_header() -> list[str]:
    return [
        _("Response"),
        _("Submitted at"),
        _("Changed at"),
        _("Question"),
        _("Kind"),
        _("Session code"),
        _("Session"),
        _("Rating"),
        _("Choice code"),
        _("Choice"),
        _("Answer"),
    ]


def kind_label(kind: str) -> str:
    return {
        "rating": _("Rating from 1 to 5 per session"),
        "choice": _("Choice"),
        "text": _("Free text"),
    }.get(kind, kind)


def _local(dt: datetime | None, tzname: str) -> datetime | None:
    return utc_to_local(dt, tzname).replace(microsecond=0) if dt is not None else None


def export_rows(session: OrmSession, event: Event, lang: str) -> list[list]:
    """One row per answer. Respondents are numbered 1..n in the order they first answered:
    names and emails are not part of the results."""
    responses = list(
        session.scalars(
            select(FeedbackResponse)
            .where(FeedbackResponse.event_id == event.id)
            .order_by(FeedbackResponse.submitted_at, FeedbackResponse.id)
            .options(
                selectinload(FeedbackResponse.answers).joinedload(FeedbackAnswer.question),
                selectinload(FeedbackResponse.answers).joinedload(FeedbackAnswer.session),
            )
        )
    )
    order = {q.id: q.position for q in questions(session, event)}
    rows = []
    for number, response in enumerate(responses, start=1):
        answers = sorted(
            response.answers,
            key=lambda a: (
                order.get(a.question_id, 0),
                a.session.starts_at if a.session else datetime.min,
                a.id,
            ),
        )
        for a in answers:
            q = a.question
            rows.append(
                [
                    number,
                    _local(response.submitted_at, event.timezone),
                    _local(response.updated_at, event.timezone),
                    question_text(q, lang),
                    kind_label(q.kind),
                    a.session.key if a.session else "",
                    a.session.t("title", lang) if a.session else "",
                    a.rating if a.rating is not None else "",
                    a.choice or "",
                    choice_label(q, a.choice, lang) if a.choice else "",
                    a.text or "",
                ]
            )
    return rows


def export(session: OrmSession, event: Event, lang: str, fmt: str) -> tuple[bytes, str]:
    """(body, content type) of the answers in ``fmt`` (csv or xlsx), in ``lang``: text cells
    are neutralised against formulas like the registration exports."""
    with language(lang):
        header = export_header()
        rows = export_rows(session, event, lang)
        title = _("Feedback")
    if fmt == "csv":
        return exports.to_csv(header, rows), exports.CSV_CONTENT_TYPE
    return to_xlsx(
        header, rows, title, rtl=text_direction(lang) == "rtl"
    ), exports.XLSX_CONTENT_TYPE


def to_xlsx(header: list[str], rows: list[list], title: str, *, rtl: bool) -> bytes:
    """Like ``exports.to_xlsx`` (text cells are neutralised strings, never formulas; times are
    real date-times) but whole numbers (respondent, rating) stay numbers, for averages."""
    wb = Workbook()
    ws = wb.active
    ws.title = exports.sheet_title(title)
    ws.sheet_view.rightToLeft = rtl
    for r, row in enumerate([header, *rows], start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(value, datetime):
                cell.value = value.replace(tzinfo=None)
                cell.number_format = exports.XLSX_DATETIME_FORMAT
            elif isinstance(value, int) and not isinstance(value, bool):
                cell.value = value
            else:
                cell.value = exports.neutralise(value)
                cell.data_type = TYPE_STRING
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
