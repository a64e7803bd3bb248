"""Background jobs: in-process threads by default, Celery workers when CELERY_BROKER_URL is set.

A job is a plain function named by its dotted path ("symposium.services.mail:deliver_pending")
and called with JSON-serialisable arguments inside an application context. Tests run jobs
eagerly (JOBS_EAGER) so that they are deterministic.

``coalesce=True`` is for jobs that process "everything pending" (render the owed emails,
deliver the outbox): while one run of the job is queued and not started, enqueueing it again
does nothing, since that run will serve every commit made before it starts. In-process the
flag is per web process; with Celery on a Redis broker it is a Redis key (SET NX, with an
expiry so that a lost run cannot block the job), shared by all web processes.
"""

from __future__ import annotations

import importlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def resolve(path: str):
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def run_job(
    app: Flask,
    path: str,
    args: list,
    kwargs: dict,
    *,
    reraise: bool = False,
    release: str | None = None,
) -> None:
    """Run a job in a fresh application context (so with its own database session).

    ``release`` names the coalescing flag of the run: it is cleared as the run starts, so a
    commit made from now on queues another run."""
    from .extensions import db

    if release:
        try:
            _release(app, release)
        except Exception:  # noqa: BLE001 - the run goes on; the flag expires by itself
            app.logger.exception("could not clear the queued flag %s", release)
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


def enqueue(path: str, *args, delay: float = 0, coalesce: bool = False, **kwargs) -> None:
    """Run ``path(*args, **kwargs)`` in the background (after ``delay`` seconds).

    With ``coalesce``, nothing is queued while a run of the same job is waiting to start."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    resolve(path)  # fail early on a wrong name
    if app.config.get("JOBS_EAGER"):
        # Inline, in the caller's context (tests). From an after-commit hook, where the
        # caller's session cannot be used, call ``run_job`` instead (a fresh app context).
        resolve(path)(*args, **kwargs)
        return
    release = None
    if coalesce:
        release = f"symposium:queued:{path}"
        if not _claim(app, release, delay):
            return
    try:
        _submit(app, path, list(args), kwargs, delay, release)
    except Exception:
        if release:
            try:
                _release(app, release)
            except Exception:  # noqa: BLE001 - the flag expires; the first error matters
                app.logger.exception("could not clear the queued flag %s", release)
        raise


def _submit(app: Flask, path: str, args: list, kwargs: dict, delay: float, release) -> None:
    if app.config.get("CELERY_BROKER_URL"):
        from .celery_app import get_celery

        get_celery(app).send_task(
            "symposium.run_job",
            args=[path, args, kwargs],
            kwargs={"release": release} if release else None,
            countdown=delay or None,
        )
        return
    if delay:
        timer = threading.Timer(
            delay,
            lambda: _get_executor().submit(run_job, app, path, args, kwargs, release=release),
        )
        timer.daemon = True
        timer.start()
    else:
        _get_executor().submit(run_job, app, path, args, kwargs, release=release)


# --------------------------------------------------------------------------- coalescing flags

_queued_lock = threading.Lock()
_redis_clients: dict[str, object] = {}


def _queued(app: Flask) -> dict[str, float]:
    """In-process flags of this application: key -> expiry (monotonic clock)."""
    return app.extensions.setdefault("symposium.jobs.queued", {})


def _shared_store(app: Flask):
    """The Redis client of the Celery broker, when jobs go to Celery on Redis (else None:
    no flag is shared between processes, and Celery runs are not coalesced)."""
    broker = app.config.get("CELERY_BROKER_URL") or ""
    if not broker.startswith(("redis://", "rediss://", "unix://")):
        return None
    client = _redis_clients.get(broker)
    if client is None:
        import redis

        client = _redis_clients[broker] = redis.Redis.from_url(broker)
    return client


def _claim(app: Flask, key: str, delay: float) -> bool:
    """Set the flag ``key``; False when it was already set (a run is queued)."""
    if app.config.get("CELERY_BROKER_URL"):
        store = _shared_store(app)
        if store is None:
            return True
        # Expires in case the run is lost (a worker killed before it started)
        ttl_ms = int((delay + 60) * 1000)
        return bool(store.set(key, 1, nx=True, px=ttl_ms))
    now = time.monotonic()
    with _queued_lock:
        queued = _queued(app)
        if queued.get(key, 0) > now:
            return False
        queued[key] = now + delay + 60
        return True


def _release(app: Flask, key: str) -> None:
    if app.config.get("CELERY_BROKER_URL"):
        store = _shared_store(app)
        if store is not None:
            store.delete(key)
        return
    with _queued_lock:
        _queued(app).pop(key, None)


def wait_for_idle(timeout: float = 30) -> None:
    """Wait until in-process jobs submitted so far have finished (for CLI commands and tests)."""
    global _executor
    with _executor_lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True)
