"""The same person submitting at once (threads released together by a barrier) still ends with
at most one of two overlapping sessions, and every seat counter matches the sign-ups.

Round 1: the registration form, sent several times at once with different workshop choices
(the unique (event, email) insert serialises them: one registration, one set of choices).
Round 2: "change my sessions", sent several times at once (the event lock, then the
registration's sign-ups read again under it). On SQLite (a file) and on PostgreSQL (a fresh
database on the TEST_POSTGRES_URL server), like tests/test_concurrency_registration.py.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest
from sqlalchemy import func, select

from symposium.extensions import db
from symposium.models import Registration, Session, SessionRegistration
from tests.factories import make_event, make_session
from tests.registration_helpers import form_data

# A and B at the same time (10:30–12:00), C right after them (12:00–13:00)
CHOICES = [["ws-a"], ["ws-b"], ["ws-a", "ws-b"], ["ws-b", "ws-c"], ["ws-a", "ws-c"], ["ws-c"]]
THREADS = 6
ROUNDS = 2
POOL = {"pool_size": 3 * THREADS + 4, "max_overflow": 10}


def _choice(n: int) -> list[str]:
    return CHOICES[n % len(CHOICES)]


def _at_once(calls) -> list[int]:
    """Run the calls in threads released together; their HTTP status codes."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _check_state(app, email: str) -> list[str]:
    """No overlap for ``email``; every session's counter equals its confirmed sign-ups."""
    with app.app_context():
        rows = db.session.scalars(
            select(Registration).where(Registration.email_normalized == email)
        ).all()
        assert len(rows) == 1
        keys = sorted(s.session.key for s in rows[0].session_signups)
        assert not {"ws-a", "ws-b"} <= set(keys), keys
        for item in db.session.scalars(select(Session)):
            confirmed = db.session.scalar(
                select(func.count(SessionRegistration.id)).where(
                    SessionRegistration.session_id == item.id,
                    SessionRegistration.status == "confirmed",
                )
            )
            assert item.confirmed_count == confirmed, item.key
        return keys


def _run(app) -> None:
    with app.app_context():
        event = make_event(db.session, "rush", capacity=50)
        for key, start, end in (
            ("ws-a", "10:30", "12:00"),
            ("ws-b", "10:30", "12:00"),
            ("ws-c", "12:00", "13:00"),
        ):
            make_session(
                db.session, event, key, f"2027-01-24T{start}", f"2027-01-24T{end}", capacity=3
            )
        db.session.commit()

    for round_ in range(ROUNDS):
        email = f"same{round_}@example.org"

        def register(choice, email=email):
            client = app.test_client()
            return client.post(
                "/en/events/rush/register",
                data=form_data(email=email, sessions=choice),
            ).status_code

        codes = _at_once([partial(register, _choice(i + round_)) for i in range(THREADS)])
        assert all(code in (303, 400) for code in codes), codes
        _check_state(app, email)

        with app.app_context():
            token = db.session.scalar(
                select(Registration.token).where(Registration.email_normalized == email)
            )

        def change(choice, token=token):
            client = app.test_client()
            return client.post(f"/en/r/{token}/sessions", data={"sessions": choice}).status_code

        codes = _at_once([partial(change, _choice(i + round_ + 2)) for i in range(THREADS)])
        assert all(code in (303, 400) for code in codes), codes
        assert 303 in codes and 400 in codes  # some changes were accepted, the overlap refused
        _check_state(app, email)


@pytest.fixture
def app_config():
    return {"SQLALCHEMY_ENGINE_OPTIONS": dict(POOL)}


def test_same_person_at_once_on_sqlite(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("this run's application database is not SQLite")
    _run(app)


@pytest.mark.postgres
def test_same_person_at_once_on_postgresql(pg_app):
    _run(pg_app)
