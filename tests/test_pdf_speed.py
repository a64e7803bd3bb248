"""Certificate rendering speed (issue 14, part 4): the start-up warm-up, the backgrounds and
stylesheets kept per process, and what must not change because of them (text, bytes)."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from symposium import pdf
from symposium.extensions import db
from symposium.pdf import backgrounds, stylesheets
from symposium.pdf.fetch import RestrictedFetcher
from symposium.services import certificates as certs
from tests.factories import make_event
from tests.pdf_helpers import make_registration, pdf_text


def _rows() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def _files(root: str) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file())


def test_warm_up_is_off_in_tests_and_does_nothing(app):
    assert app.config["PDF_WARM_UP"] is False
    backgrounds.clear()
    assert pdf.warm_up(app) is False
    assert not backgrounds._backgrounds and not backgrounds._geometries


def test_warm_up_writes_nothing_and_prepares_recent_events(app, ctx):
    event = make_event(ctx, "warm-event", day=date.today() - timedelta(days=1))
    certs.add_signatory(ctx, event, name={"en": "Dr Jane Roe", "fr": "Dr Jane Roe"}, title={})
    registration = make_registration(ctx, event, "Anne Dupont", "a@example.org", lang="fr")
    ctx.commit()
    storage = app.config["STORAGE_DIR"]
    rows, files = _rows(), _files(storage)
    ctx.rollback()  # SQLite: no transaction of ours open while the warm-up reads
    backgrounds.clear()
    app.config["PDF_WARM_UP"] = True
    assert pdf.warm_up(app) is True
    assert _rows() == rows, "the warm-up added or removed database rows"
    assert _files(storage) == files, "the warm-up wrote files"
    # throwaway certificates (2) and the recent event in its 3 languages
    kept = len(backgrounds._backgrounds)
    assert kept >= 5
    # the event's first real certificate finds its background ready: only its names are laid out
    certificate = certs.issue_for_registration(ctx, registration)
    ctx.commit()
    assert len(backgrounds._backgrounds) == kept
    text = pdf_text(certs.pdf_bytes(certificate), Path(storage))
    assert "Anne Dupont" in text and "Dr Jane Roe" in text


def test_warm_up_failure_is_logged_not_raised(app, monkeypatch, caplog):
    app.config["PDF_WARM_UP"] = True

    def broken(*args):
        raise OSError("no fonts here")

    monkeypatch.setattr(pdf.engine, "warm", broken)
    assert pdf.warm_up(app) is False
    assert "PDF warm-up failed" in caplog.text


def test_changed_signatory_and_settings_show_on_the_next_certificate(ctx, tmp_path):
    event = make_event(ctx, "sign-event", day=date(2026, 3, 2))
    signatory = certs.add_signatory(
        ctx, event, name={"en": "Dr Jane Roe"}, title={"en": "Chair of the committee"}
    )
    holders = [
        make_registration(ctx, event, f"Holder {n}", f"h{n}@example.org", lang="en")
        for n in range(4)
    ]
    issued = [certs._build(ctx, event, registration=r) for r in holders]
    ctx.commit()
    first = pdf_text(certs.render_certificate(issued[0]), tmp_path)
    assert "Dr Jane Roe" in first and "Chair of the committee" in first

    signatory.name = {"en": "Prof Ada Lovelace"}  # as an organiser's correction would
    ctx.commit()
    text = pdf_text(certs.render_certificate(issued[1]), tmp_path)
    assert "Prof Ada Lovelace" in text and "Jane Roe" not in text
    for data in pdf.engine.run_job(certs.prepare_batch(issued[:2])):  # the bulk path too
        text = pdf_text(data, tmp_path)
        assert "Prof Ada Lovelace" in text and "Jane Roe" not in text

    certs.delete_signatory(ctx, signatory)
    ctx.commit()
    text = pdf_text(certs.render_certificate(issued[2]), tmp_path)
    assert "Ada Lovelace" not in text and "Chair of the committee" not in text

    certs.update_settings(ctx, event, certs.CertificateSettings(bilingual=True))
    ctx.commit()
    issued[3].bilingual = True
    text = pdf_text(certs.render_certificate(issued[3]), tmp_path)
    assert "Certificate of Attendance" in text and "شهادة حضور" in text


def test_same_bytes_whatever_the_process_rendered_before(ctx):
    event = make_event(ctx, "bytes-event", day=date(2026, 3, 2))
    issued = [
        certs._build(
            ctx, event, registration=make_registration(ctx, event, name, f"b{i}@x.org", lang=lang)
        )
        for i, (lang, name) in enumerate([("ar", "فاطمة الزهراء"), ("fr", "Anne-Sophie Lefèvre")])
    ]
    ctx.commit()
    backgrounds.clear()
    stylesheets.clear()
    cold = certs.render_certificate(issued[0])  # background laid out now
    assert certs.render_certificate(issued[0]) == cold  # background kept
    certs.render_certificate(issued[1])  # another variant in between
    pdf.engine.run_job(certs.prepare_batch(issued))  # a mixed batch
    assert certs.render_certificate(issued[0]) == cold
    backgrounds.clear()
    assert certs.render_certificate(issued[0]) == cold


def test_single_certificate_falls_back_to_whole_layout(ctx, tmp_path, monkeypatch):
    event = make_event(ctx, "fallback-event", day=date(2026, 3, 2))
    registration = make_registration(ctx, event, "Seán O'Brien", "s@example.org", lang="en")
    certificate = certs._build(ctx, event, registration=registration)
    ctx.commit()
    backgrounds.clear()
    monkeypatch.setattr(pdf.engine, "TOLERANCE", -1.0)  # any geometry "differs"
    text = pdf_text(certs.render_certificate(certificate), tmp_path)
    assert "Seán O'Brien" in text and certificate.number in "".join(text.split())


def test_kept_stylesheet_key_follows_the_file_and_the_roots(tmp_path):
    root = tmp_path / "static"
    root.mkdir()
    sheet = root / "a.css"
    sheet.write_text("p { color: red }")
    fetcher = RestrictedFetcher([root])
    url = sheet.resolve().as_uri()
    key = stylesheets._key(url, "print", fetcher)
    assert key is not None and key == stylesheets._key(url, "print", fetcher)
    stat = sheet.stat()
    os.utime(sheet, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert stylesheets._key(url, "print", fetcher) != key  # edited file: parsed again
    outside = tmp_path / "b.css"
    outside.write_text("p { color: blue }")
    assert stylesheets._key(outside.resolve().as_uri(), "print", fetcher) is None
    assert stylesheets._key(url, "print", RestrictedFetcher([tmp_path / "other"])) is None
