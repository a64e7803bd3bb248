"""200 people register at once for 50 seats, through the HTTP form, in 16 threads.

Exactly 50 confirmed and 150 waitlisted with positions 1..150, no 5xx; then 10 cancellations
promote exactly the next 10 in waiting-list order, each emailed. On PostgreSQL (a fresh
database on the TEST_POSTGRES_URL server) and on SQLite (a file).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from symposium.extensions import db
from symposium.models import Event, OutboxEmail, Registration
from symposium.services import registration as reg
from tests.factories import make_event
from tests.registration_helpers import form_data

ATTEMPTS = 200
CAPACITY = 50
THREADS = 16


def _run(app) -> None:
    with app.app_context():
        make_event(db.session, "rush", capacity=CAPACITY)
        db.session.commit()

    statuses: list[int] = []
    lock = threading.Lock()
    local = threading.local()

    def attempt(i: int) -> None:
        if not hasattr(local, "client"):
            local.client = app.test_client()
        response = local.client.post(
            "/en/events/rush/register",
            data=form_data(full_name=f"Person {i}", email=f"person{i}@example.org"),
        )
        with lock:
            statuses.append(response.status_code)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(attempt, range(ATTEMPTS)))

    assert len(statuses) == ATTEMPTS
    assert all(code < 500 for code in statuses), sorted(set(statuses))
    assert set(statuses) == {303}

    with app.app_context():
        regs = db.session.scalars(db.select(Registration)).all()
        confirmed = [r for r in regs if r.status == "confirmed"]
        waiting = sorted(
            (r for r in regs if r.status == "waitlisted"), key=lambda r: r.waitlist_seq
        )
        assert len(confirmed) == CAPACITY and len(waiting) == ATTEMPTS - CAPACITY
        assert db.session.get(Event, 1).confirmed_count == CAPACITY
        positions = [reg.waitlist_position(db.session, r) for r in waiting]
        assert positions == list(range(1, ATTEMPTS - CAPACITY + 1))
        expected_next = [r.email for r in waiting[:10]]
        to_cancel = [r.token for r in confirmed[:10]]

    cancel_client = app.test_client()
    for token in to_cancel:
        assert cancel_client.post(f"/en/r/{token}/cancel").status_code == 303

    with app.app_context():
        promoted = db.session.scalars(
            db.select(OutboxEmail.recipient).where(OutboxEmail.kind == "promotion")
        ).all()
        assert sorted(promoted) == sorted(expected_next)
        now_confirmed = db.session.scalars(
            db.select(Registration.email).where(Registration.status == "confirmed")
        ).all()
        assert set(expected_next) <= set(now_confirmed)
        assert len(now_confirmed) == CAPACITY
        assert db.session.get(Event, 1).confirmed_count == CAPACITY
        waiting = db.session.scalars(
            db.select(Registration)
            .where(Registration.status == "waitlisted")
            .order_by(Registration.waitlist_seq)
        ).all()
        assert [reg.waitlist_position(db.session, r) for r in waiting] == list(range(1, 141))


# Each thread can hold three connections at once: its request, and (eager jobs in tests)
# the email rendering and delivery that run right after its commit in fresh app contexts.
POOL = {"pool_size": 3 * THREADS + 4, "max_overflow": 10}


@pytest.fixture
def app_config():
    return {"SQLALCHEMY_ENGINE_OPTIONS": dict(POOL)}


def test_concurrent_registrations_on_sqlite(app):
    if db_dialect(app) != "sqlite":
        pytest.skip("this run's application database is not SQLite")
    _run(app)


def db_dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


@pytest.mark.postgres
def test_concurrent_registrations_on_postgresql(pg_app):
    _run(pg_app)
