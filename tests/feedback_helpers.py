"""Set-up for the feedback tests: an event that ended (or not), a questionnaire, registrants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from symposium.extensions import db
from symposium.models import Event, FeedbackQuestion, SessionRegistration
from symposium.services import feedback as service
from tests.factories import make_event, make_session
from tests.manage_helpers import make_organiser, make_registration


@dataclass
class FeedbackWorld:
    slug: str
    event_id: int
    sessions: dict  # key -> id
    questions: dict  # "rating" / "choice" / "text" -> id
    tokens: dict  # "amina" / "omar" / "cancelled" -> token
    registrations: dict  # same keys -> id


def build(app, *, days_ago: int = 2, slug: str = "fb-event", organiser: bool = True):
    """An event ``days_ago`` days ago (negative: in the future) with two talks, a break and a
    workshop with its own capacity; three questions; Amina (en), Omar (ar), a cancelled one."""
    day = date.today() - timedelta(days=days_ago)
    with app.app_context():
        s = db.session
        event = make_event(s, slug, day=day, timezone="UTC")
        d = day.isoformat()
        s1 = make_session(s, event, "s1", f"{d}T09:00", f"{d}T10:00")
        pause = make_session(s, event, "pause", f"{d}T10:00", f"{d}T10:30", kind="break")
        s2 = make_session(s, event, "s2", f"{d}T10:30", f"{d}T11:30")
        ws = make_session(s, event, "ws", f"{d}T12:00", f"{d}T13:00", kind="workshop", capacity=5)
        rating = service.add_question(
            s,
            event,
            service.QuestionData(
                "rating",
                {"ar": "ما تقييمك؟", "en": "Your rating?", "fr": "Votre note ?"},
                required=True,
            ),
        )
        choice = service.add_question(
            s,
            event,
            service.QuestionData(
                "choice",
                {"ar": "كيف تابعت؟", "en": "How did you follow?", "fr": "Comment ?"},
                required=True,
                choices={
                    "ar": ["حضوريًا", "عبر الإنترنت"],
                    "en": ["In person", "Online"],
                    "fr": ["Sur place", "En ligne"],
                },
            ),
        )
        text = service.add_question(
            s, event, service.QuestionData("text", {"ar": "ملاحظات؟", "en": "Remarks?"})
        )
        amina = make_registration(s, event, "Amina Haddad", "amina@example.org")
        amina.preferred_language = "en"
        omar = make_registration(s, event, "عمر", "omar@example.org")
        omar.preferred_language = "ar"
        gone = make_registration(
            s, event, "Gone", "gone@example.org", status="cancelled", preferred_language="fr"
        )
        s.commit()
        world = FeedbackWorld(
            slug,
            event.id,
            {"s1": s1.id, "pause": pause.id, "s2": s2.id, "ws": ws.id},
            {"rating": rating.id, "choice": choice.id, "text": text.id},
            {"amina": amina.token, "omar": omar.token, "cancelled": gone.token},
            {"amina": amina.id, "omar": omar.id, "cancelled": gone.id},
        )
    if organiser:
        make_organiser(app, f"organiser-{slug}@example.org", world.event_id)
    return world


def answers(world: FeedbackWorld, s1="5", s2="4", choice="c1", text="Very good") -> dict:
    q = world.questions
    return {
        f"q{q['rating']}_s{world.sessions['s1']}": s1,
        f"q{q['rating']}_s{world.sessions['s2']}": s2,
        f"q{q['choice']}": choice,
        f"q{q['text']}": text,
    }


def set_settings(app, world: FeedbackWorld, **values) -> None:
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        current = service.get_settings(event)
        settings = service.FeedbackSettings(
            opens=values.get("opens", current.opens),
            closes_at=values.get("closes_at", current.closes_at),
            required_for_certificate=values.get(
                "required_for_certificate", current.required_for_certificate
            ),
            auto_invite=values.get("auto_invite", current.auto_invite),
        )
        service.update_settings(db.session, event, settings)
        db.session.commit()


def close_questionnaire(app, world: FeedbackWorld) -> None:
    """Closing date an hour ago (the event ended two days ago)."""
    now = datetime.now(UTC)
    set_settings(app, world, opens=now - timedelta(days=1), closes_at=now - timedelta(hours=1))


def mark_attended(app, world: FeedbackWorld, who: str, session_key: str) -> None:
    with app.app_context():
        db.session.add(
            SessionRegistration(
                registration_id=world.registrations[who],
                session_id=world.sessions[session_key],
                status="confirmed",
                attended_at=datetime.now(UTC),
            )
        )
        db.session.commit()


def question(app, question_id: int) -> FeedbackQuestion:
    with app.app_context():
        q = db.session.get(FeedbackQuestion, question_id)
        db.session.expunge(q)
        return q
