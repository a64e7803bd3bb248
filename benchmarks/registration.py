"""Registration throughput against the trivial route, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/registration.py [--requests 2000] [--concurrency 8] [--workers 4]

For each database the app is served by gunicorn (sync workers, 127.0.0.1, a free port,
RATELIMIT_ENABLED=false, emails delivered in the background to an SMTP sink started here),
then a bounded load generator (threads + http.client, one connection per request) sends
``--requests`` GETs to /api/ping and ``--requests`` registration POSTs (each with a unique
email) and prints requests per second and the ratio. CSRF stays ON: every client thread
fetches the form once and reuses its session cookie and token, as a browser would.
PostgreSQL is used when reachable at BENCH_POSTGRES_URL
(default postgresql://postgres@127.0.0.1:5432/test): a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLUG = "bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_smtp_sink():
    from aiosmtpd.controller import Controller

    class Sink:
        count = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
            Sink.count += 1
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, Sink


def prepare_database(url: str) -> None:
    """Create the schema and one open event (no capacity limit, two languages)."""
    from datetime import date

    from symposium import create_app
    from symposium.extensions import db
    from symposium.models import Event

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.add(
            Event(
                slug=SLUG,
                timezone="Asia/Riyadh",
                starts_on=date(2027, 1, 24),
                ends_on=date(2027, 1, 24),
                title={"en": "Benchmark symposium", "ar": "ندوة القياس"},
                capacity=None,
                status="published",
                registration_open=True,
            )
        )
        db.session.commit()
        db.engine.dispose()


def serve(url: str, port: int, workers: int, smtp_port: int, tmp: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        SECRET_KEY="bench-secret",
        RATELIMIT_ENABLED="false",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_port),
        STORAGE_DIR=str(tmp / "storage"),
        SYMPOSIUM_BASE_URL=f"http://127.0.0.1:{port}",
    )
    env.pop("CELERY_BROKER_URL", None)
    proc = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "symposium:create_app()",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            status, _body, _h = request(port, "GET", "/api/ping")
            if status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise RuntimeError("gunicorn did not start")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def request(port: int, method: str, path: str, body: bytes | None = None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, data, response.getheaders()
    finally:
        conn.close()


def csrf_session(port: int) -> tuple[str, str]:
    status, body, headers = request(port, "GET", f"/en/events/{SLUG}/register")
    assert status == 200, status
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
    cookie = next(v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie")
    return token.decode(), cookie


def run_load(port: int, total: int, concurrency: int, kind: str, run_id: str) -> dict:
    counter = iter(range(total))
    lock = threading.Lock()
    statuses: dict[int, int] = {}

    def worker(n: int) -> None:
        token = cookie = None
        if kind == "register":
            token, cookie = csrf_session(port)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            if kind == "ping":
                status, _b, _h = request(port, "GET", "/api/ping")
            else:
                form = urllib.parse.urlencode(
                    {
                        "csrf_token": token,
                        "full_name": f"مشارك {run_id} {i}",
                        "email": f"bench-{run_id}-{i}@example.org",
                        "organisation": "Benchmark",
                        "country": "SA",
                        "preferred_language": "ar",
                        "attendance_mode": "in_person",
                        "consent": "y",
                    }
                ).encode()
                status, _b, _h = request(
                    port,
                    "POST",
                    f"/en/events/{SLUG}/register",
                    form,
                    {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
                )
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {"rps": total / elapsed, "seconds": elapsed, "statuses": statuses}


def bench(label: str, url: str, args, smtp) -> dict | None:
    controller, _sink = smtp
    tmp = Path(tempfile.mkdtemp(prefix="symposium-bench-"))
    prepare_database(url)
    port = free_port()
    proc = serve(url, port, args.workers, controller.port, tmp)
    try:
        run_load(port, min(200, args.requests), args.concurrency, "ping", "warm")  # warm-up
        ping = run_load(port, args.requests, args.concurrency, "ping", "p")
        reg = run_load(port, args.requests, args.concurrency, "register", str(int(time.time())))
    finally:
        stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    ok = reg["statuses"].get(303, 0)
    print(
        f"{label:<11} ping {ping['rps']:8.1f} req/s | register {reg['rps']:8.1f} req/s "
        f"({ok} x 303) | ratio {reg['rps'] / ping['rps']:.2f}"
    )
    if set(reg["statuses"]) != {303} or set(ping["statuses"]) != {200}:
        print(f"{'':<11} unexpected statuses: ping {ping['statuses']} register {reg['statuses']}")
    return {"ping": ping, "register": reg}


def postgres_scratch(base_url: str):
    import psycopg

    name = f"symposium_bench_{os.getpid()}"
    try:
        with psycopg.connect(base_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - no server: skip PostgreSQL
        print(f"PostgreSQL   skipped: {exc.__class__.__name__}: {str(exc).strip()[:120]}")
        return None, None
    parts = urllib.parse.urlsplit(base_url)
    url = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))

    def drop():
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url, drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    print(
        f"{args.requests} requests per measurement, concurrency {args.concurrency}, "
        f"gunicorn {args.workers} sync workers, CSRF on, rate limit off, "
        f"emails delivered in the background to a local SMTP sink"
    )
    smtp = start_smtp_sink()
    try:
        tmp = Path(tempfile.mkdtemp(prefix="symposium-bench-db-"))
        try:
            bench("SQLite", f"sqlite:///{tmp / 'bench.sqlite3'}", args, smtp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        url, drop = postgres_scratch(
            os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        )
        if url:
            try:
                bench("PostgreSQL", url, args, smtp)
            finally:
                drop()
        time.sleep(1)
        print(f"emails received by the SMTP sink: {smtp[1].count}")
    finally:
        smtp[0].stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
