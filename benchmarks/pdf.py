"""PDF speed: naive one-document-per-certificate vs the bulk path, single, programme.

Run: .venv/bin/python benchmarks/pdf.py [--workers N]
(a temporary SQLite database and storage; the same certificate template for every line)

- naive: what one writes without thinking, per certificate: the template rendered to HTML,
  then ``HTML(string=..., base_url=..., url_fetcher=...).write_pdf(stylesheets=[fonts.css],
  font_config=FontConfiguration())`` with a FRESH FontConfiguration (fonts loaded, subset
  and embedded for every certificate), the QR code as an SVG data-URL ``<img>`` (segno).
  Python modules are imported and warm; nothing else is shared between certificates.
- bulk: ``certificates.prepare_batch`` + the engine, batches of 50: per holder only the
  "names" layer is laid out (names, number, date, link), the rest of the page once per
  variant as a shared background drawn underneath (symposium/pdf/engine.py); QR codes drawn
  as vector shapes; split per holder with pikepdf. Measured in one process, then across
  worker processes (what ``generate_all`` and the CLI do for 200+ certificates or with a
  warm pool), with the pool's start-up cost shown separately.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import path2url  # noqa: E402

from symposium import create_app, pdf  # noqa: E402
from symposium.extensions import db  # noqa: E402
from symposium.pdf import pool  # noqa: E402
from symposium.services import certificates as certs  # noqa: E402
from symposium.services import programme  # noqa: E402
from tests.factories import (  # noqa: E402
    add_speaker,
    make_event,
    make_person,
    make_room,
    make_session,
)
from tests.pdf_helpers import make_registration  # noqa: E402

NAMES = ["عبدالرحمن بن سعيد القحطاني", "Mary-Jane O'Connor", "Hélène Dupré-Léger"]
LANGS = ["ar", "en", "fr"]


def naive(certificate) -> bytes:
    """What one writes without thinking: a fresh font configuration and document each time."""
    context = certs.document_context(certificate)
    context["qr"] = certs.qr_data_uri(certs.verify_url(certificate))  # an <img>, as one would
    html = pdf.render_html(
        certs.TEMPLATE,
        {"documents": [context]},
        lang=certificate.language,
        title=certs.document_title(certificate),
        created=certificate.issued_at,
    )
    fetcher = pdf.fetcher()
    fonts = FontConfiguration()
    css = CSS(
        filename=str(pdf.static_path("css", "fonts.css")), url_fetcher=fetcher, font_config=fonts
    )
    return HTML(
        string=html, base_url=path2url(str(pdf.static_path())) + "/", url_fetcher=fetcher
    ).write_pdf(stylesheets=[css], font_config=fonts)


def bulk(issued, workers: int) -> list[bytes]:
    """The bulk path as ``generate_all`` runs it (batches of 50; workers when > 1)."""
    batches = [issued[i : i + certs.BATCH_SIZE] for i in range(0, len(issued), certs.BATCH_SIZE)]
    prepared = (certs.prepare_batch(batch) for batch in batches)
    return [data for result in pdf.render_batches(prepared, workers) for data in result]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=0, help="0 = one per CPU (max 4)")
    workers = pool.parse_workers(parser.parse_args().workers)
    tmp = Path(tempfile.mkdtemp(prefix="symposium-bench-"))
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite3'}",
            "STORAGE_DIR": str(tmp / "storage"),
        }
    )
    with app.app_context():
        db.create_all()
        session = db.session
        event = make_event(session, "bench", day=date(2026, 1, 26), ends_on=date(2026, 1, 28))
        for i in range(120):
            make_registration(
                session, event, f"{NAMES[i % 3]} {i}", f"p{i}@example.org", lang=LANGS[i % 3]
            )
        rooms = [make_room(session, event, f"r{i}") for i in range(4)]
        people = [
            make_person(session, event, f"p{i}", bio={"en": "<p>" + "A biography. " * 30 + "</p>"})
            for i in range(40)
        ]
        for i in range(100):
            day = 26 + i // 34
            hour = 8 + (i % 34) // 4
            item = make_session(
                session,
                event,
                f"s{i}",
                f"2026-01-{day}T{hour:02d}:{(i % 4) * 10:02d}",
                f"2026-01-{day}T{hour:02d}:{(i % 4) * 10 + 15:02d}",
                room=rooms[i % 4],
            )
            add_speaker(session, item, people[i % 40]).confirmation = "confirmed"
        session.commit()
        registrations = certs.eligible_registrations(session, event)
        issued = [certs._build(session, event, registration=r) for r in registrations[:100]]
        session.commit()

        certs.render_certificate(issued[0])  # warm-up (imports, first font load)
        naive(issued[1])

        start = time.perf_counter()
        for certificate in issued[:20]:
            naive(certificate)
        naive_each = (time.perf_counter() - start) / 20

        start = time.perf_counter()
        out = bulk(issued, 1)
        bulk_each = (time.perf_counter() - start) / len(out)

        parallel_cold = parallel_each = None
        if workers > 1:
            start = time.perf_counter()
            bulk(issued, workers)  # includes starting and warming the worker processes
            parallel_cold = (time.perf_counter() - start) / len(out)
            start = time.perf_counter()
            parallel = bulk(issued, workers)
            parallel_each = (time.perf_counter() - start) / len(out)
            assert parallel == out, "worker processes must give the same bytes"
            pool.shutdown()

        start = time.perf_counter()
        for certificate in issued[:10]:
            certs.render_certificate(certificate)
        single = (time.perf_counter() - start) / 10

        certs.store_pdf(issued[0], out[0])
        start = time.perf_counter()
        for _ in range(100):
            certs.pdf_bytes(issued[0])
        stored = (time.perf_counter() - start) / 100

        start = time.perf_counter()
        book = programme.render_programme(session, event, "ar", "single")
        prog = time.perf_counter() - start

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load}; workers: {workers}")
    print(f"naive, one document per certificate (20):     {naive_each * 1000:8.1f} ms each")
    print(f"bulk, one process, 50 per layout (100):       {bulk_each * 1000:8.1f} ms each")
    if parallel_each is not None:
        print(
            f"bulk, {workers} worker processes, warm pool (100):  "
            f"{parallel_each * 1000:8.1f} ms each"
        )
        print(f"  same, first run incl. pool start-up (100):  {parallel_cold * 1000:8.1f} ms each")
    print(f"ratio naive / bulk, one process:               {naive_each / bulk_each:8.1f} x")
    if parallel_each is not None:
        print(
            f"ratio naive / bulk, {workers} workers:                "
            f"{naive_each / parallel_each:8.1f} x"
        )
    print(f"single on-demand certificate (warm fonts):     {single * 1000:8.1f} ms")
    print(f"download of an issued certificate (stored):    {stored * 1000:8.2f} ms")
    print(
        f"programme, 100 sessions, 40 bios (ar):         {prog * 1000:8.1f} ms "
        f"({len(book) // 1024} KiB)"
    )
    print(
        f"average size of a bulk certificate PDF:        {sum(map(len, out)) // len(out) // 1024:8d} KiB"
    )


if __name__ == "__main__":
    main()
