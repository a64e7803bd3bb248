"""Check-in search over 10,000 registrations: p50/p95 latency of the database query.

    .venv/bin/python benchmarks/checkin_search.py [--rows 10000] [--repeat 20] [POSTGRES_URL]

Fills one event with ``--rows`` registrations (Arabic and Latin names, with the particles
عبد / أبو / بن / ال written with and without the space, accents and hyphens) plus a second
event of the same size (the search must stay within its event), then runs a mix of queries
through ``services.checkin.search_rows`` (the check-in screen's search: every query word in
the folded key, any order, plus the opaque check-in ids of the results) and prints p50/p95 in
milliseconds. Always on SQLite (a temporary file); also on PostgreSQL when a URL is given as
argument or in TEST_POSTGRES_URL (a temporary database is created there and dropped).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_AR = [
    "عبد الله",
    "عبدالله",
    "محمد",
    "أحمد",
    "فاطمة",
    "ليلى",
    "عبد الرحمن",
    "أبو بكر",
    "يوسف",
    "مريم",
    "خالد",
    "نورة",
    "إبراهيم",
    "سارة",
    "عمر",
    "هدى",
    "أم كلثوم",
]
LAST_AR = [
    "الأحمد",
    "الشمري",
    "بن سلمان",
    "ابن خلدون",
    "آل سعود",
    "العتيبي",
    "القحطاني",
    "الزهراني",
    "الحربي",
    "الدوسري",
    "المطيري",
    "الغامدي",
    "الشهري",
    "الهاشمي",
]
FIRST_LAT = [
    "Hélène",
    "Zoé",
    "Jean-Luc",
    "Amina",
    "Omar",
    "Nguyễn",
    "Chloé",
    "François",
    "Leïla",
    "Karim",
    "Sofia",
    "Mehdi",
]
LAST_LAT = [
    "Dupré-Nguyễn",
    "Martin",
    "O’Brien",
    "Haddad",
    "Lefèvre",
    "Benali",
    "García",
    "Müller",
    "Rossi",
    "El Amrani",
]
QUERIES = [
    "عبدالله",
    "عبد اللّه الأحمد",
    "الشمري عبد الله",
    "ابوبكر",
    "بنسلمان",
    "فاطمه",
    "helene dupre",
    "dupre-nguyen",
    "zoe",
    "omar haddad",
    "٠٥٥",
    "nobody-at-all",
    "ali",
    "a",
]


def _names(rng: random.Random, n: int) -> list[tuple[str, str]]:
    rows = []
    for i in range(n):
        if rng.random() < 0.6:
            name = f"{rng.choice(FIRST_AR)} {rng.choice(LAST_AR)}"
        else:
            name = f"{rng.choice(FIRST_LAT)} {rng.choice(LAST_LAT)}"
        rows.append((name, f"person{i}.{rng.randint(100, 999)}055@example.org"))
    return rows


def _fill(app, rows: int) -> int:
    from symposium.extensions import db
    from symposium.models import Event, Registration
    from symposium.services.search import search_text

    rng = random.Random(2027)
    with app.app_context():
        db.drop_all()
        db.create_all()
        ids = []
        for slug in ("bench-event", "other-event"):
            event = Event(
                slug=slug,
                timezone="Asia/Riyadh",
                starts_on=date(2027, 1, 24),
                ends_on=date(2027, 1, 24),
                title={"en": slug},
                status="published",
            )
            db.session.add(event)
            db.session.flush()
            ids.append(event.id)
            batch = []
            for name, email in _names(rng, rows):
                batch.append(
                    {
                        "event_id": event.id,
                        "token": secrets.token_urlsafe(32),
                        "status": "confirmed",
                        "full_name": name,
                        "email": email,
                        "email_normalized": email,
                        "organisation": "Institut",
                        "search_text": search_text(name, email),
                    }
                )
            db.session.execute(db.insert(Registration), batch)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
        return ids[0]


def _measure(app, event_id: int, repeat: int) -> tuple[list[float], list[float], dict[str, int]]:
    from symposium.extensions import db
    from symposium.models import Event
    from symposium.services import checkin

    timings: list[float] = []
    cpu: list[float] = []
    found: dict[str, int] = {}
    with app.app_context():
        event = db.session.get(Event, event_id)
        for query in QUERIES:  # warm-up
            checkin.search_rows(db.session, event, query)
        for _ in range(repeat):
            for query in QUERIES:
                started, started_cpu = time.perf_counter(), time.process_time()
                rows = checkin.search_rows(db.session, event, query)
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
                found[query] = len(rows)
                db.session.rollback()
    return timings, cpu, found


def _report(label: str, timings: list[float], cpu: list[float], found: dict[str, int]) -> None:
    cuts = statistics.quantiles(timings, n=100)
    cpu_cuts = statistics.quantiles(cpu, n=100)
    print(
        f"{label:<11} queries={len(timings):>5}  p50={statistics.median(timings):6.2f} ms  "
        f"p95={cuts[94]:6.2f} ms  max={max(timings):6.2f} ms   (this process's CPU: "
        f"p50={statistics.median(cpu):5.2f} ms p95={cpu_cuts[94]:5.2f} ms)"
    )
    print("            hits (max 50): " + ", ".join(f"{q}={n}" for q, n in found.items()))


def _run(url: str, label: str, rows: int, repeat: int, tmp: Path) -> None:
    from symposium import create_app
    from symposium.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "STORAGE_DIR": str(tmp / "storage"),
        }
    )
    app.instance_path = str(tmp / "instance")
    event_id = _fill(app, rows)
    timings, cpu, found = _measure(app, event_id, repeat)
    _report(label, timings, cpu, found)
    with app.app_context():
        db.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("postgres", nargs="?", default=os.environ.get("TEST_POSTGRES_URL"))
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="symposium-search-"))
    try:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"{args.rows} registrations per event, {len(QUERIES)} queries x {args.repeat}; "
            f"load average {load:.1f} on {os.cpu_count()} CPUs"
        )
        _run(f"sqlite:///{tmp / 'search.sqlite3'}", "SQLite", args.rows, args.repeat, tmp)
        if args.postgres:
            from sqlalchemy import create_engine, text

            from symposium.config import normalise_database_url

            name = f"symposium_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(
                normalise_database_url(args.postgres), isolation_level="AUTOCOMMIT"
            )
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                base = args.postgres.rsplit("/", 1)[0]
                _run(f"{base}/{name}", "PostgreSQL", args.rows, args.repeat, tmp)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
        else:
            print("PostgreSQL: skipped (give a URL or set TEST_POSTGRES_URL)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
