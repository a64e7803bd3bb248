"""Requests first: in-process background jobs give way to the requests of their process.

With the embedded default (no Celery), a job (rendering and sending the registration emails,
the periodic sweeps) runs in a thread of a web process, on the same CPU and under the same
interpreter lock as the requests that process serves. When registration opens and hundreds
register at once, rendering and sending their emails in the middle of the surge would take
from the registrations themselves the CPU they need: each email costs about as much as the
registration that owes it.

So an in-process job waits, before it starts, for a quiet moment of its process: no request
being served and none ended in the last ``JOBS_QUIET_SECONDS``. During a surge the owed work
piles up safely in the database (a notice, an outbox row) and goes out once the surge ebbs,
or after ``JOBS_YIELD_SECONDS`` at the latest, whatever the load. ``JOBS_YIELD_SECONDS=0``
turns the waiting off. Celery workers (other processes, other machines) never wait.

The gauge is a WSGI middleware counting the requests in flight (a lock and two integers per
request); each process (each gunicorn worker) has its own, since each has its own CPU share.
"""

from __future__ import annotations

import threading
import time

from flask import Flask

GAUGE_KEY = "symposium.request_gauge"
POLL_SECONDS = 0.02


class RequestGauge:
    """WSGI middleware: how many requests this process is serving, and when the last ended."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self._lock = threading.Lock()
        self.in_flight = 0
        self.last_end = 0.0  # time.monotonic() when the last request ended

    def __call__(self, environ, start_response):
        with self._lock:
            self.in_flight += 1
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            with self._lock:
                self.in_flight -= 1
                self.last_end = time.monotonic()

    def quiet_for(self, clock=time.monotonic) -> float:
        """Seconds since this process last served a request (0 while one is served)."""
        with self._lock:
            if self.in_flight:
                return 0.0
            return clock() - self.last_end


def init_app(app: Flask) -> None:
    """Count this application's requests (in-process jobs only: Celery workers never wait)."""
    if app.config.get("CELERY_BROKER_URL") or app.config.get("JOBS_EAGER"):
        return
    gauge = RequestGauge(app.wsgi_app)
    app.wsgi_app = gauge  # type: ignore[method-assign]
    app.extensions[GAUGE_KEY] = gauge


def wait_for_quiet(app: Flask, *, sleep=time.sleep, clock=time.monotonic) -> float:
    """Block until ``app``'s process is quiet (see the module's text), at most
    ``JOBS_YIELD_SECONDS``; returns the seconds waited."""
    gauge: RequestGauge | None = app.extensions.get(GAUGE_KEY)
    limit = float(app.config.get("JOBS_YIELD_SECONDS") or 0)
    if gauge is None or limit <= 0:
        return 0.0
    quiet = float(app.config.get("JOBS_QUIET_SECONDS") or 0)
    start = clock()
    while True:
        waited = clock() - start
        if waited >= limit:
            return waited
        idle = gauge.quiet_for(clock)
        if gauge.in_flight == 0 and idle >= quiet:
            return waited
        # Sleep until the quiet time would be reached (or a poll while requests run)
        sleep(min(max(quiet - idle, POLL_SECONDS), limit - waited))
