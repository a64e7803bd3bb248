"""The questionnaire of an event: its settings and its questions (add, edit, delete, reorder).

Settings live in ``Event.settings["feedback"]``:

- ``opens``: ISO date-time (UTC) when answers open; absent: when the event ends
  (``services/event_time.py``);
- ``closes_at``: ISO date-time (UTC) after which answers are read-only; absent:
  ``DEFAULT_OPEN_DAYS`` days after the event ends;
- ``required_for_certificate``: the certificate waits for the answers (the gate itself is in
  the attendance rules of certificate eligibility; see ``has_answered``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from ...i18n import LANGUAGES, clean_i18n, fmt_date, fmt_time, localize, utc_to_local
from ...models import Event, FeedbackQuestion
from ...models.hybrid import QUESTION_KINDS
from ...models.types import utcnow
from .. import audit
from ..event_time import event_ends_at
from ..textcheck import text_problem

SETTINGS_KEY = "feedback"
DEFAULT_OPEN_DAYS = 14
QUESTION_MAX = 500  # characters of a question, per language
CHOICE_MAX = 200  # characters of a choice's label
MAX_CHOICES = 12
MAX_QUESTIONS = 40


class FeedbackError(ValueError):
    """Refused input: ``messages`` are translated, ``fields`` maps a field key to its message."""

    def __init__(self, messages: list[str], fields: dict[str, str] | None = None):
        super().__init__("; ".join(messages))
        self.messages = messages
        self.fields = fields or {}


# ------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class FeedbackSettings:
    opens: datetime | None = None  # None: when the event ends
    closes_at: datetime | None = None  # None: DEFAULT_OPEN_DAYS after the end
    required_for_certificate: bool = False
    # Email the questionnaire link by itself once it opens (services/feedback/invites.py)
    auto_invite: bool = True

    def as_dict(self) -> dict:
        return {
            "opens": self.opens.isoformat() if self.opens else None,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "required_for_certificate": self.required_for_certificate,
            "auto_invite": self.auto_invite,
        }


def _parse(value) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def get_settings(event: Event) -> FeedbackSettings:
    raw = (event.settings or {}).get(SETTINGS_KEY) or {}
    return FeedbackSettings(
        opens=_parse(raw.get("opens")),
        closes_at=_parse(raw.get("closes_at")),
        required_for_certificate=bool(raw.get("required_for_certificate")),
        auto_invite=bool(raw.get("auto_invite", True)),
    )


def opens_at(event: Event) -> datetime:
    """When registrants may start answering (UTC)."""
    return get_settings(event).opens or event_ends_at(event)


def closes_at(event: Event) -> datetime:
    """After this instant (UTC) the answers are read-only."""
    return get_settings(event).closes_at or event_ends_at(event) + timedelta(days=DEFAULT_OPEN_DAYS)


def required_for_certificate(event: Event) -> bool:
    return get_settings(event).required_for_certificate


def phase(event: Event, now: datetime | None = None) -> str:
    """ "before" (not open yet), "open" or "closed"."""
    now = now or utcnow()
    if now < opens_at(event):
        return "before"
    if now >= closes_at(event):
        return "closed"
    return "open"


def when(moment: datetime, event: Event, lang: str | None = None) -> str:
    """A moment as "9 February 2026 at 16:00" in the event's timezone (like the public pages)."""
    local = utc_to_local(moment, event.timezone)
    return _(
        "%(date)s at %(time)s",
        date=fmt_date(local.date(), lang, "long"),
        time=fmt_time(moment, event.timezone, lang),
    )


