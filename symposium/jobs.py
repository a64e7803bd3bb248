"""Background jobs: in-process threads by default, Celery workers when CELERY_BROKER_URL is set.

A job is a plain function named by its dotted path ("symposium.services.mail:deliver_pending")
and called with JSON-serialisable arguments inside an application context. Tests run jobs
eagerly (JOBS_EAGER) so that they are deterministic.
"""

from __future__ import annotations

import importlib
import threading
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def resolve(path: str):
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def run_job(app: Flask, path: str, args: list, kwargs: dict, *, reraise: bool = False) -> None:
    """Run a job in a fresh application context (so with its own database session)."""
    from .extensions import db

    with app.app_context():
        try:
            resolve(path)(*args, **kwargs)
        except Exception:  # noqa: BLE001 - a job's failure is logged, never crashes the app
            db.session.rollback()
            app.logger.exception("Background job %s failed", path)
            if reraise:
                raise
        finally:
            db.session.remove()


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="symposium-job")
        return _executor


def enqueue(path: str, *args, delay: float = 0, **kwargs) -> None:
    """Run ``path(*args, **kwargs)`` in the background (after ``delay`` seconds)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    resolve(path)  # fail early on a wrong name
    if app.config.get("JOBS_EAGER"):
        # Inline, in the caller's context (tests). From an after-commit hook, where the
        # caller's session cannot be used, call ``run_job`` instead (a fresh app context).
        resolve(path)(*args, **kwargs)
        return
    if app.config.get("CELERY_BROKER_URL"):
        from .celery_app import get_celery

        get_celery(app).send_task(
            "symposium.run_job", args=[path, list(args), kwargs], countdown=delay or None
        )
        return
    if delay:
        timer = threading.Timer(
            delay, lambda: _get_executor().submit(run_job, app, path, list(args), kwargs)
        )
        timer.daemon = True
        timer.start()
    else:
        _get_executor().submit(run_job, app, path, list(args), kwargs)


def wait_for_idle(timeout: float = 30) -> None:
    """Wait until in-process jobs submitted so far have finished (for CLI commands and tests)."""
    global _executor
    with _executor_lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True)
