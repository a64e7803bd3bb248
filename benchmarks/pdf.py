"""PDF speed: certificates against a ReportLab reference and naive WeasyPrint, in one run.

Run: .venv/bin/python benchmarks/pdf.py [--workers N]
(a temporary SQLite database and storage; the same certificate template for every line;
docs/performance.md, "Certificates", explains the method and the targets of issue 14)

- reportlab: the REFERENCE only (the product renders with WeasyPrint): the same certificate
  content (organisers, heading, "awarded to", the holder's name, statement, event title,
  dates, venue, two signatories' names and titles, number and issue date, link, QR code as
  vector rectangles from segno, fixed mask) drawn with ``reportlab.pdfgen.canvas``, one standalone
  compressed PDF per certificate with the same Noto fonts embedded (subset). Latin-script
  certificates only (English ones): without arabic-reshaper and python-bidi (not
  dependencies) ReportLab cannot shape Arabic. No tagging, no PDF/A. The contexts are built
  beforehand (not timed), so the reference is, if anything, flattered.
- naive: what one writes without thinking, per certificate: the template rendered to HTML,
  then ``HTML(string=..., base_url=..., url_fetcher=...).write_pdf(stylesheets=[fonts.css],
  font_config=FontConfiguration())`` with a FRESH FontConfiguration (fonts loaded, subset
  and embedded for every certificate), the QR code as an SVG data-URL ``<img>`` (segno).
  Python modules are imported and warm; nothing else is shared between certificates.
- bulk: ``certificates.prepare_batch`` + the engine, batches of 50, ONE process and one
  core (workers=1): per holder only the "names" layer is laid out; the shared background
  of each variant is laid out once per process (symposium/pdf/engine.py); split per holder
  with pikepdf; tagged PDF/UA-1 and PDF/A-2u. With ``--workers N`` (N > 1) also across
  worker processes.
- single on-demand (warm): what GET /r/<token>/certificate.pdf does for an attended holder
  without a certificate: ``issue_for_registration`` (issue + render + store) and the
  commit, in a warm process.
- cold: a NEW process (``--cold-child``) that creates the app as wsgi.py does (with the
  production font warm-up, ``symposium.pdf.warm_up``) and issues one certificate on demand;
  it reports the first certificate after the app is up, the app start-up and the whole
  process time (interpreter start to exit, measured by the parent). Also without warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cold_child(db_uri: str, storage: str, registration_id: int, warm: bool) -> None:
    """Run in a fresh interpreter: create the app (as wsgi.py), issue one certificate."""
    start, cpu_start = time.perf_counter(), time.process_time()
    from symposium import create_app, pdf
    from symposium.extensions import db
    from symposium.models import Registration
    from symposium.services import certificates as certs

    imported = time.perf_counter()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": db_uri,
            "STORAGE_DIR": storage,
            "SECRET_KEY": "benchmark-only",
            "SYMPOSIUM_BASE_URL": "http://symposium.test",
            "PDF_WARM_UP": warm,
            "MAIL_SERVER": None,
        }
    )
    pdf.warm_up(app)
    ready = time.perf_counter()
    with app.app_context():
        registration = db.session.get(Registration, registration_id)
        begin, cpu_begin = time.perf_counter(), time.process_time()
        certificate = certs.issue_for_registration(db.session, registration)
        db.session.commit()
        first = time.perf_counter() - begin
        first_cpu = time.process_time() - cpu_begin
        assert certificate.pdf_path
    print(
        json.dumps(
            {
                "imports": imported - start,
                "app": ready - imported,
                "first": first,
                "first_cpu": first_cpu,
                "cpu": time.process_time() - cpu_start,
            }
        )
    )


def run_cold(db_uri: str, storage: str, registration_id: int, warm: bool) -> dict:
    begin = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--cold-child",
            db_uri,
            storage,
            str(registration_id),
            "1" if warm else "0",
        ],
        capture_output=True,
        check=True,
        text=True,
        cwd=ROOT,
    )
    total = time.perf_counter() - begin
    return {**json.loads(result.stdout.strip().splitlines()[-1]), "total": total}


# --------------------------------------------------------------------------- ReportLab


class ReportLabReference:
    """The same certificate content drawn with the ReportLab canvas (comparison only)."""

    def __init__(self, fonts: Path):
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        for name, file in (
            ("Noto", "NotoSans-Regular.ttf"),
            ("Noto-Bold", "NotoSans-Bold.ttf"),
        ):
            pdfmetrics.registerFont(TTFont(name, str(fonts / file)))

    def page(self, context: dict, title: str) -> bytes:
        import segno
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.lib.units import mm
        from reportlab.pdfgen import canvas

        width, height = landscape(A4)
        buffer = BytesIO()
        c = canvas.Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=1)
        c.setTitle(title)
        c.setCreator("symposium benchmark (ReportLab reference)")
        gold = (0x8A / 255, 0x6D / 255, 0x2B / 255)
        grey = (0x5B / 255, 0x67 / 255, 0x76 / 255)
        blue = (0x0B / 255, 0x3D / 255, 0x6B / 255)
        c.setStrokeColorRGB(*gold)
        c.setLineWidth(1)
        c.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
        c.rect(11 * mm, 11 * mm, width - 22 * mm, height - 22 * mm)
        middle = width / 2
        block = context["blocks"][0]
        y = height - 24 * mm

        def line(text, font, size, color, gap):
            nonlocal y
            if text:
                c.setFont(font, size)
                c.setFillColorRGB(*color)
                c.drawCentredString(middle, y, text)
            y -= gap

        line(block["organisers"], "Noto", 11, grey, 16 * mm)
        line(block["heading"], "Noto-Bold", 26, blue, 12 * mm)
        line(block["awarded_to"], "Noto", 12, grey, 16 * mm)
        for name, _direction in context["names"]:
            line(name, "Noto-Bold", 25, (0.11, 0.15, 0.2), 14 * mm)
        line(block["statement"], "Noto", 12, grey, 8 * mm)
        line(block["event_title"], "Noto-Bold", 16, blue, 8 * mm)
        line(block["dates"], "Noto", 11, (0.11, 0.15, 0.2), 6 * mm)
        line(block["venue"], "Noto", 11, (0.11, 0.15, 0.2), 6 * mm)
        signatories = context["signatories"]
        for index, signatory in enumerate(signatories):
            x = width * (index + 1) / (len(signatories) + 1)
            c.setStrokeColorRGB(*grey)
            c.line(x - 35 * mm, 58 * mm, x + 35 * mm, 58 * mm)
            c.setFillColorRGB(0.11, 0.15, 0.2)
            c.setFont("Noto-Bold", 10.5)
            names = [text for lang, _d, text in signatory["names"] if text and lang != "ar"]
            c.drawCentredString(x, 53 * mm, names[0] if names else "")
            c.setFont("Noto", 9)
            titles = [text for lang, _d, text in signatory["titles"] if text and lang != "ar"]
            c.drawCentredString(x, 49 * mm, titles[0] if titles else "")
        c.setFillColorRGB(*grey)
        c.setFont("Noto", 8.5)
        c.drawString(26 * mm, 27 * mm, f"{block['number_label']}: {context['number']}")
        c.drawString(26 * mm, 23 * mm, block["issued"])
        c.setFont("Noto", 7.5)
        c.drawString(26 * mm, 19 * mm, context["verify_url"])
        # the QR code: one filled path of rectangles, one per run of dark modules
        # a fixed mask pattern (segno would score all eight: ~2 ms of pure Python)
        modules = segno.make_qr(context["verify_url"], error="m", mask=0).matrix
        size = 24 * mm
        step = size / len(modules)
        left, top = width - 26 * mm - size, 17 * mm + size
        path = c.beginPath()
        for row_index, row in enumerate(modules):
            column, count = 0, len(row)
            while column < count:
                if not row[column]:
                    column += 1
                    continue
                start = column
                while column < count and row[column]:
                    column += 1
                path.rect(
                    left + start * step,
                    top - (row_index + 1) * step,
                    (column - start) * step,
                    step,
                )
        c.setFillColorRGB(0.067, 0.067, 0.067)
        c.drawPath(path, stroke=0, fill=1)
        c.showPage()
        c.save()
        return buffer.getvalue()


# --------------------------------------------------------------------------- WeasyPrint


def naive(certificate) -> bytes:
    """What one writes without thinking: a fresh font configuration and document each time."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import path2url

    from symposium import pdf
    from symposium.services import certificates as certs

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
    from symposium import pdf
    from symposium.services import certificates as certs

    batches = [issued[i : i + certs.BATCH_SIZE] for i in range(0, len(issued), certs.BATCH_SIZE)]
    prepared = (certs.prepare_batch(batch) for batch in batches)
    return [data for result in pdf.render_batches(prepared, workers) for data in result]