def update_settings(
    session: OrmSession, event: Event, settings: FeedbackSettings, *, user=None
) -> None:
    """Store ``settings`` (a new dict, so that the JSON column is seen as changed)."""
    opens = settings.opens or event_ends_at(event)
    closes = settings.closes_at or event_ends_at(event) + timedelta(days=DEFAULT_OPEN_DAYS)
    if closes <= opens:
        raise FeedbackError(
            [_("The closing date must come after the opening of the questionnaire.")],
            {"closes_at": _("The closing date must come after the opening of the questionnaire.")},
        )
    event.settings = {**(event.settings or {}), SETTINGS_KEY: settings.as_dict()}
    audit.record(session, "feedback.settings", user=user, event=event, details=settings.as_dict())


# ------------------------------------------------------------------------------- questions


@dataclass
class QuestionData:
    kind: str
    text: dict  # {lang: str}
    required: bool = False
    # choice questions: one list of labels per language, the same choice at the same index
    choices: dict | None = None  # {lang: [label, ...]}


def questions(session: OrmSession, event: Event) -> list[FeedbackQuestion]:
    return list(
        session.scalars(
            select(FeedbackQuestion)
            .where(FeedbackQuestion.event_id == event.id)
            .order_by(FeedbackQuestion.position, FeedbackQuestion.id)
        )
    )


def question_text(question: FeedbackQuestion, lang: str | None = None) -> str:
    return localize(question.text, lang, question.event.default_language)


def choice_label(question: FeedbackQuestion, key: str | None, lang: str | None = None) -> str:
    for choice in question.choices or []:
        if choice.get("key") == key:
            return localize(choice.get("label"), lang, question.event.default_language)
    return key or ""


def _choice_lists(data: QuestionData) -> dict[str, list[str]]:
    lists = {}
    for code, labels in (data.choices or {}).items():
        if code in LANGUAGES:
            lists[code] = [(label or "").strip() for label in labels]
    # trailing empty lines mean nothing
    for labels in lists.values():
        while labels and not labels[-1]:
            labels.pop()
    return lists


def _check(event: Event, data: QuestionData) -> tuple[dict, list[dict]]:
    """The cleaned text and choices of a question, else FeedbackError."""
    problems: list[str] = []
    fields: dict[str, str] = {}
    if data.kind not in QUESTION_KINDS:
        problems.append(_("Choose the kind of question."))
        fields["kind"] = problems[-1]
    text = clean_i18n(data.text)
    for code, value in text.items():
        problem = text_problem(value, max_length=QUESTION_MAX)
        if problem:
            fields[f"text_{code}"] = problem
            problems.append(problem)
    if not text.get(event.default_language):
        message = _("Write the question at least in the event's default language.")
        fields.setdefault(f"text_{event.default_language}", message)
        problems.append(message)
    choices: list[dict] = []
    if data.kind == "choice":
        lists = _choice_lists(data)
        main = lists.get(event.default_language, [])
        for code, labels in lists.items():
            for label in labels:
                problem = text_problem(label, max_length=CHOICE_MAX)
                if problem:
                    fields[f"choices_{code}"] = problem
                    problems.append(problem)
                    break
        if len([label for label in main if label]) < 2 or "" in main:
            message = _(
                "A choice question needs at least two choices, one per line, in the event's "
                "default language."
            )
            fields.setdefault(f"choices_{event.default_language}", message)
            problems.append(message)
        elif len(main) > MAX_CHOICES:
            message = _("At most %(num)d choices.", num=MAX_CHOICES)
            fields.setdefault(f"choices_{event.default_language}", message)
            problems.append(message)
        else:
            for code, labels in lists.items():
                if code != event.default_language and len(labels) > len(main):
                    message = _(
                        "This language has more lines than the default language: write the "
                        "choices in the same order, one per line."
                    )
                    fields.setdefault(f"choices_{code}", message)
                    problems.append(message)
            for index in range(len(main)):
                label = {
                    code: labels[index] if index < len(labels) else ""
                    for code, labels in lists.items()
                }
                choices.append({"key": "", "label": clean_i18n(label)})
    if problems:
        raise FeedbackError(problems, fields)
    return text, choices


