"""Running a background job: resolve its dotted path, call it in a fresh application context,
and the "queued" flags that coalesce "process everything pending" jobs.

Used by ``symposium.jobs`` (which enqueues) and by ``symposium.celery_app`` (whose worker task
runs the job); it imports neither, so that those two do not import each other.
"""

from __future__ import annotations

import importlib
import threading
import time

from flask import Flask


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
            release_flag(app, release)
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


def claim_flag(app: Flask, key: str, delay: float) -> bool:
    """Set the flag ``key``; False when it was already set (a run is queued)."""
    if app.config.get("CELERY_BROKER_URL"):
        store = _shared_store(app)
        if store is None:
            return True
        now = time.monotonic()
        claimed = app.extensions.setdefault("symposium.jobs.claimed", {})
        if claimed.get(key, 0) > now:
            # This process queued that run moments ago, ``delay`` seconds before it starts: it
            # is surely still queued (half the delay kept as a margin), no Redis round trip
            return False
        # Expires in case the run is lost (a worker killed before it started)
        ttl_ms = int((delay + 60) * 1000)
        if not store.set(key, 1, nx=True, px=ttl_ms):
            return False
        if delay > 0:
            claimed[key] = now + delay / 2
        return True
    now = time.monotonic()
    with _queued_lock:
        queued = _queued(app)
        if queued.get(key, 0) > now:
            return False
        # ... and in case it waits for a quiet moment first (job_gate)
        queued[key] = now + delay + 60 + float(app.config.get("JOBS_YIELD_SECONDS") or 0)
        return True


def release_flag(app: Flask, key: str) -> None:
    if app.config.get("CELERY_BROKER_URL"):
        app.extensions.get("symposium.jobs.claimed", {}).pop(key, None)
        store = _shared_store(app)
        if store is not None:
            store.delete(key)
        return
    with _queued_lock:
        _queued(app).pop(key, None)
