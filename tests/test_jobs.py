"""Background jobs: coalescing of "process everything pending" jobs, in-process and on Redis."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from symposium import jobs

PATH = "symposium.services.mail:deliver_pending"
KEY = f"symposium:queued:{PATH}"


@pytest.fixture
def submitted(app, monkeypatch):
    calls = []
    monkeypatch.setattr(
        jobs, "_submit", lambda app, path, args, kwargs, delay, release: calls.append(release)
    )
    app.config.update(JOBS_EAGER=False)
    return calls


def test_a_queued_run_serves_later_commits_until_it_starts(app, submitted):
    with app.app_context():
        jobs.enqueue(PATH, coalesce=True)
        jobs.enqueue(PATH, coalesce=True, delay=1)
        assert submitted == [KEY]  # the second one is served by the first run
        jobs.enqueue(PATH)  # not coalesced: always queued
        assert submitted == [KEY, None]
    jobs.run_job(app, PATH, [], {}, release=KEY)  # the run starts: the flag is cleared
    with app.app_context():
        jobs.enqueue(PATH, coalesce=True)
    assert submitted == [KEY, None, KEY]


def test_a_lost_run_does_not_block_the_job_for_ever(app, submitted, monkeypatch):
    with app.app_context():
        jobs.enqueue(PATH, coalesce=True)
        jobs._queued(app)[KEY] = 0  # its expiry has passed: that run was lost
        jobs.enqueue(PATH, coalesce=True)
    assert submitted == [KEY, KEY]


def test_a_failed_submission_clears_the_flag(app, monkeypatch):
    app.config.update(JOBS_EAGER=False)

    def broken(*args):
        raise OSError("broker down")

    monkeypatch.setattr(jobs, "_submit", broken)
    with app.app_context(), pytest.raises(OSError):
        jobs.enqueue(PATH, coalesce=True)
    assert KEY not in jobs._queued(app)


def test_flags_belong_to_one_application(app, submitted, tmp_path):
    """Two apps in one process (tests, several sites): a run queued by one never swallows
    the other's."""
    from symposium import create_app

    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/o.db"})
    other.config.update(JOBS_EAGER=False)
    with app.app_context():
        jobs.enqueue(PATH, coalesce=True)
    with other.app_context():
        jobs.enqueue(PATH, coalesce=True)
    assert submitted == [KEY, KEY]


def test_celery_runs_are_coalesced_across_processes_with_a_redis_key(app, monkeypatch):
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: no Redis for this test (.ci/run sets it)")
    import redis

    broker = url.rsplit("/", 1)[0] + "/12"
    store = redis.Redis.from_url(broker)
    try:
        store.flushdb()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis at TEST_REDIS_URL is not reachable: {exc}")
    from symposium import celery_app

    sent = []

    class FakeCelery:
        def send_task(self, name, args, kwargs=None, countdown=None):
            sent.append((name, args, kwargs, countdown))

    monkeypatch.setattr(celery_app, "get_celery", lambda app=None: FakeCelery())
    app.config.update(JOBS_EAGER=False, CELERY_BROKER_URL=broker)
    try:
        with app.app_context():
            jobs.enqueue(PATH, coalesce=True, delay=2)
            jobs.enqueue(PATH, coalesce=True, delay=2)  # another web process would see it too
        assert sent == [("symposium.run_job", [PATH, [], {}], {"release": KEY}, 2)]
        assert store.exists(KEY) and 0 < store.pttl(KEY) <= 62_000
        jobs.run_job(app, PATH, [], {}, release=KEY)  # what the worker's task does first
        assert not store.exists(KEY)
        with app.app_context():
            jobs.enqueue(PATH, coalesce=True)
        assert len(sent) == 2
    finally:
        store.flushdb()


def test_a_delayed_start_in_a_stopping_process_is_left_to_the_sweep(app, monkeypatch, caplog):
    """gunicorn recycles a worker while a delayed job waits: its executor refuses new work.
    The timer thread neither raises nor keeps the job's flag (another process may start it)."""

    class Stopped:
        def submit(self, *args, **kwargs):
            raise RuntimeError("cannot schedule new futures after interpreter shutdown")

    monkeypatch.setattr(jobs, "_get_executor", lambda: Stopped())
    caplog.set_level("INFO")
    with app.app_context():
        assert jobs.claim_flag(app, KEY, 0)
    jobs._submit_now(app, PATH, [], {}, KEY)  # no exception
    assert KEY not in jobs._queued(app)
    assert "left to the periodic sweep" in caplog.text


def test_an_immediate_start_in_a_stopping_process_is_left_to_the_sweep(app, monkeypatch, caplog):
    """The last job a stopping worker finishes commits, and its after-commit hook starts the
    next job: refused without an error (logged), the flag cleared, the work left owed."""

    class Stopped:
        def submit(self, *args, **kwargs):
            raise RuntimeError("cannot schedule new futures after shutdown")

    monkeypatch.setattr(jobs, "_get_executor", lambda: Stopped())
    app.config.update(JOBS_EAGER=False)
    caplog.set_level("INFO")
    with app.app_context():
        jobs.enqueue(PATH, coalesce=True)  # no exception
    assert KEY not in jobs._queued(app)
    assert "left to the periodic sweep" in caplog.text


def test_a_celery_run_queued_by_this_process_moments_ago_needs_no_redis_call(app, monkeypatch):
    """A registration surge: the first commit of the second queues the delayed run (one SET NX
    in Redis); the next commits of this process within half the delay know it is still queued
    without asking Redis; after that they ask again."""

    class Store:
        calls = 0
        held = False

        def set(self, key, value, nx, px):
            Store.calls += 1
            if Store.held:
                return False
            Store.held = True
            return True

    clock = [1000.0]
    monkeypatch.setattr("symposium.job_runner.time", SimpleNamespace(monotonic=lambda: clock[0]))
    monkeypatch.setattr("symposium.job_runner._shared_store", lambda app: Store())
    app.config.update(CELERY_BROKER_URL="redis://example.invalid/0")
    assert jobs.claim_flag(app, KEY, 1.0) is True
    for _ in range(100):
        assert jobs.claim_flag(app, KEY, 1.0) is False
    assert Store.calls == 1
    clock[0] += 0.6  # past half the delay: Redis is asked again (the flag is still set there)
    assert jobs.claim_flag(app, KEY, 1.0) is False
    assert Store.calls == 2
