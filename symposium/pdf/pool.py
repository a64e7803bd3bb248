"""Bulk rendering across CPU cores: a persistent pool of warmed worker processes.

Only bulk generation uses it (certificates ``generate_all``, the CLI); a request renders in
its own process. Workers are started with ``spawn`` (no fork of a threaded web process),
warm their fonts once, then serve :class:`~symposium.pdf.engine.Batch` objects for the life
of the parent process. Results come back in submission order. If a worker dies the pool is
discarded and the remaining batches are rendered in-process, so a job never half-fails
because of the pool.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from . import engine

log = logging.getLogger(__name__)
MAX_AUTO_WORKERS = 4

_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None
_size = 0


def auto_workers() -> int:
    """Workers when PDF_WORKERS is unset or 0: the usable CPUs, at most 4."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_AUTO_WORKERS))


def parse_workers(value) -> int:
    """PDF_WORKERS: 0 / "" / None / "auto" = one per CPU (max 4); 1 = in-process only."""
    if value in (None, "", "auto"):
        return auto_workers()
    try:
        number = int(value)
    except (TypeError, ValueError):
        return auto_workers()
    return auto_workers() if number <= 0 else number


def can_use_processes() -> bool:
    """Daemonic processes (e.g. Celery prefork workers) may not start children."""
    return not multiprocessing.current_process().daemon


def _executor_for(workers: int, warm_args: tuple) -> ProcessPoolExecutor:
    global _executor, _size
    with _lock:
        if _executor is not None and _size != workers:
            _executor.shutdown(wait=True, cancel_futures=True)
            _executor = None
        if _executor is None:
            _executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=engine.warm,
                initargs=warm_args,
            )
            _size = workers
        return _executor


def running(workers: int) -> bool:
    """Whether a pool of ``workers`` processes is already started (warm)."""
    with _lock:
        return _executor is not None and _size == workers


def shutdown() -> None:
    """Stop the worker processes (also done at exit)."""
    global _executor, _size
    with _lock:
        if _executor is not None:
            _executor.shutdown(wait=True, cancel_futures=True)
        _executor = None
        _size = 0


atexit.register(shutdown)


def _discard(executor: ProcessPoolExecutor) -> None:
    global _executor, _size
    with _lock:
        if _executor is executor:
            _executor = None
            _size = 0
    executor.shutdown(wait=False, cancel_futures=True)


def map_batches(
    batches: Iterable[engine.Batch | engine.Layered], workers: int
) -> Iterator[list[bytes]]:
    """Render ``batches`` (lazily consumed) and yield each one's PDFs, in order.

    With ``workers`` > 1 the batches go to the process pool (at most two in flight per
    worker, so memory stays bounded and the caller prepares the next batches meanwhile);
    otherwise, or once the pool has broken, they are rendered in this process.
    """
    iterator = iter(batches)
    if workers <= 1 or not can_use_processes():
        for batch in iterator:
            yield engine.run_job(batch)
        return
    pending: deque = deque()
    executor: ProcessPoolExecutor | None = None
    broken = False
    for batch in iterator:
        if not broken:
            try:
                if executor is None:
                    plain = batch.names if isinstance(batch, engine.Layered) else batch
                    warm_args = (plain.base_url, plain.roots, plain.fonts_css)
                    executor = _executor_for(workers, warm_args)
                pending.append((batch, executor.submit(engine.run_job, batch)))
            except BrokenProcessPool:
                broken = True
        if broken:
            while pending:
                yield _result(executor, *pending.popleft())
            yield engine.run_job(batch)
            continue
        while len(pending) >= 2 * workers:
            yield _result(executor, *pending.popleft())
    while pending:
        yield _result(executor, *pending.popleft())


def _result(executor, batch: engine.Batch | engine.Layered, future) -> list[bytes]:
    try:
        return future.result()
    except BrokenProcessPool:
        log.warning("a PDF worker process died; rendering the batch in-process")
        _discard(executor)
        return engine.run_job(batch)
