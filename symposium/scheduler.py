"""Periodic jobs: ``register_periodic(name, seconds, func)``.

A periodic job is a job (``symposium.jobs``: a dotted path, run in a fresh application
context) started every ``seconds``:

- in the web process by default: a small daemon thread per application and process, started
  by the first request the process serves. So the Flask reloader's watcher process (which
  serves nothing) runs none, each gunicorn worker runs its own (the jobs must be safe to run
  concurrently, as the mail sweep is) and a worker forked after it started starts a new one;
- by Celery beat when CELERY_BROKER_URL is set (``celery_app.beat_schedule``), and then not
  in the web process;
- never in tests, unless a test sets SCHEDULER_ENABLED.

The thread only enqueues each job (coalesced: nothing is added while a run of it is still
queued), so a slow job never delays another.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

STATE_KEY = "symposium.scheduler"


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    seconds: float
    path: str


_jobs: dict[str, PeriodicJob] = {}
_lock = threading.Lock()


def register_periodic(name: str, seconds: float, func: str | Callable) -> PeriodicJob:
    """Run ``func`` (a job path "module:function", or a module-level function) every
    ``seconds``. Registering a name again replaces its job."""
    path = func if isinstance(func, str) else f"{func.__module__}:{func.__qualname__}"
    if seconds <= 0:
        raise ValueError(f"periodic job {name}: seconds must be positive")
    job = PeriodicJob(name, float(seconds), path)
    with _lock:
        _jobs[name] = job
    return job


def periodic_jobs() -> dict[str, PeriodicJob]:
    with _lock:
        return dict(_jobs)


def enabled(app: Flask) -> bool:
    return bool(app.config.get("SCHEDULER_ENABLED")) and not app.config.get("CELERY_BROKER_URL")


class _Scheduler(threading.Thread):
    def __init__(self, app: Flask):
        super().__init__(name="symposium-scheduler", daemon=True)
        self.app = app
        self.pid = os.getpid()
        self.stopping = threading.Event()

    def run(self) -> None:
        next_run: dict[str, float] = {}
        while not self.stopping.is_set():
            now = time.monotonic()
            jobs = periodic_jobs()
            for name, job in jobs.items():
                due = next_run.setdefault(name, now)  # a new job runs at once
                if due <= now:
                    next_run[name] = now + job.seconds
                    self._start(job)
            wait = min((next_run[n] for n in jobs), default=now + 1.0) - time.monotonic()
            self.stopping.wait(max(0.05, min(wait, 1.0)))

    def _start(self, job: PeriodicJob) -> None:
        from .jobs import enqueue, run_job

        app = self.app
        try:
            if app.config.get("JOBS_EAGER"):
                run_job(app, job.path, [], {})  # in this thread (tests)
            else:
                with app.app_context():
                    enqueue(job.path, coalesce=True)
        except Exception:  # noqa: BLE001 - the next tick tries again
            app.logger.exception("could not start the periodic job %s", job.name)


def init_app(app: Flask) -> None:
    """Start the scheduler with the first request this process serves (when enabled)."""
    app.extensions.setdefault(STATE_KEY, None)

    @app.before_request
    def _start_scheduler():
        ensure_started(app)


def ensure_started(app: Flask) -> bool:
    """Start this application's scheduler in this process unless it runs; True if it runs."""
    if not enabled(app):
        return False
    current = app.extensions.get(STATE_KEY)
    if current is not None and current.pid == os.getpid() and current.is_alive():
        return True
    with _lock:
        current = app.extensions.get(STATE_KEY)
        if current is None or current.pid != os.getpid() or not current.is_alive():
            current = _Scheduler(app)
            app.extensions[STATE_KEY] = current
            current.start()
    return True


def stop(app: Flask, timeout: float = 10) -> None:
    """Stop this application's scheduler (tests, shutdown)."""
    current = app.extensions.get(STATE_KEY)
    if current is not None:
        current.stopping.set()
        if current.is_alive() and current is not threading.current_thread():
            current.join(timeout)
        app.extensions[STATE_KEY] = None
