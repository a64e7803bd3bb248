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

import threading
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app

from .job_gate import wait_for_quiet
from .job_runner import _queued, claim_flag, release_flag, resolve, run_job

__all__ = ["_queued", "enqueue", "resolve", "run_job", "wait_for_idle"]

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


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
        if not claim_flag(app, release, delay):
            return
    try:
        _submit(app, path, list(args), kwargs, delay, release)
    except Exception:
        if release:
            try:
                release_flag(app, release)
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
        timer = threading.Timer(delay, _submit_now, (app, path, args, kwargs, release))
        timer.daemon = True
        timer.start()
    else:
        _submit_now(app, path, args, kwargs, release)


def _submit_now(app: Flask, path: str, args: list, kwargs: dict, release) -> None:
    """Start an in-process job now. A process that is stopping (gunicorn recycling a worker)
    refuses new work: the job's work stays owed and the periodic sweep of another process
    takes it, so this is logged, not raised (in a timer thread, or in the after-commit hook
    of the last job the stopping process finishes)."""
    try:
        _get_executor().submit(_run_in_process, app, path, args, kwargs, release)
    except RuntimeError:  # "cannot schedule new futures after (interpreter) shutdown"
        app.logger.info("process stopping: %s left to the periodic sweep", path)
        if release:
            try:
                release_flag(app, release)
            except Exception:  # noqa: BLE001 - the flag expires by itself
                app.logger.exception("could not clear the queued flag %s", release)


def _run_in_process(app: Flask, path: str, args: list, kwargs: dict, release) -> None:
    """An in-process job: it first gives way to the requests of this process
    (``job_gate``: at most JOBS_YIELD_SECONDS), then runs. Its coalescing flag stays set
    while it waits, so the commits of a surge add nothing to the queue."""
    try:
        wait_for_quiet(app)
    except Exception:  # noqa: BLE001 - never lose the run over the gauge
        app.logger.exception("could not wait for a quiet moment before %s", path)
    run_job(app, path, args, kwargs, release=release)


def wait_for_idle(timeout: float = 30) -> None:
    """Wait until in-process jobs submitted so far have finished (for CLI commands and tests)."""
    global _executor
    with _executor_lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True)


_after_commit_jobs: set[str] = set()


def run_after_commit(flag: str, path: str, *, delay_setting: str | None = None) -> None:
    """After every commit of ``db.session`` whose work set ``session.info[flag]``, run the
    "process everything pending" job ``path``: inline in tests (``JOBS_EAGER``, in a fresh app
    context, as the committed session cannot be used from its own hook), else enqueued and
    coalesced (after the ``delay_setting`` seconds, when given). A rolled-back transaction
    clears the flag; a released savepoint leaves it to the real commit. Installed once per flag;
    a failure to start the job is logged (the periodic sweep does the work later)."""
    from sqlalchemy import event as sa_event

    from .extensions import db

    if flag in _after_commit_jobs:
        return
    _after_commit_jobs.add(flag)

    @sa_event.listens_for(db.session, "after_commit")
    def after_commit(session):
        if session.in_nested_transaction() or not session.info.pop(flag, False):
            return
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            if app.config.get("JOBS_EAGER"):
                run_job(app, path, [], {}, reraise=True)
            else:
                delay = float(app.config.get(delay_setting) or 0) if delay_setting else 0
                enqueue(path, delay=delay, coalesce=True)
        except Exception:  # noqa: BLE001 - the work stays owed; the periodic sweep takes it
            app.logger.exception("could not start the job %s after a commit", path)

    @sa_event.listens_for(db.session, "after_transaction_end")
    def after_transaction_end(session, transaction):
        if transaction.parent is None and not transaction.nested:
            session.info.pop(flag, None)