def _keyed(old: list, new: list[dict], default: str) -> list[dict]:
    """Give each new choice a key: the key of the old choice with the same text in the
    default language (moved or kept lines), else the key of the old choice at the same line
    when that one's text is gone (a corrected label), else a new key. Answers keep pointing
    at the choice they were given to."""
    old = old or []

    def label(choice):
        return ((choice.get("label") or {}).get(default) or "").strip()

    by_label = {label(c): c.get("key") for c in old if c.get("key")}
    new_labels = {label(c) for c in new}
    used: set[str] = set()
    for choice in new:
        key = by_label.get(label(choice))
        if key and key not in used:
            choice["key"] = key
            used.add(key)
    for index, choice in enumerate(new):
        if choice.get("key"):
            continue
        if index < len(old):
            key = old[index].get("key")
            if key and key not in used and label(old[index]) not in new_labels:
                choice["key"] = key
                used.add(key)
                continue
    taken = used | {c.get("key") for c in old}
    n = 1
    for choice in new:
        if choice.get("key"):
            continue
        while f"c{n}" in taken:
            n += 1
        choice["key"] = f"c{n}"
        taken.add(choice["key"])
    return new


def add_question(
    session: OrmSession, event: Event, data: QuestionData, *, user=None
) -> FeedbackQuestion:
    text, choices = _check(event, data)
    count = session.scalar(
        select(func.count(FeedbackQuestion.id)).where(FeedbackQuestion.event_id == event.id)
    )
    if count >= MAX_QUESTIONS:
        raise FeedbackError([_("At most %(num)d questions.", num=MAX_QUESTIONS)])
    last = session.scalar(
        select(func.max(FeedbackQuestion.position)).where(FeedbackQuestion.event_id == event.id)
    )
    question = FeedbackQuestion(
        event=event,
        kind=data.kind,
        text=text,
        choices=_keyed([], choices, event.default_language),
        required=bool(data.required),
        position=(last or 0) + 1,
    )
    session.add(question)
    session.flush()
    audit.record(session, "feedback.question.add", user=user, event=event, target=str(question.id))
    return question


def edit_question(
    session: OrmSession, question: FeedbackQuestion, data: QuestionData, *, user=None
) -> FeedbackQuestion:
    """Change a question. Its kind stays what it was once it has answers (they would lose
    their meaning)."""
    from .answers import answer_count

    if data.kind != question.kind and answer_count(session, question):
        raise FeedbackError(
            [_("This question already has answers: its kind can no longer change.")],
            {"kind": _("This question already has answers: its kind can no longer change.")},
        )
    text, choices = _check(question.event, data)
    question.kind = data.kind
    question.text = text
    question.choices = (
        _keyed(question.choices or [], choices, question.event.default_language)
        if data.kind == "choice"
        else []
    )
    question.required = bool(data.required)
    audit.record(
        session, "feedback.question.edit", user=user, event=question.event, target=str(question.id)
    )
    return question


def delete_question(session: OrmSession, question: FeedbackQuestion, *, user=None) -> None:
    """Delete a question and its answers."""
    from ...models import FeedbackAnswer

    session.execute(
        FeedbackAnswer.__table__.delete().where(FeedbackAnswer.question_id == question.id)
    )
    audit.record(
        session,
        "feedback.question.delete",
        user=user,
        event=question.event,
        target=str(question.id),
    )
    session.delete(question)


def move_question(session: OrmSession, question: FeedbackQuestion, direction: str) -> None:
    """Move a question one place up or down (positions renumbered 1..n)."""
    ordered = questions(session, question.event)
    index = ordered.index(question)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, start=1):
        item.position = position


def choice_lines(question: FeedbackQuestion) -> dict[str, str]:
    """The choices of ``question`` as the editor shows them: one text per language, a line each."""
    lines = {}
    for code in LANGUAGES:
        labels = [(c.get("label") or {}).get(code, "") for c in question.choices or []]
        lines[code] = "\n".join(labels).rstrip("\n") if any(labels) else ""
    return lines
