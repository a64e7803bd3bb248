"""What a visitor costs: the registration path against its floors, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/registration.py [--duration 10] [--connections 8]
        [--workers 5] [--worker-class sync] [--threads 1] [--python-client] [--celery]

For each database the app is served by gunicorn (127.0.0.1, a free port, the production
settings of docs/registration.md: 2 x cores + 1 sync workers by default), with
RATELIMIT_ENABLED=false and emails rendered and delivered in the background, by the web
processes' own job threads, to an SMTP sink started here. The same load generator then runs,
for the same time with the same connections, in one run of the server per database:

- ``ping``: GET /api/ping, the stack's floor;
- ``home``: GET the event's home page, the "plain page render" (a full template render of the
  same family as the form; wrk sends no If-None-Match, so it is rendered every time);
- ``form``: GET the registration form;
- ``honeypot``: registration POSTs with the honeypot field filled (CSRF, the whole form and the
  event are checked, nothing is stored): the floor of a registration POST;
- ``register``: registration POSTs (each with a unique email; CSRF stays ON: a session cookie
  and its token are fetched per client thread first, as a browser would) -- "POST-only";
- ``flow``: virtual visitors, each GETs the form (its own new session cookie and CSRF token,
  parsed from the answer) then POSTs a registration with them; visitors per second;
- with wrk, ``api``: the same registrations through the REST API (a token, no CSRF).

It prints requests per second of each and every ratio: registration POST / honeypot POST,
form GET / plain page GET, flow visitors against the same visitor's floor (a plain page and a
honeypot POST) and against its parts (a form GET and a registration POST). A rate ratio of
0.83 is a cost of 1.2 x the floor (issue 14's target).

The load generator is ``wrk`` (Debian package ``wrk``; C, cheap, so it steals little CPU from
the server on a small machine), driven by benchmarks/registration.lua (flow mode: one wrk
thread per connection, as the GET-then-POST state is per thread); without wrk (or with
``--python-client``) threads with http.client send ``--requests`` requests instead (flow:
``--requests / 2`` visitors). Every run is bounded in time (``--duration``, and a request cap)
and only talks to 127.0.0.1.

Email work: renderings and deliveries that happen during a measured window load the same
CPUs and are included in the register and flow figures. The emails still owed when a window
ends are not; the script then waits for every one to reach the SMTP sink and prints a second
figure, "with emails": registrations / (window + time to deliver the remaining emails).
PostgreSQL is used when reachable at BENCH_POSTGRES_URL
(default postgresql://postgres@127.0.0.1:5432/test): a scratch database is created and dropped.

``--celery`` adds a run per database in the at-scale configuration: the web processes queue
their jobs in Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/13, flushed) and a real
``celery -A symposium.celery_app worker`` sends the emails. The worker runs for the warm-up,
is stopped during the measured windows and started after each registration window, as if the
workers had machines of their own: the figures are then the web tier's alone, and "with
emails" counts the time the worker takes to deliver the backlog afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import json
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
        last = 0.0
        runs: dict[str, int] = {}  # emails received per benchmark run id

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
            Sink.count += 1
            Sink.last = time.perf_counter()
            for rcpt in envelope.rcpt_tos:
                run = rcpt.split("-")[1] if rcpt.startswith("bench-") else ""
                Sink.runs[run] = Sink.runs.get(run, 0) + 1
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, Sink


def prepare_database(url: str) -> str:
    """Create the schema and one open event (no capacity limit, two languages), with an
    organiser and a write API token for it; returns the token."""
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
        db.session.flush()
        from symposium.auth.services import create_user
        from symposium.services.api_tokens import create_token

        user = create_user(db.session, "bench@example.org", "bench-password-long", "organiser")
        user.events.append(db.session.scalar(db.select(Event).where(Event.slug == SLUG)))
        token = create_token(db.session, user, "bench", "write").secret
        db.session.commit()
        db.engine.dispose()
        return token


def server_env(url: str, port: int, smtp_port: int, tmp: Path, broker: str | None) -> dict:
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
    if broker:
        env["CELERY_BROKER_URL"] = broker
    return env


def start_celery_worker(env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
            [
                str(Path(sys.executable).parent / "celery"),
                *("-A", "symposium.celery_app", "worker", "--concurrency", "2"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                *("--loglevel", "warning"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def serve(url: str, port: int, args, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            "--keep-alive",
            "5",
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


KINDS_GET = {
    "ping": "/api/ping",
    "home": f"/en/events/{SLUG}/",
    "form": f"/en/events/{SLUG}/register",
}


def registration_fields(run_id: str, i, token: str, honeypot: bool = False) -> dict:
    """The registration form's fields as a browser sends them (a unique email per i)."""
    form = {
        "csrf_token": token,
        "full_name": f"مشارك {run_id} {i}",
        "email": f"bench-{run_id}-{i}@example.org",
        "organisation": "Benchmark",
        "country": "SA",
        "preferred_language": "ar",
        "attendance_mode": "in_person",
        "consent": "y",
    }
    if honeypot:
        form["website"] = "https://spam.example"
    return form


