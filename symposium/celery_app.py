"""Celery workers on Redis (or any broker): ``celery -A symposium.celery_app worker``.

Used only when CELERY_BROKER_URL is set; otherwise jobs run in-process.
"""

from __future__ import annotations

from celery import Celery
from flask import Flask

_celery: Celery | None = None
_flask_app: Flask | None = None


def get_celery(app: Flask | None = None) -> Celery:
    global _celery, _flask_app
    if _celery is None:
        if app is None:
            from . import create_app

            app = create_app()
        _flask_app = app
        broker = app.config.get("CELERY_BROKER_URL")
        _celery = Celery(
            "symposium",
            broker=broker,
            backend=app.config.get("CELERY_RESULT_BACKEND") or None,
        )
        _celery.conf.update(task_ignore_result=True, broker_connection_retry_on_startup=True)

        @_celery.task(name="symposium.run_job")
        def run(path: str, args: list, kwargs: dict, release: str | None = None) -> None:
            from .jobs import run_job

            run_job(_flask_app, path, args, kwargs, release=release)

    return _celery


def __getattr__(name: str):
    # ``celery -A symposium.celery_app worker`` looks for an attribute named ``celery`` or ``app``
    if name in {"celery", "app"}:
        return get_celery()
    raise AttributeError(name)
