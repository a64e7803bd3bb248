"""Feedback on PostgreSQL: the same answers sent several times at once give one response with
one set of answers, and the invitation pressed at once by several organisers goes once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from symposium.extensions import db
from symposium.models import FeedbackAnswer, FeedbackResponse, ReminderLog
from symposium.services.feedback import invites
from tests.feedback_helpers import answers, build
from tests.manage_helpers import login
from tests.registration_helpers import outbox

THREADS = 6


@pytest.fixture
def app_config():
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 3 * THREADS + 4, "max_overflow": 10}}


@pytest.mark.postgres
def test_concurrent_answers_and_invites_on_postgresql(pg_app):
    world = build(pg_app)
    url = f"/en/r/{world.tokens['amina']}/feedback"

    def send(i: int) -> int:
        client = pg_app.test_client()
        return client.post(
            url, data=answers(world, s1=str(1 + i % 5), text=f"take {i}")
        ).status_code

    with ThreadPoolExecutor(THREADS) as pool:
        codes = list(pool.map(send, range(THREADS * 2)))
    assert set(codes) == {303}, codes
    with pg_app.app_context():
        assert db.session.scalar(db.select(db.func.count(FeedbackResponse.id))) == 1
        # one complete set of answers (s1, s2, the choice, the text), not a mix of several
        assert db.session.scalar(db.select(db.func.count(FeedbackAnswer.id))) == 4

    def invite(_i: int) -> int:
        client = pg_app.test_client()
        login(client, f"organiser-{world.slug}@example.org")
        return client.post(f"/en/manage/events/{world.slug}/feedback/invite").status_code

    with ThreadPoolExecutor(THREADS) as pool:
        codes = list(pool.map(invite, range(THREADS)))
    assert set(codes) == {303}, codes
    with pg_app.app_context():
        sent = sorted(e.recipient for e in outbox(db.session, kind=invites.KIND))
        assert sent == ["amina@example.org", "omar@example.org"]
        assert db.session.scalar(db.select(db.func.count(ReminderLog.id))) == 2