def registration_form(run_id: str, i, token: str, honeypot: bool = False) -> bytes:
    return urllib.parse.urlencode(registration_fields(run_id, i, token, honeypot)).encode()


def post_registration(port: int, body: bytes, cookie: str) -> int:
    status, _b, _h = request(
        port,
        "POST",
        f"/en/events/{SLUG}/register",
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    return status


def run_load(port: int, total: int, concurrency: int, kind: str, run_id: str) -> dict:
    """The Python client: ``total`` requests (flow: ``total // 2`` visitors, each a GET of the
    form then a POST) from ``concurrency`` threads."""
    counter = iter(range(total // 2 if kind == "flow" else total))
    lock = threading.Lock()
    statuses: dict[int, int] = {}
    visitors = 0

    def worker(n: int) -> None:
        nonlocal visitors
        token = cookie = None
        if kind in ("register", "honeypot"):
            token, cookie = csrf_session(port)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            if kind in KINDS_GET:
                status, _b, _h = request(port, "GET", KINDS_GET[kind])
            elif kind == "flow":
                token, cookie = csrf_session(port)  # a new visitor: their own cookie and token
                status = post_registration(port, registration_form(run_id, i, token), cookie)
                with lock:
                    visitors += status == 303
            else:
                body = registration_form(run_id, i, token, honeypot=kind == "honeypot")
                status = post_registration(port, body, cookie)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    requests = sum(statuses.values()) * (2 if kind == "flow" else 1)
    return {
        "rps": requests / elapsed,
        "vps": visitors / elapsed,
        "seconds": elapsed,
        "statuses": statuses,
        "visitors": visitors,
    }


LUA = Path(__file__).with_name("registration.lua")


def run_wrk(port: int, args, kind: str, run_id: str) -> dict:
    """One bounded wrk run (``--duration`` seconds, at most ``--max-requests``). Flow mode
    keeps its state per wrk thread: one thread per connection."""
    threads = args.connections if kind == "flow" else min(2, args.connections)
    sessions = (
        [csrf_session(port) for _ in range(threads)] if kind in ("register", "honeypot") else []
    )
    if kind == "api":
        sessions = [(args.api_token, "")] * threads
    name = urllib.parse.quote_plus(f"مشارك {run_id}") if kind != "api" else f"Api {run_id}"
    script_args = [kind, run_id, name, str(args.max_requests // threads)]
    for token, cookie in sessions:
        script_args += [token, cookie]
    with tempfile.TemporaryFile("w+") as out:
        subprocess.run(  # noqa: S603 - wrk, fixed arguments, local address only
            [
                args.wrk,
                f"-t{threads}",
                f"-c{args.connections}",
                f"-d{args.duration}s",
                "--timeout",
                "30s",
                "-s",
                str(LUA),
                f"http://127.0.0.1:{port}",
                "--",
                *script_args,
            ],
            stdout=out,
            check=True,
            timeout=args.duration + 60,
        )
        out.seek(0)
        lines = [line for line in out.read().splitlines() if line.startswith("BENCH ")]
    result = json.loads(lines[-1][6:])
    expected = 200 if kind in KINDS_GET else 201 if kind == "api" else 303
    statuses: dict[int, int] = {}
    for code in result["unexpected"].split():
        statuses[int(code)] = statuses.get(int(code), 0) + 1
    total = result["requests"]
    seconds = result["duration_us"] / 1e6
    visitors = result.get("visitors", 0)
    if kind == "flow":
        statuses[303] = visitors
    else:
        statuses[expected] = total - sum(statuses.values())
    if result.get("capped"):
        print(f"  (wrk hit the request cap {args.max_requests}: raise --max-requests)")
    return {
        "rps": total / seconds,
        "vps": visitors / seconds,
        "seconds": seconds,
        "statuses": statuses,
        "visitors": visitors,
        "errors": result["errors"],
    }


def measure(port: int, args, kind: str, run_id: str) -> dict:
    if args.wrk:
        return run_wrk(port, args, kind, run_id)
    return run_load(port, args.requests, args.connections, kind, run_id)


def wait_for_emails(sink, run_id: str, owed: int, window_end: float) -> tuple[int, float]:
    """Wait (bounded) until the SMTP sink has the ``owed`` emails of ``run_id``; returns how
    many arrived and how long after ``window_end`` the last one did (nan: not all came)."""
    deadline = time.time() + 300
    while sink.runs.get(run_id, 0) < owed and time.time() < deadline:
        time.sleep(0.1)
    emailed = sink.runs.get(run_id, 0)
    tail = max(0.0, sink.last - window_end) if emailed >= owed else float("nan")
    return emailed, tail


def bench(label: str, url: str, args, smtp, broker: str | None = None) -> dict | None:
    """One database, every mode in one run of the server: ping, the plain page (event home),
    the form GET, the honeypot POST (the floor of a registration POST), the registration POST,
    the flow (GET the form then POST, per visitor) and, with wrk, the REST API. With ``broker``
    (a Redis URL) the web processes queue their jobs for Celery, and a Celery worker is started
    only when each registration window is over, as if the workers ran on other machines: the
    figures are then the web tier's."""
    controller, sink = smtp
    tmp = Path(tempfile.mkdtemp(prefix="symposium-bench-"))
    args.api_token = prepare_database(url)
    port = free_port()
    env = server_env(url, port, controller.port, tmp, broker)
    if broker:
        import redis

        redis.Redis.from_url(broker).flushdb()
    proc = serve(url, port, args, env)
    worker = None
    if broker:
        worker = start_celery_worker(env, tmp / "celery.log")  # for the warm-up's emails
    figures: dict[str, dict] = {}
    tails: dict[str, tuple[int, float]] = {}
    try:
        run_load(port, 200, args.connections, "ping", "warm")  # warm-up (every route's code)
        for kind in ("home", "form", "honeypot"):
            run_load(port, 16, 2, kind, "warm")
        run_load(port, 16, 2, "register", f"warm{int(time.time())}")
        run_load(port, 16, 2, "flow", f"warmf{int(time.time())}")
        time.sleep(max(2.0, float(os.environ.get("REGISTRATION_EMAIL_DELAY") or 1) + 1))
        if worker is not None:
            stop(worker)
            worker = None
        for round_ in range(args.rounds):
            # Rounds alternate the modes, so that a change of load on a shared machine hits
            # them all alike; each figure adds up its windows
            for kind in ("ping", "home", "form", "honeypot", "register", "flow"):
                run_id = f"{kind[0]}{round_}x{int(time.time())}"
                result = measure(port, args, kind, run_id)
                add_up(figures, kind, result)
                if kind not in ("register", "flow"):
                    continue
                window_end = time.perf_counter()
                if broker:
                    worker = start_celery_worker(env, tmp / "celery.log")
                owed = result["visitors"] or result["statuses"].get(303, 0)
                emailed, tail = wait_for_emails(sink, run_id, owed, window_end)
                before = tails.get(kind, (0, 0.0))
                tails[kind] = (before[0] + emailed, before[1] + tail)
                if worker is not None:
                    stop(worker)
                    worker = None
        # The same registrations through the REST API (a token instead of session and CSRF)
        if args.wrk and not broker:
            add_up(figures, "api", run_wrk(port, args, "api", f"a{int(time.time())}"))
    finally:
        if worker is not None:
            stop(worker)
        stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    report(label, figures, tails)
    return figures


def add_up(figures: dict, kind: str, result: dict) -> None:
    """Add one window's ``result`` to ``figures[kind]`` (rates recomputed from the totals)."""
    total = figures.setdefault(
        kind, {"requests": 0, "visitors": 0, "seconds": 0.0, "statuses": {}, "errors": {}}
    )
    total["requests"] += round(result["rps"] * result["seconds"])
    total["visitors"] += result["visitors"]
    total["seconds"] += result["seconds"]
    for code, count in result["statuses"].items():
        total["statuses"][code] = total["statuses"].get(code, 0) + count
    for name, count in (result.get("errors") or {}).items():
        total["errors"][name] = total["errors"].get(name, 0) + count
    total["rps"] = total["requests"] / total["seconds"]
    total["vps"] = total["visitors"] / total["seconds"]


def report(label: str, f: dict, tails: dict) -> None:
    """Every figure of one database and every ratio (a ratio of 1.00 is "costs the same as
    its floor"; the issue's target is cost <= 1.2 x floor, i.e. a rate ratio >= 0.83)."""
    rate = {kind: f[kind]["rps"] for kind in f}
    ok = {kind: f[kind]["statuses"].get(303, 0) for kind in ("register", "flow")}
    ping = rate["ping"]
    print(f"{label}")
    for kind, text in (
        ("ping", "GET /api/ping (stack floor)"),
        ("home", "GET event home (plain page)"),
        ("form", "GET registration form"),
        ("honeypot", "POST honeypot (POST floor)"),
        ("register", "POST registration"),
    ):
        print(f"  {text:<31} {rate[kind]:8.1f} req/s  ({rate[kind] / ping:4.2f} x ping)")
    flow = f["flow"]
    print(
        f"  {'flow: GET form + POST':<31} {flow['vps']:8.1f} visitors/s ({flow['rps']:.1f} req/s)"
    )
    cost = {kind: 1000 / rate[kind] for kind in rate}  # ms of server time per request
    predicted = 1000 / (cost["form"] + cost["register"])  # visitors/s if the parts add up
    floor = 1000 / (cost["home"] + cost["honeypot"])  # a page and a POST that stores nothing
    print("  ratios (rate / rate of its floor; >= 0.83 means cost <= 1.2 x floor):")
    print(f"    registration POST / honeypot POST      {rate['register'] / rate['honeypot']:.2f}")
    print(f"    form GET / plain page GET              {rate['form'] / rate['home']:.2f}")
    print(f"    flow visitors / (plain page + honeypot) {flow['vps'] / floor:.2f}")
    print(f"    flow visitors / (form GET + POST)      {flow['vps'] / predicted:.2f}")
    print(f"    honeypot POST / ping                   {rate['honeypot'] / ping:.2f}")
    for kind in ("register", "flow"):
        emailed, tail = tails[kind]
        full = ok[kind] / (f[kind]["seconds"] + tail)
        print(
            f"  {kind} with emails: {emailed} delivered, the last {tail:.1f} s after the window"
            f" -> {full:.1f} registrations/s"
        )
    if "api" in f:
        api = f["api"]
        print(
            f"  API registrations {api['rps']:8.1f} req/s ({api['statuses'].get(201, 0)} x 201)"
            f" | ratio to the form POST {api['rps'] / rate['register']:.2f}"
        )
    for kind, result in f.items():
        expected = {"api": 201, "register": 303, "honeypot": 303, "flow": 303}.get(kind, 200)
        errors = any((result.get("errors") or {}).values())
        if set(result["statuses"]) - {expected} or errors:
            print(f"  unexpected ({kind}): {result['statuses']} errors {result.get('errors')}")


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


def celery_broker() -> str | None:
    import redis

    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError as exc:
        print(f"Celery       skipped: Redis at {url}: {exc}")
        return None
    return url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument(
        "--rounds", type=int, default=1, help="alternate the modes this many times (shared CPU)"
    )
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per wrk run")
    parser.add_argument("--requests", type=int, default=2000, help="per run, Python client")
    parser.add_argument("--connections", "--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    parser.add_argument(
        "--celery",
        action="store_true",
        help="also measure the web tier with jobs queued for Celery (Redis at BENCH_REDIS_URL)",
    )
    args = parser.parse_args()
    args.wrk = None if args.python_client else shutil.which("wrk")
    client = (
        f"wrk, {args.duration} s per run"
        if args.wrk
        else f"Python threads, {args.requests} requests per run"
    )
    print(
        f"{client}, {args.connections} connections, gunicorn {args.workers} {args.worker_class} "
        f"workers x {args.threads} threads, CSRF on, rate limit off, "
        f"emails rendered and delivered in the background to a local SMTP sink"
    )
    smtp = start_smtp_sink()
    try:
        tmp = Path(tempfile.mkdtemp(prefix="symposium-bench-db-"))
        broker = celery_broker() if args.celery else None
        try:
            bench("SQLite", f"sqlite:///{tmp / 'bench.sqlite3'}", args, smtp)
            if broker:
                bench("SQLite+Celery", f"sqlite:///{tmp / 'celery.sqlite3'}", args, smtp, broker)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        url, drop = postgres_scratch(
            os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        )
        if url:
            try:
                bench("PostgreSQL", url, args, smtp)
                if broker:
                    bench("PG+Celery", url, args, smtp, broker)
            finally:
                drop()
        time.sleep(1)
        print(f"emails received by the SMTP sink: {smtp[1].count}")
    finally:
        smtp[0].stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
