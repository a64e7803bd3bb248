"""CPU cost of a registration POST against the trivial route, in-process (no server, no network).

    .venv/bin/python benchmarks/registration_cost.py [--batch 200] [--rounds 5]

Complements benchmarks/registration.py (throughput under gunicorn and wrk) with figures that
this noisy machine cannot blur as much: CPU time (``time.process_time``) per request through the
Flask test client, median of ``--rounds`` batches, for
- ``GET /api/ping`` (the trivial route),
- a registration POST that stores nothing (the honeypot field filled: the session cookie is read
  and written, CSRF and the whole form are checked, the event is looked up, the answer is the
  same redirect) -- the floor that any registration POST pays with this stack,
- a registration POST (stores the registration, takes the seat, owes the email; the email
  itself is not rendered here: its job is delayed past the end of the run),
and the ratios. CSRF stays on; the rate limit is off; the database is a SQLite file.
"""

from __future__ import annotations

import argparse
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=200, help="POSTs per batch")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from registration import SLUG, prepare_database

    from symposium import create_app

    tmp = Path(tempfile.mkdtemp(prefix="symposium-cost-"))
    url = f"sqlite:///{tmp / 'cost.sqlite3'}"
    prepare_database(url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "REGISTRATION_EMAIL_DELAY": 3600,  # the email job would run after this script
            "STORAGE_DIR": str(tmp / "storage"),
        }
    )
    app.instance_path = str(tmp / "instance")
    client = app.test_client()
    page = client.get(f"/en/events/{SLUG}/register").data
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
    counter = iter(range(10**9))

    def post(honeypot: bool = False):
        i = next(counter)
        form = {
            "csrf_token": token,
            "full_name": f"مشارك {i}",
            "email": f"cost-{i}@example.org",
            "organisation": "Benchmark",
            "country": "SA",
            "preferred_language": "ar",
            "attendance_mode": "in_person",
            "consent": "y",
        }
        if honeypot:
            form["website"] = "https://spam.example"
        response = client.post(f"/en/events/{SLUG}/register", data=form)
        assert response.status_code == 303, response.status_code

    def ping():
        assert client.get("/api/ping").status_code == 200

    def per_request(fn, n: int) -> float:
        start = time.process_time()
        for _ in range(n):
            fn()
        return (time.process_time() - start) / n * 1000

    for _ in range(50):  # warm-up
        post(), post(True), ping()
    figures: dict[str, list[float]] = {"ping": [], "honeypot": [], "register": []}
    for _ in range(args.rounds):
        figures["ping"].append(per_request(ping, args.batch * 5))
        figures["honeypot"].append(per_request(lambda: post(True), args.batch))
        figures["register"].append(per_request(post, args.batch))
    with app.app_context():
        from symposium.extensions import db

        db.engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    ms = {name: statistics.median(values) for name, values in figures.items()}
    print(f"CPU time per request, median of {args.rounds} batches (Flask test client, SQLite)")
    print(f"  GET /api/ping                  {ms['ping']:6.3f} ms")
    print(
        f"  POST that stores nothing       {ms['honeypot']:6.3f} ms  "
        f"= {ms['honeypot'] / ms['ping']:4.1f} x ping (ratio {ms['ping'] / ms['honeypot']:.2f})"
    )
    print(
        f"  registration POST              {ms['register']:6.3f} ms  "
        f"= {ms['register'] / ms['ping']:4.1f} x ping (ratio {ms['ping'] / ms['register']:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
