"""Celery workers on Redis (or any broker): ``celery -A symposium.celery_app worker``, and the
periodic jobs (``symposium.scheduler``: the mail sweep...) with
``celery -A symposium.celery_app beat``.

Used only when CELERY_BROKER_URL is set; otherwise jobs and periodic jobs run in-process.
"""

from __future__ import annotations

from celery import Celery
from flask import Flask

from . import scheduler
from .job_runner import run_job

_celery: Celery | None = None
_flask_app: Flask | None = None

TASK = "symposium.run_job"


def beat_schedule() -> dict:
    """Every periodic job registered on ``symposium.scheduler``, as a Celery beat entry that
    runs the job's dotted path on a worker."""
    return {
        name: {"task": TASK, "schedule": job.seconds, "args": [job.path, [], {}]}
        for name, job in scheduler.periodic_jobs().items()
    }


def make_celery(app: Flask) -> Celery:
    celery = Celery(
        "symposium",
        broker=app.config.get("CELERY_BROKER_URL"),
        backend=app.config.get("CELERY_RESULT_BACKEND") or None,
    )
    celery.conf.update(
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        beat_schedule=beat_schedule(),
    )

    @celery.task(name=TASK)
    def run(path: str, args: list, kwargs: dict, release: str | None = None) -> None:
        run_job(_flask_app or app, path, args, kwargs, release=release)

    return celery


def get_celery(app: Flask | None = None) -> Celery:
    global _celery, _flask_app
    if _celery is None:
        if app is None:
            from . import create_app

            app = create_app()
        _flask_app = app
        _celery = make_celery(app)
    return _celery


def __getattr__(name: str):
    # ``celery -A symposium.celery_app worker`` looks for an attribute named ``celery`` or ``app``
    if name in {"celery", "app"}:
        return get_celery()
    raise AttributeError(name)