class Clock:
    """Wall-clock and CPU time (this process) of a block, per item."""

    def __init__(self, count: int = 1):
        self.count = count

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = (time.perf_counter() - self.wall) / self.count
        self.cpu = (time.process_time() - self.cpu) / self.count

    def __str__(self) -> str:
        return f"{self.wall * 1000:8.1f} ms (CPU {self.cpu * 1000:6.1f})"


def timed(function, repeat: int) -> Clock:
    with Clock(repeat) as clock:
        for _ in range(repeat):
            function()
    return clock


def build(session):
    """The benchmark's event: 120 attended registrations (ar/en/fr), two signatories, a
    100-session programme with 40 speakers."""
    from symposium.services import certificates as certs
    from tests.factories import add_speaker, make_event, make_person, make_room, make_session
    from tests.pdf_helpers import make_registration

    names = ["عبدالرحمن بن سعيد القحطاني", "Mary-Jane O'Connor", "Hélène Dupré-Léger"]
    langs = ["ar", "en", "fr"]
    # an event that ended yesterday: its certificates are being downloaded now
    first = date.today() - timedelta(days=3)
    event = make_event(session, "bench", day=first, ends_on=first + timedelta(days=2))
    for i in range(140):
        make_registration(
            session, event, f"{names[i % 3]} {i}", f"p{i}@example.org", lang=langs[i % 3]
        )
    certs.add_signatory(
        session,
        event,
        name={"ar": "د. سارة المنصوري", "en": "Dr Sarah Al-Mansouri", "fr": "Dr Sarah Al-Mansouri"},
        title={"ar": "رئيسة اللجنة العلمية", "en": "Chair, scientific committee"},
    )
    certs.add_signatory(
        session,
        event,
        name={"ar": "أ. يوسف بن علي", "en": "Youssef Ben Ali", "fr": "Youssef Ben Ali"},
        title={"ar": "المدير التنفيذي", "en": "Executive director", "fr": "Directeur exécutif"},
    )
    rooms = [make_room(session, event, f"r{i}") for i in range(4)]
    people = [
        make_person(session, event, f"p{i}", bio={"en": "<p>" + "A biography. " * 30 + "</p>"})
        for i in range(40)
    ]
    for i in range(100):
        day = (first + timedelta(days=i // 34)).isoformat()
        hour = 8 + (i % 34) // 4
        item = make_session(
            session,
            event,
            f"s{i}",
            f"{day}T{hour:02d}:{(i % 4) * 10:02d}",
            f"{day}T{hour:02d}:{(i % 4) * 10 + 15:02d}",
            room=rooms[i % 4],
        )
        add_speaker(session, item, people[i % 40]).confirmation = "confirmed"
    session.commit()
    return event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="> 1: also across N workers")
    parser.add_argument("--cold-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold_child:
        db_uri, storage, registration_id, warm = args.cold_child
        cold_child(db_uri, storage, int(registration_id), warm == "1")
        return

    from symposium import create_app
    from symposium.extensions import db
    from symposium.pdf import pool
    from symposium.services import certificates as certs
    from symposium.services import programme

    workers = args.workers
    tmp = Path(tempfile.mkdtemp(prefix="symposium-bench-"))
    db_uri = f"sqlite:///{tmp / 'bench.sqlite3'}"
    storage = str(tmp / "storage")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_uri, "STORAGE_DIR": storage})
    with app.app_context():
        db.create_all()
        session = db.session
        event = build(session)
        registrations = certs.eligible_registrations(session, event)
        issued = [certs._build(session, event, registration=r) for r in registrations[:100]]
        session.commit()
        on_demand = registrations[100:120]
        spare = [r.id for r in registrations[120:]]

        reference = ReportLabReference(Path(app.static_folder, "fonts"))
        latin = [c for c in issued if c.language == "en"]
        pages = [(certs.document_context(c), certs.document_title(c)) for c in latin]
        pages = (pages * (100 // len(pages) + 1))[:100]

        # warm everything once (imports, first font loads, template compilation)
        reference.page(*pages[0])
        naive(issued[1])
        bulk(issued[:2], 1)

        with Clock(len(pages)) as reportlab:
            for context, title in pages:
                reference.page(context, title)

        to_render = iter(issued)
        naive_each = timed(lambda: naive(next(to_render)), 20)

        with Clock(len(issued)) as bulk_each:
            out = bulk(issued, 1)

        parallel_each = None
        if workers > 1:
            bulk(issued, workers)  # starts and warms the worker processes
            with Clock(len(issued)) as parallel_each:
                parallel = bulk(issued, workers)
            assert parallel == out, "worker processes must give the same bytes"
            pool.shutdown()

        to_render = iter(issued[50:])
        render_each = timed(lambda: certs.render_certificate(next(to_render)), 10)
        holders = iter(on_demand)

        def on_demand_one():
            certs.issue_for_registration(session, next(holders))
            session.commit()

        on_demand_one()  # the first on-demand one of this process (caches its variant)
        single = timed(on_demand_one, 10)

        certs.store_pdf(issued[0], out[0])
        stored = timed(lambda: certs.pdf_bytes(issued[0]), 100)

        with Clock() as prog:
            book = programme.render_programme(session, event, "ar", "single")

    cold = run_cold(db_uri, storage, spare[0], warm=True)
    cold_plain = run_cold(db_uri, storage, spare[1], warm=False)

    ms = 1000
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load}; one process, one core")
    print("(wall-clock ms; CPU = this process's CPU time, less sensitive to other load)")
    print(f"reportlab reference, Latin only (100):   {reportlab} per page")
    print(f"naive WeasyPrint, one document (20):     {naive_each} per certificate")
    print(f"bulk, one process, workers=1 (100):      {bulk_each} per certificate")
    print(
        f"  ratio bulk / reportlab:  {bulk_each.wall / reportlab.wall:5.2f} "
        f"(CPU {bulk_each.cpu / reportlab.cpu:4.2f})   target <= 0.5"
    )
    print(
        f"  ratio bulk / naive:      {bulk_each.wall / naive_each.wall:5.2f} "
        f"(CPU {bulk_each.cpu / naive_each.cpu:4.2f})"
    )
    if parallel_each is not None:
        print(f"bulk, {workers} worker processes, warm (100): {parallel_each} per certificate")
    print(f"single on-demand, warm (issue+render+store+commit): {single}   target <= 30")
    print(
        f"  ratio single / naive:    {single.wall / naive_each.wall:5.2f} "
        f"(CPU {single.cpu / naive_each.cpu:4.2f})"
    )
    print(f"  render_certificate alone: {render_each}")
    print(
        f"cold, new process, first certificate after app start: {cold['first'] * ms:.1f} ms "
        f"(CPU {cold['first_cpu'] * ms:.1f})   target <= 150"
    )
    print(
        f"  ratio cold first / naive: {cold['first'] / naive_each.wall:5.2f}"
        f"   app start incl. warm-up {cold['app'] * ms:.0f} ms, imports "
        f"{cold['imports'] * ms:.0f} ms, whole process {cold['total'] * ms:.0f} ms "
        f"(CPU {cold['cpu'] * ms:.0f})"
    )
    print(
        f"  without warm-up (PDF_WARM_UP=0): first certificate {cold_plain['first'] * ms:.1f} ms,"
        f" app start {cold_plain['app'] * ms:.0f} ms, whole process "
        f"{cold_plain['total'] * ms:.0f} ms"
    )
    print(f"download of an issued certificate (stored): {stored.wall * ms:.2f} ms")
    print(f"programme, 100 sessions, 40 bios (ar): {prog} ({len(book) // 1024} KiB)")
    print(f"average size of a bulk certificate PDF: {sum(map(len, out)) // len(out) // 1024} KiB")


if __name__ == "__main__":
    main()
