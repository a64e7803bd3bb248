"""The demo events' sample questionnaire, and sample answers from existing registrations."""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from ...models import (
    Event,
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
    Registration,
)
from ...models.types import utcnow
from .answers import rated_sessions

SAMPLE_QUESTIONS = [
    {
        "kind": "rating",
        "required": True,
        "text": {
            "ar": "ما تقييمك لهذه الجلسة؟",
            "en": "How would you rate this session?",
            "fr": "Quelle note donnez-vous à cette séance ?",
        },
    },
    {
        "kind": "choice",
        "required": False,
        "text": {
            "ar": "كيف تابعت الندوة؟",
            "en": "How did you follow the symposium?",
            "fr": "Comment avez-vous suivi le symposium ?",
        },
        "choices": [
            {"key": "in_person", "label": {"ar": "حضوريًا", "en": "In person", "fr": "Sur place"}},
            {"key": "online", "label": {"ar": "عبر الإنترنت", "en": "Online", "fr": "En ligne"}},
            {
                "key": "recording",
                "label": {"ar": "من التسجيل", "en": "From the recording", "fr": "En différé"},
            },
        ],
    },
    {
        "kind": "text",
        "required": False,
        "text": {
            "ar": "ما الذي يمكن أن نحسّنه في الدورة القادمة؟",
            "en": "What could we improve next time?",
            "fr": "Que pourrions-nous améliorer la prochaine fois ?",
        },
    },
]

SAMPLE_TEXTS = [
    {
        "ar": "تنظيم ممتاز، ونتمنى وقتًا أطول للنقاش.",
        "en": "Great organisation; more time for questions, please.",
        "fr": "Très bonne organisation ; plus de temps pour les questions, s’il vous plaît.",
    },  # noqa: E501
    {
        "ar": "الترجمة الفورية كانت واضحة.",
        "en": "The interpretation was clear.",
        "fr": "L’interprétation était claire.",
    },  # noqa: E501
    {
        "ar": "نرجو نشر العروض بعد الندوة.",
        "en": "Please publish the slides afterwards.",
        "fr": "Merci de publier les présentations ensuite.",
    },  # noqa: E501
]


def seed_demo_feedback(session: OrmSession, event: Event, *, answers: bool = True) -> int:
    """Give ``event`` the sample questionnaire (if it has no question yet) and, when it already
    holds confirmed registrations without answers, sample answers from them (a fixed random
    seed, so the demo looks the same every time). Nobody is invented. Returns the number of
    responses added."""
    existing = session.scalar(
        select(FeedbackQuestion.id).where(FeedbackQuestion.event_id == event.id).limit(1)
    )
    if existing is None:
        for position, spec in enumerate(SAMPLE_QUESTIONS, start=1):
            session.add(
                FeedbackQuestion(
                    event=event,
                    kind=spec["kind"],
                    text=dict(spec["text"]),
                    choices=[dict(c) for c in spec.get("choices", [])],
                    required=spec["required"],
                    position=position,
                )
            )
        session.flush()
    if not answers:
        return 0
    return seed_sample_answers(session, event)


def seed_sample_answers(session: OrmSession, event: Event) -> int:
    """Sample answers from the event's confirmed registrations that have none yet."""
    qs = list(
        session.scalars(
            select(FeedbackQuestion)
            .where(FeedbackQuestion.event_id == event.id)
            .order_by(FeedbackQuestion.position)
        )
    )
    answered = select(FeedbackResponse.registration_id)
    registrations = session.scalars(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == "confirmed",
            Registration.anonymised_at.is_(None),
            Registration.id.not_in(answered),
        )
        .order_by(Registration.id)
    ).all()
    rng = random.Random(f"{event.slug}-feedback")  # noqa: S311 - sample data, not a secret
    now = utcnow()
    added = 0
    for index, registration in enumerate(registrations):
        response = FeedbackResponse(
            event_id=event.id, registration_id=registration.id, submitted_at=now, updated_at=now
        )
        session.add(response)
        session.flush()
        for question in qs:
            if question.kind == "rating":
                for item in rated_sessions(session, registration).sessions:
                    if rng.random() < 0.8:
                        rating = rng.choices([5, 4, 3, 2, 1], weights=[5, 4, 2, 1, 0.5])[0]
                        session.add(
                            FeedbackAnswer(
                                response_id=response.id,
                                question_id=question.id,
                                session_id=item.id,
                                rating=rating,
                            )
                        )
            elif question.kind == "choice" and question.choices:
                key = rng.choices(
                    [c["key"] for c in question.choices],
                    weights=[3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1][: len(question.choices)],
                )[0]
                session.add(
                    FeedbackAnswer(response_id=response.id, question_id=question.id, choice=key)
                )
            elif question.kind == "text" and index < len(SAMPLE_TEXTS):
                lang = registration.preferred_language
                text = SAMPLE_TEXTS[index].get(lang) or SAMPLE_TEXTS[index]["en"]
                session.add(
                    FeedbackAnswer(response_id=response.id, question_id=question.id, text=text)
                )
        added += 1
    session.flush()
    return added
