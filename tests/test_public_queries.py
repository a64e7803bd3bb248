"""No N+1: the agenda and the speakers index cost a fixed number of SQL queries."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import insert

from symposium.extensions import db
from symposium.models import Person, Room, Session, SessionPerson
from tests.factories import make_event


def _build(app, slug: str, sessions: int, speakers: int) -> None:
    """A large agenda, inserted in bulk: ``sessions`` sessions sharing ``speakers`` speakers."""
    with app.app_context():
        ev = make_event(db.session, slug, starts_on=date(2027, 3, 1), ends_on=date(2027, 3, 5))
        rooms = [
            Room(event=ev, key=f"r{i}", name={"en": f"Room {i}"}, position=i) for i in range(5)
        ]
        db.session.add_all(rooms)
        db.session.flush()
        db.session.execute(
            insert(Person),
            [
                {
                    "event_id": ev.id,
                    "key": f"p{i}",
                    "name": {"en": f"Person {i}", "ar": f"شخص {i}"},
                    "title": {"en": "Mayor"},
                    "organisation": {},
                    "city": {},
                    "bio": {},
                    "position": i,
                }
                for i in range(speakers)
            ],
        )
        start = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
        db.session.execute(
            insert(Session),
            [
                {
                    "event_id": ev.id,
                    "key": f"s{i}",
                    "kind": "panel",
                    "title": {"en": f"Session {i}"},
                    "abstract": {},
                    "starts_at": start + timedelta(days=i % 5, minutes=5 * (i // 5)),
                    "ends_at": start + timedelta(days=i % 5, minutes=5 * (i // 5) + 30),
                    "room_id": rooms[i % 5].id,
                    "position": 0,
                }
                for i in range(sessions)
            ],
        )
        session_ids = db.session.scalars(
            db.select(Session.id).where(Session.event_id == ev.id)
        ).all()
        person_ids = db.session.scalars(db.select(Person.id).where(Person.event_id == ev.id)).all()
        links = []
        for n, sid in enumerate(session_ids):
            for k in range(3):
                links.append(
                    {
                        "session_id": sid,
                        "person_id": person_ids[(n * 3 + k) % len(person_ids)],
                        "role": "speaker",
                        "position": k,
                    }
                )
        db.session.execute(insert(SessionPerson), links)
        db.session.commit()


@contextmanager
def count_queries(app):
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            statements.append(statement)

    sa_event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa_event.remove(engine, "before_cursor_execute", before)


@pytest.mark.parametrize(
    "path", ["agenda", "speakers", "", "changes", "event.ics", "agenda?room=r1&kind=panel"]
)
def test_pages_use_a_fixed_number_of_queries(app, client, path):
    _build(app, "small", sessions=20, speakers=30)
    _build(app, "large", sessions=200, speakers=300)
    counts = {}
    for slug in ("small", "large"):
        with count_queries(app) as statements:
            response = client.get(f"/en/events/{slug}/{path}")
        assert response.status_code == 200
        counts[slug] = len(statements)
    assert counts["small"] == counts["large"], counts
    assert counts["large"] <= 8, counts


def test_the_large_agenda_shows_everything(app, client):
    _build(app, "large", sessions=200, speakers=300)
    page = client.get("/en/events/large/agenda").get_data(as_text=True)
    assert page.count('class="agenda-item') == 200
    assert "Person 299" in page
