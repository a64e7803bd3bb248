"""Public pages through a surge: the agenda against the trivial route, with and without
revalidation, on SQLite and PostgreSQL, in one run each.

    .venv/bin/python benchmarks/pages.py [--duration 10] [--connections 8] [--workers 5]

For each database gunicorn serves the app (127.0.0.1, a free port, rate limits off) with the
demo symposium (ide-2026: 13 sessions, speakers, three languages). ``wrk`` (Debian package)
then runs for the same time with the same connections against:

- ``GET /api/ping`` (the floor of the stack),
- ``GET /en/events/ide-2026/agenda`` (a full render),
- the same with ``If-None-Match: <its ETag>`` (a revalidation: 304, no template rendered),
- ``GET /en/events/ide-2026/schedule.json`` and its revalidation,

and prints requests per second and each ratio to ping. Every request only goes to 127.0.0.1 and
every run is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from registration import (  # noqa: E402 - the shared gunicorn helpers of the benchmarks
    free_port,
    postgres_scratch,
    request,
    serve,
    stop,
)

DEMO = HERE.parent / "symposium" / "demo" / "ide-2026.json"
SLUG = "ide-2026"


def prepare(url: str) -> None:
    from symposium import create_app
    from symposium.extensions import db
    from symposium.services.interchange import import_event

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        import_event(db.session, json.loads(DEMO.read_text(encoding="utf-8")))
        db.session.commit()
        db.engine.dispose()


def wrk(port: int, path: str, args, headers: dict | None = None) -> float:
    command = [args.wrk, "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(  # noqa: S603 - wrk, fixed arguments, local address only
        [*command, f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=args.duration + 60,
    ).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise RuntimeError(f"{path}: {bad.group(1)} answers were not 2xx/3xx")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def bench(label: str, url: str, args) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="symposium-pages-"))
    prepare(url)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret",
        "RATELIMIT_ENABLED": "false",
        "SCHEDULER_ENABLED": "false",
        "STORAGE_DIR": str(tmp / "storage"),
        "SYMPOSIUM_BASE_URL": f"http://127.0.0.1:{port}",
    }
    proc = serve(url, port, args, env)
    try:
        agenda = f"/en/events/{SLUG}/agenda"
        feed = f"/en/events/{SLUG}/schedule.json"
        etags = {}
        for path in (agenda, feed):
            status, _body, headers = request(port, "GET", path)
            assert status == 200, (path, status)
            etags[path] = dict(headers)["ETag"]
            again, body, _h = request(port, "GET", path, headers={"If-None-Match": etags[path]})
            assert again == 304 and body == b"", (path, again)
        for path in ("/api/ping", agenda, feed):  # warm every worker
            wrk(port, path, argparse.Namespace(**{**vars(args), "duration": 2}))
        figures = {
            "ping": wrk(port, "/api/ping", args),
            "agenda": wrk(port, agenda, args),
            "agenda 304": wrk(port, agenda, args, {"If-None-Match": etags[agenda]}),
            "schedule.json": wrk(port, feed, args),
            "schedule.json 304": wrk(port, feed, args, {"If-None-Match": etags[feed]}),
        }
    finally:
        stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    ping = figures["ping"]
    print(f"{label}")
    for name, rps in figures.items():
        print(f"  {name:<18} {rps:9.0f}/s   ratio to ping {rps / ping:5.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    args.wrk = shutil.which("wrk")
    if not args.wrk:
        print("wrk is missing: apt-get install wrk (make test-tools)")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        bench("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args)
    url, drop = postgres_scratch(args.postgres)
    if url:
        try:
            bench("PostgreSQL", url, args)
        finally:
            drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
