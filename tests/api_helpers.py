"""Shared set-up of the API tests: two events, an organiser of the first, and tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from symposium.extensions import db
from symposium.models import ApiToken, Event, User
from symposium.models.types import utcnow
from symposium.services.api_tokens import create_token
from tests.conftest import make_user
from tests.factories import add_speaker, make_event, make_person, make_room, make_session


@dataclass
class ApiWorld:
    organiser_id: int
    other_id: int
    admin_id: int


def build_api_world(app) -> ApiWorld:
    with app.app_context():
        mine = make_event(db.session, "mine", capacity=2)
        hall = make_room(db.session, mine, "hall")
        s1 = make_session(
            db.session,
            mine,
            "w1",
            "2027-01-24T10:30",
            "2027-01-24T12:00",
            room=hall,
            kind="workshop",
            capacity=5,
        )
        make_session(db.session, mine, "plenary", "2027-01-24T09:00", "2027-01-24T10:00")
        person = make_person(db.session, mine, "amina", email="amina@example.org")
        add_speaker(db.session, s1, person)
        make_event(db.session, "theirs", capacity=10)
        make_event(db.session, "draft", status="draft")
        db.session.commit()
        mine_id = db.session.scalar(db.select(Event.id).where(Event.slug == "mine"))
        theirs = db.session.scalar(db.select(Event).where(Event.slug == "theirs"))
        draft = db.session.scalar(db.select(Event).where(Event.slug == "draft"))
        mine = db.session.get(Event, mine_id)
    organiser = make_user(app, "org@example.org", "organiser", events=[mine, draft])
    other = make_user(app, "other@example.org", "organiser", events=[theirs])
    admin = make_user(app, "admin@example.org", "admin")
    return ApiWorld(organiser, other, admin)


def token_for(app, user_id: int, scope: str = "write", *, event: str | None = None, **kw) -> str:
    with app.app_context():
        user = db.session.get(User, user_id)
        ev = db.session.scalar(db.select(Event).where(Event.slug == event)) if event else None
        created = create_token(db.session, user, f"{scope} token", scope, event=ev, **kw)
        db.session.commit()
        return created.secret


def expire_token(app, secret_prefix_id: int) -> None:
    with app.app_context():
        token = db.session.get(ApiToken, secret_prefix_id)
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}
