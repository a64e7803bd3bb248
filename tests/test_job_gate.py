"""Requests first: in-process jobs wait for a quiet moment of their web process
(symposium/job_gate.py), at most JOBS_YIELD_SECONDS; Celery and eager runs never wait."""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask

from symposium import create_app, job_gate, jobs


@pytest.fixture
def gated(tmp_path):
    """An app with in-process (not eager) jobs: its requests are counted."""
    app = create_app(
        {
            "TESTING": True,
            "JOBS_EAGER": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'gate.sqlite3'}",
            "STORAGE_DIR": str(tmp_path / "storage"),
            "JOBS_YIELD_SECONDS": 5,
            "JOBS_QUIET_SECONDS": 0.05,
        }
    )

    @app.get("/slow")
    def slow():
        app.config["_entered"].set()
        app.config["_release"].wait(5)
        return "done"

    app.config.update(_entered=threading.Event(), _release=threading.Event())
    return app


def _in_background(target, *args):
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def test_the_gauge_counts_the_requests_in_flight(gated):
    gauge = gated.extensions[job_gate.GAUGE_KEY]
    assert gauge.in_flight == 0
    request = _in_background(lambda: gated.test_client().get("/slow"))
    assert gated.config["_entered"].wait(5)
    assert gauge.in_flight == 1
    assert gauge.quiet_for() == 0.0
    gated.config["_release"].set()
    request.join(5)
    assert gauge.in_flight == 0
    assert 0 <= gauge.quiet_for() < 5


def test_a_job_waits_while_a_request_is_served_then_runs(gated, monkeypatch):
    ran = threading.Event()
    monkeypatch.setattr(jobs, "run_job", lambda *args, **kwargs: ran.set())
    request = _in_background(lambda: gated.test_client().get("/slow"))
    assert gated.config["_entered"].wait(5)
    job = _in_background(jobs._run_in_process, gated, "x:y", [], {}, None)
    assert not ran.wait(0.3)  # the request is still being served: the job waits
    gated.config["_release"].set()
    request.join(5)
    assert ran.wait(2)  # quiet again (50 ms): it runs
    job.join(5)


def test_a_job_waits_at_most_the_yield_time_whatever_the_load(gated, monkeypatch):
    gated.config.update(JOBS_YIELD_SECONDS=0.3)
    ran = threading.Event()
    monkeypatch.setattr(jobs, "run_job", lambda *args, **kwargs: ran.set())
    request = _in_background(lambda: gated.test_client().get("/slow"))
    assert gated.config["_entered"].wait(5)
    started = time.monotonic()
    jobs._run_in_process(gated, "x:y", [], {}, None)  # the request never ends meanwhile
    assert ran.is_set()
    assert 0.25 <= time.monotonic() - started < 2
    gated.config["_release"].set()
    request.join(5)


def test_a_quiet_process_runs_its_jobs_at_once(gated):
    gated.extensions[job_gate.GAUGE_KEY].last_end = time.monotonic() - 1
    assert job_gate.wait_for_quiet(gated) < 0.05


def test_the_wait_is_simulated_exactly(gated):
    """With a fake clock: a request ended 250 ms ago, so the job sleeps the 250 ms left of
    the quiet time (500 ms here), then runs."""
    gated.config.update(JOBS_QUIET_SECONDS=0.5)
    gauge = gated.extensions[job_gate.GAUGE_KEY]
    now = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 3))
        now[0] += seconds

    gauge.last_end = 99.75
    waited = job_gate.wait_for_quiet(gated, sleep=sleep, clock=lambda: now[0])
    assert slept == [0.25]
    assert waited == 0.25


def test_zero_turns_the_waiting_off(gated):
    gated.config.update(JOBS_YIELD_SECONDS=0)
    gauge = gated.extensions[job_gate.GAUGE_KEY]
    gauge.in_flight = 1  # busy for ever
    assert job_gate.wait_for_quiet(gated) == 0.0


def test_eager_and_celery_apps_count_nothing(tmp_path):
    for config in ({"JOBS_EAGER": True}, {"JOBS_EAGER": False, "CELERY_BROKER_URL": "redis://x"}):
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'n.sqlite3'}",
                **config,
            }
        )
        assert job_gate.GAUGE_KEY not in app.extensions
        assert not isinstance(app.wsgi_app, job_gate.RequestGauge)
        assert job_gate.wait_for_quiet(app) == 0.0


def test_a_broken_gauge_never_loses_the_run(gated, monkeypatch):
    ran = []
    monkeypatch.setattr(jobs, "run_job", lambda *args, **kwargs: ran.append(args[1]))

    def broken(app):
        raise RuntimeError("gauge broke")

    monkeypatch.setattr(jobs, "wait_for_quiet", broken)
    jobs._run_in_process(gated, "x:y", [], {}, None)
    assert ran == ["x:y"]


def test_a_waiting_run_keeps_its_flag_so_a_surge_queues_one_run(gated, monkeypatch):
    """While the run waits for a quiet moment, the commits of the surge coalesce into it."""
    submitted = []
    monkeypatch.setattr(
        jobs, "_submit", lambda app, path, args, kwargs, delay, release: submitted.append(release)
    )
    path = "symposium.services.mail:deliver_pending"
    with gated.app_context():
        for _ in range(50):
            jobs.enqueue(path, coalesce=True)
    assert submitted == [f"symposium:queued:{path}"]
    expiry = jobs._queued(gated)[submitted[0]]
    assert expiry - time.monotonic() > 60 + 5 - 1  # covers the yield time too


def test_the_gauge_is_a_plain_wsgi_middleware():
    app = Flask("plain")
    app.config.update(JOBS_YIELD_SECONDS=1)
    job_gate.init_app(app)
    app.get("/")(lambda: "ok")
    assert app.test_client().get("/").data == b"ok"
    assert app.extensions[job_gate.GAUGE_KEY].in_flight == 0
