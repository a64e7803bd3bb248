"""CPU cost of the registration path against its floors, in-process (no server, no network).

    .venv/bin/python benchmarks/registration_cost.py [--batch 200] [--rounds 7] [--postgres]
        [--profile KIND [--top 30]]

Complements benchmarks/registration.py (throughput under gunicorn and wrk) with figures that
a noisy machine cannot blur as much: CPU time (``time.process_time``) per request through the
Flask test client. The kinds run interleaved, one batch each per round (so that a burst of
load elsewhere hits them all alike), and each ratio is the median of the per-round ratios:
- ``ping``: ``GET /api/ping``, the trivial route;
- ``home``: ``GET`` the event's home page, the "plain page render" (a template of the same
  family and size as the form, two counting queries; no conditional request);
- ``form``: ``GET`` the registration form (a new visitor: no cookie, so a new session and
  CSRF token are made, as for a browser's first visit);
- ``honeypot``: a registration POST that stores nothing (the honeypot field filled: the
  session cookie is read and written, CSRF and the whole form are checked, the event is looked
  up, the answer is the same redirect) -- the floor that any registration POST pays;
- ``register``: a registration POST (stores the registration, takes the seat, owes the email;
  the email itself is not rendered here: its job is delayed past the end of the run);
- ``flow``: one visitor: GET the form (own cookie and token) then POST a registration.
CSRF stays on; the rate limit is off; the database is a SQLite file (``--postgres``: a
scratch database at BENCH_POSTGRES_URL). ``--profile KIND`` prints cProfile's table of that
kind instead (top functions by cumulative time).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

TOKEN = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')
KINDS = ("ping", "home", "form", "honeypot", "register", "flow")


def make_requests(app, slug: str) -> dict:
    from registration import registration_fields

    client = app.test_client()
    token = TOKEN.search(client.get(f"/en/events/{slug}/register").data).group(1).decode()
    counter = iter(range(10**9))

    def form_data(csrf: str, honeypot: bool = False) -> dict:
        return registration_fields(f"cost{os.getpid()}", next(counter), csrf, honeypot)

    def post(honeypot: bool = False):
        response = client.post(f"/en/events/{slug}/register", data=form_data(token, honeypot))
        assert response.status_code == 303, response.status_code

    def get(path: str, fresh: bool = False):
        response = (app.test_client() if fresh else client).get(path)
        assert response.status_code == 200, response.status_code
        return response

    def flow():
        visitor = app.test_client()  # no cookie yet
        page = visitor.get(f"/en/events/{slug}/register")
        csrf = TOKEN.search(page.data).group(1).decode()
        response = visitor.post(f"/en/events/{slug}/register", data=form_data(csrf))
        assert response.status_code == 303, response.status_code

    return {
        "ping": lambda: get("/api/ping"),
        "home": lambda: get(f"/en/events/{slug}/"),
        "form": lambda: get(f"/en/events/{slug}/register", fresh=True),
        "honeypot": lambda: post(True),
        "register": post,
        "flow": flow,
    }


def per_request(fn, n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) / n * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=200, help="requests per kind and round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL, not SQLite")
    parser.add_argument("--profile", choices=KINDS, help="print cProfile's table of one kind")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    from registration import SLUG, postgres_scratch, prepare_database

    from symposium import create_app

    tmp = Path(tempfile.mkdtemp(prefix="symposium-cost-"))
    drop = None
    if args.postgres:
        url, drop = postgres_scratch(
            os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        )
        if url is None:
            return 1
    else:
        url = f"sqlite:///{tmp / 'cost.sqlite3'}"
    try:
        prepare_database(url)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "bench",
                "RATELIMIT_ENABLED": False,
                "REGISTRATION_EMAIL_DELAY": 3600,  # the email job would run after this script
                "SCHEDULER_ENABLED": False,  # nor do the periodic sweeps
                "STORAGE_DIR": str(tmp / "storage"),
            }
        )
        app.instance_path = str(tmp / "instance")
        fns = make_requests(app, SLUG)
        for _ in range(30):  # warm-up
            for fn in fns.values():
                fn()
        if args.profile:
            profile(fns[args.profile], args.batch, args.profile, args.top)
        else:
            measure(fns, args, "PostgreSQL" if args.postgres else "SQLite")
        with app.app_context():
            from symposium.extensions import db

            db.engine.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if drop:
            drop()
    return 0


_NOT_SHARED = (
    r"^(?!.*(?:test\.py|testing\.py|app\.py:|_limits\.py|registration_cost\.py|"
    r"\{method 'join'|runtime\.py|environment\.py:1275|templating\.py)).*$"
)


def profile(fn, n: int, kind: str, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        fn()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    # Without the frames every request shares (test client, Flask dispatch, this script)
    stats.print_stats(_NOT_SHARED, top)
    print(f"cProfile, {n} x {kind}, sorted by cumulative time (shared dispatch frames hidden)")
    print(out.getvalue())


def measure(fns: dict, args, label: str) -> None:
    figures: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for _ in range(args.rounds):
        for kind in KINDS:
            n = args.batch * (5 if kind == "ping" else 1) // (2 if kind == "flow" else 1)
            figures[kind].append(per_request(fns[kind], n))

    def ratio(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(figures[a], figures[b], strict=True))

    ms = {kind: statistics.median(values) for kind, values in figures.items()}
    print(
        f"CPU time per request, median of {args.rounds} interleaved rounds "
        f"(Flask test client, {label})"
    )
    for kind, text in (
        ("ping", "GET /api/ping"),
        ("home", "GET event home (plain page)"),
        ("form", "GET registration form"),
        ("honeypot", "POST that stores nothing"),
        ("register", "registration POST"),
        ("flow", "flow: GET form + POST"),
    ):
        print(f"  {text:<30} {ms[kind]:6.3f} ms  = {ms[kind] / ms['ping']:4.1f} x ping")
    print("  cost ratios (median of the per-round ratios; the target is <= 1.20):")
    print(f"    registration POST / honeypot POST   {ratio('register', 'honeypot'):.2f}")
    print(f"    form GET / plain page GET           {ratio('form', 'home'):.2f}")
    flow_floor = [
        f / (h + p)
        for f, h, p in zip(figures["flow"], figures["home"], figures["honeypot"], strict=True)
    ]
    print(f"    flow / (plain page + honeypot)      {statistics.median(flow_floor):.2f}")


if __name__ == "__main__":
    sys.exit(main())
