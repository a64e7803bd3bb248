"""Speakers' materials: sanitised PDF slides and links, from the portal and the workspace,
shown on the session page once published or after the session, served safely."""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, String
from sqlalchemy import func, select

from symposium.extensions import db
from symposium.models import AuditLog, Event, Person, Session, SessionMaterial, SessionPerson
from symposium.models.types import utcnow
from symposium.services import materials
from symposium.services.materials import pdf as material_pdf
from symposium.services.materials import storage
from symposium.services.speakers import ensure_portal_token
from tests.factories import add_speaker, make_event, make_person, make_session
from tests.manage_helpers import build_world, login

# --- PDFs built for the tests ---------------------------------------------------------------


def plain_pdf(pages: int = 1, *, link: str | None = None) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(200, 200))
    if link:
        pdf.pages[0].obj.Annots = Array(
            [
                Dictionary(
                    Type=Name.Annot,
                    Subtype=Name.Link,
                    Rect=Array([0, 0, 50, 50]),
                    A=Dictionary(S=Name.URI, URI=String(link)),
                )
            ]
        )
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def malicious_pdf() -> bytes:
    """JavaScript on opening, additional actions, an embedded file (name tree and attachment
    annotation), a Launch link, a javascript: link, a SubmitForm chained after a GoTo, XFA,
    an ImportData outline item; and one harmless https link that must stay."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0]
    pdf.Root.OpenAction = pdf.make_indirect(
        Dictionary(Type=Name.Action, S=Name.JavaScript, JS=String("app.alert('open')"))
    )
    pdf.Root.AA = Dictionary(WC=Dictionary(S=Name.JavaScript, JS=String("app.alert('close')")))
    payload = pikepdf.Stream(pdf, b"MZ payload of the attached program")
    payload.Type = Name.EmbeddedFile
    filespec = pdf.make_indirect(
        Dictionary(
            Type=Name.Filespec,
            F=String("invoice.exe"),
            EF=Dictionary(F=pdf.make_indirect(payload)),
        )
    )
    pdf.Root.Names = Dictionary(
        JavaScript=Dictionary(
            Names=Array(
                [String("init"), Dictionary(S=Name.JavaScript, JS=String("app.alert('doc')"))]
            )
        ),
        EmbeddedFiles=Dictionary(Names=Array([String("invoice.exe"), filespec])),
    )
    page.obj.AA = Dictionary(O=Dictionary(S=Name.JavaScript, JS=String("app.alert('page')")))

    def link(x, action):
        return Dictionary(
            Type=Name.Annot, Subtype=Name.Link, Rect=Array([x, 0, x + 20, 20]), A=action
        )

    widget = pdf.make_indirect(
        Dictionary(
            Type=Name.Annot,
            Subtype=Name.Widget,
            FT=Name.Tx,
            T=String("name"),
            Rect=Array([0, 100, 50, 150]),
            AA=Dictionary(K=Dictionary(S=Name.JavaScript, JS=String("app.alert('key')"))),
        )
    )
    page.obj.Annots = pdf.make_indirect(
        Array(
            [
                pdf.make_indirect(
                    link(0, Dictionary(S=Name.Launch, F=String("cmd.exe"), NewWindow=True))
                ),
                link(20, Dictionary(S=Name.URI, URI=String("https://example.org/paper"))),
                link(40, Dictionary(S=Name.URI, URI=String("javascript:alert(1)"))),
                Dictionary(
                    Type=Name.Annot,
                    Subtype=Name.FileAttachment,
                    Rect=Array([60, 0, 80, 20]),
                    FS=filespec,
                ),
                link(
                    80,
                    Dictionary(
                        S=Name.GoTo,
                        D=Array([page.obj, Name.Fit]),
                        Next=Dictionary(S=Name.SubmitForm, F=String("https://evil.example/")),
                    ),
                ),
                widget,
            ]
        )
    )
    pdf.Root.AcroForm = Dictionary(
        Fields=Array([widget]), XFA=pikepdf.Stream(pdf, b"<xdp:xdp><script/></xdp:xdp>")
    )
    item = pdf.make_indirect(
        Dictionary(Title=String("Start"), A=Dictionary(S=Name.ImportData, F=String("x.fdf")))
    )
    pdf.Root.Outlines = pdf.make_indirect(
        Dictionary(Type=Name.Outlines, First=item, Last=item, Count=1)
    )
    item.Parent = pdf.Root.Outlines
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def every_key(pdf: pikepdf.Pdf) -> set[str]:
    """Every dictionary key and name value in every object of ``pdf``, nested ones included
    (walked here independently of the sanitiser)."""
    found: set[str] = set()

    def walk(obj):
        if isinstance(obj, Dictionary | pikepdf.Stream):
            for key in obj.keys():
                found.add(key)
                value = obj.get(key)
                if isinstance(value, Name):
                    found.add(str(value))
                elif not value.is_indirect if hasattr(value, "is_indirect") else False:
                    walk(value)
        elif isinstance(obj, Array):
            for value in obj:
                if isinstance(value, Name):
                    found.add(str(value))
                elif hasattr(value, "is_indirect") and not value.is_indirect:
                    walk(value)

    for obj in pdf.objects:
        walk(obj)
    return found


# --- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture
def world(app):
    """The workspace world with a portal token for its speaker and no material yet (the
    world's own slides row is removed, its file with it)."""
    world = build_world(app)
    with app.app_context():
        person = db.session.get(Person, world.person_id)
        ensure_portal_token(person)
        for row in db.session.scalars(select(SessionMaterial)):
            materials.remove(db.session, row)
        db.session.commit()
    assert stored_files(app) == []
    return world


def ids(app, world):
    """(portal token, link id) of the world's speaker."""
    with app.app_context():
        person = db.session.get(Person, world.person_id)
        link = db.session.scalars(
            select(SessionPerson).where(SessionPerson.person_id == person.id)
        ).one()
        return person.portal_token, link.id


def upload_from_portal(client, token, link_id, data: bytes, name="slides.pdf", lang="en", **f):
    return client.post(
        f"/{lang}/speaker/{token}/sessions/{link_id}/materials/slides",
        data={"slides-file": (io.BytesIO(data), name), **f},
        content_type="multipart/form-data",
    )


def download(client, url, **kwargs):
    """A GET whose body is read and whose file is closed (served files stay open otherwise)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def rows(app) -> list[SessionMaterial]:
    with app.app_context():
        found = list(db.session.scalars(select(SessionMaterial).order_by(SessionMaterial.id)))
        db.session.expunge_all()
        return found


def stored_files(app) -> list:
    root = Path(app.config["STORAGE_DIR"]) / "materials"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def set_session_times(app, session_id, *, ends_in: timedelta):
    with app.app_context():
        item = db.session.get(Session, session_id)
        item.ends_at = utcnow() + ends_in
        item.starts_at = item.ends_at - timedelta(hours=1)
        db.session.commit()


# --- the PDF ----------------------------------------------------------------------------------


def test_a_malicious_pdf_is_stored_without_scripts_files_or_actions(app, client, world):
    original = malicious_pdf()
    with pikepdf.open(io.BytesIO(original)) as before:
        assert {"/JavaScript", "/Launch", "/EmbeddedFile", "/OpenAction", "/AA"} <= every_key(
            before
        )
    token, link_id = ids(app, world)
    response = upload_from_portal(client, token, link_id, original, "talk.pdf")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    (row,) = rows(app)
    assert row.kind == "slides" and row.filename == "talk.pdf" and row.published_at is None
    assert row.storage_key.startswith(f"materials/{world.event_id}/")
    (path,) = stored_files(app)
    raw = path.read_bytes()
    assert row.size == len(raw)
    for needle in (
        b"/JavaScript",
        b"/JS",
        b"/Launch",
        b"/EmbeddedFile",
        b"/FileAttachment",
        b"/OpenAction",
        b"/AA",
        b"/XFA",
        b"/SubmitForm",
        b"/ImportData",
        b"javascript:",
        b"MZ payload",
        b"invoice.exe",
    ):
        assert needle not in raw, needle
    with pikepdf.open(io.BytesIO(raw)) as stored:
        keys = every_key(stored)
        for bad in ("/JavaScript", "/JS", "/Launch", "/EmbeddedFiles", "/EF", "/AA", "/XFA"):
            assert bad not in keys, bad
        assert material_pdf.threats(stored) == []
        assert len(stored.pages) == 1
        # the plain web link, the go-to link and the form field stay (without their scripts)
        actions = [a.get("/A") for a in stored.pages[0].Annots]
        assert any(
            a is not None and str(a.get("/URI")) == "https://example.org/paper" for a in actions
        )
        assert any(a is not None and a.get("/S") == Name.GoTo for a in actions)
        assert stored.Root.Outlines.First.get("/A") is None
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "material.add"))
        assert "action /Launch" in entry.details["removed"]


def test_sanitising_keeps_outlines_and_tagged_structure():
    """Outline siblings (/Next) and structure attributes (/A) are not actions."""
    from weasyprint import HTML

    html = "<html lang=en><head><title>T</title></head><body>" + "".join(
        f"<section style='page-break-after:always'><h1>Slide {i}</h1>"
        f"<table><tr><th scope=col>H</th></tr><tr><td>d</td></tr></table>"
        f"<a href='https://example.org/{i}'>link</a></section>"
        for i in range(3)
    )
    raw = HTML(string=html + "</body></html>").write_pdf(pdf_variant="pdf/ua-1")
    data, removed = material_pdf.sanitize(raw)
    assert removed == []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 3
        assert pdf.Root.Outlines.Count == 3
        assert "/StructTreeRoot" in pdf.Root


def test_a_text_file_named_pdf_is_refused_with_a_translated_message(app, client, world):
    token, link_id = ids(app, world)
    for lang, message in (
        ("fr", "Le fichier n’est pas un document PDF. Veuillez choisir un fichier PDF."),
        ("ar", "الملف ليس مستند PDF. يُرجى اختيار ملف PDF."),
        ("en", "The file is not a PDF document. Please choose a PDF file."),
    ):
        response = upload_from_portal(
            client,
            token,
            link_id,
            b"Just some text, not a PDF\n",
            "slides.pdf",
            lang=lang,
            **{"slides-title": "Mes diapositives"},
        )
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert message in page
        assert 'value="Mes diapositives"' in page  # what was typed stays
        assert response.headers["Cache-Control"] == "no-store"
    assert rows(app) == [] and stored_files(app) == []


def test_encrypted_unreadable_and_oversized_pdfs_are_refused(app, client, world):
    token, link_id = ids(app, world)
    locked = io.BytesIO()
    with pikepdf.open(io.BytesIO(plain_pdf())) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    response = upload_from_portal(client, token, link_id, locked.getvalue(), lang="fr")
    assert response.status_code == 400
    assert "Le PDF est protégé par un mot de passe" in response.get_data(as_text=True)

    broken = b"%PDF-1.7\n" + b"\x00garbage" * 50
    response = upload_from_portal(client, token, link_id, broken)
    assert response.status_code == 400
    assert "The PDF could not be read" in response.get_data(as_text=True)

    app.config["MATERIALS_MAX_BYTES"] = 20 * 1024
    big = plain_pdf(pages=400)
    assert len(big) > 20 * 1024
    response = upload_from_portal(client, token, link_id, big, lang="fr")
    assert response.status_code == 400
    assert "Le fichier dépasse 20\u202fKo." in response.get_data(as_text=True)
    # far beyond the limit: refused before the body is read
    response = upload_from_portal(client, token, link_id, b"%PDF-" + b"0" * 400_000)
    assert response.status_code == 413
    assert rows(app) == [] and stored_files(app) == []


def test_upload_through_the_workspace_with_csrf_publishes(app, client, world):
    login(client, "organiser@example.org")
    app.config["WTF_CSRF_ENABLED"] = True
    url = f"/en/manage/events/{world.slug}/sessions/{world.session_id}/materials"
    page = client.get(url).get_data(as_text=True)
    csrf = re.search(r'name="slides-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"slides-title": "Opening slides", "slides-publish": "y"}
    refused = client.post(
        url + "/slides",
        data={**data, "slides-file": (io.BytesIO(plain_pdf()), "open.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400 and rows(app) == []
    done = client.post(
        url + "/slides",
        data={**data, "slides-csrf_token": csrf, "slides-file": (io.BytesIO(plain_pdf()), "o.pdf")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    (row,) = rows(app)
    assert row.title == "Opening slides" and row.published_at is not None
    assert row.added_by_user_id == world.organiser_id and row.added_by_person_id is None
    # the organiser's download of any material is private
    file = download(client, f"{url}/{row.id}/file")
    assert file.status_code == 200 and file.headers["Cache-Control"] == "no-store"
    # an organiser of another event cannot reach this session's materials
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        other = make_event(db.session, "other-event")
        db.session.commit()
        other_id = other.id
    from tests.manage_helpers import make_organiser

    make_organiser(app, "other@example.org", other_id)
    stranger = app.test_client()
    login(stranger, "other@example.org")
    assert stranger.get(url).status_code == 403
    assert download(stranger, f"{url}/{row.id}/file").status_code == 403


def test_not_shown_before_publication_or_the_end_then_shown(app, client, world):
    token, link_id = ids(app, world)
    assert upload_from_portal(client, token, link_id, plain_pdf(), "مداخلة.pdf").status_code == 302
    (row,) = rows(app)
    session_url = f"/en/events/{world.slug}/sessions/opening"
    file_url = f"{session_url}/materials/{row.id}"
    anon = app.test_client()
    assert "Slides and links" not in anon.get(session_url).get_data(as_text=True)
    assert download(anon, file_url).status_code == 404
    assert "Slides added" not in anon.get(f"/en/events/{world.slug}/changes").get_data(as_text=True)
    # the speaker sees and downloads their own, not yet shown
    portal = anon.get(f"/en/speaker/{token}/sessions/{link_id}/materials")
    assert "Shown once the session has ended" in portal.get_data(as_text=True)
    assert portal.headers["Cache-Control"] == "no-store"
    assert portal.headers["X-Robots-Tag"].startswith("noindex")
    assert (
        download(anon, f"/en/speaker/{token}/sessions/{link_id}/materials/{row.id}").status_code
        == 200
    )

    # the organiser publishes: shown on the session page and in the programme changes
    login(client, "organiser@example.org")
    manage = f"/en/manage/events/{world.slug}/sessions/{world.session_id}/materials"
    assert client.post(f"{manage}/{row.id}/publish").status_code == 302
    page = anon.get(session_url).get_data(as_text=True)
    assert "Slides and links" in page and f'href="{file_url}"' in page
    changes = anon.get(f"/en/events/{world.slug}/changes").get_data(as_text=True)
    assert "Slides added" in changes and "مداخلة" in changes

    # served as a download, sandboxed, with the Arabic name in RFC 5987 form
    response = download(anon, file_url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=UTF-8''{quote('مداخلة.pdf')}" in disposition
    assert response.data.startswith(b"%PDF-")

    # unpublished again: hidden until the session has ended, then shown by itself
    assert client.post(f"{manage}/{row.id}/unpublish").status_code == 302
    assert download(anon, file_url).status_code == 404
    set_session_times(app, world.session_id, ends_in=timedelta(minutes=-5))
    assert download(anon, file_url).status_code == 200
    assert "Slides and links" in anon.get(session_url).get_data(as_text=True)


def test_the_session_page_cache_follows_the_materials(app, client, world):
    token, link_id = ids(app, world)
    anon = app.test_client()
    url = f"/en/events/{world.slug}/sessions/opening"
    first = anon.get(url)
    etag = first.headers["ETag"]
    assert anon.get(url, headers={"If-None-Match": etag}).status_code == 304
    upload_from_portal(client, token, link_id, plain_pdf())
    (row,) = rows(app)
    # not shown yet: the page has not changed, but it will when the session ends
    pending = anon.get(url, headers={"If-None-Match": etag})
    assert pending.status_code == 304
    login(client, "organiser@example.org")
    manage = f"/en/manage/events/{world.slug}/sessions/{world.session_id}/materials"
    client.post(f"{manage}/{row.id}/publish")
    assert anon.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_links_http_only_and_rendered_without_referrer(app, client, world):
    token, link_id = ids(app, world)
    base = f"/fr/speaker/{token}/sessions/{link_id}/materials/link"
    for bad in ("javascript:alert(1)", "ftp://example.org/x", "https://user:pw@example.org/", ""):
        response = client.post(base, data={"link-kind": "article", "link-url": bad})
        assert response.status_code == 400, bad
    page = client.post(
        base, data={"link-kind": "article", "link-url": "javascript:alert(1)", "link-title": "Lu"}
    ).get_data(as_text=True)
    assert "Saisissez une adresse web complète commençant par https:// ou http://." in page
    assert 'value="Lu"' in page
    assert rows(app) == []
    ok = client.post(
        base,
        data={
            "link-kind": "recording",
            "link-url": "https://video.example.org/watch?v=1&t=2",
            "link-title": "Enregistrement <b>",
        },
    )
    assert ok.status_code == 302
    set_session_times(app, world.session_id, ends_in=timedelta(minutes=-1))
    page = app.test_client().get(f"/en/events/{world.slug}/sessions/opening").get_data(as_text=True)
    assert (
        '<a href="https://video.example.org/watch?v=1&amp;t=2" rel="noopener noreferrer nofollow" dir="auto">'
        "Enregistrement &lt;b&gt;</a>" in page
    )


def test_another_events_material_is_not_reachable_here(app, client, world):
    with app.app_context():
        other = make_event(db.session, "other-event")
        item = make_session(db.session, other, "opening", "2027-01-24T09:00", "2027-01-24T10:00")
        material = materials.add_slides(
            db.session, item, plain_pdf(), filename="x.pdf", publish=True
        )
        db.session.commit()
        material_id, other_session, other_event = material.id, item.id, other.id
    anon = app.test_client()
    assert (
        download(
            anon, f"/en/events/other-event/sessions/opening/materials/{material_id}"
        ).status_code
        == 200
    )
    assert (
        download(
            anon, f"/en/events/{world.slug}/sessions/opening/materials/{material_id}"
        ).status_code
        == 404
    )
    login(client, "organiser@example.org")
    manage = f"/en/manage/events/{world.slug}/sessions/{world.session_id}/materials"
    assert download(client, f"{manage}/{material_id}/file").status_code == 404
    assert client.post(f"{manage}/{material_id}/remove").status_code == 404
    assert (
        client.get(f"/en/manage/events/{world.slug}/sessions/{other_session}/materials").status_code
        == 404
    )
    # a row whose key points into another event's folder is never served
    with app.app_context():
        row = db.session.get(SessionMaterial, material_id)
        assert materials.file_path(row) is not None
        row.storage_key = row.storage_key.replace(
            f"materials/{other_event}/", f"materials/{world.event_id}/"
        )
        assert materials.file_path(row) is None
        db.session.rollback()
    assert len(rows(app)) == 1


def test_another_speakers_token_cannot_remove_it(app, client, world):
    token, link_id = ids(app, world)
    upload_from_portal(client, token, link_id, plain_pdf())
    (row,) = rows(app)
    with app.app_context():
        item = db.session.get(Session, world.session_id)
        other = make_person(db.session, item.event, "p2", email="p2@example.org")
        other_link = add_speaker(db.session, item, other)
        other_token = ensure_portal_token(other)
        db.session.commit()
        other_link_id = other_link.id
    stranger = app.test_client()
    # their own link to the same session: they see it but may not remove it
    page = stranger.get(f"/en/speaker/{other_token}/sessions/{other_link_id}/materials")
    assert (
        page.status_code == 200
        and "Added by the organisers or another speaker" in page.get_data(as_text=True)
    )
    removal = stranger.post(
        f"/en/speaker/{other_token}/sessions/{other_link_id}/materials/{row.id}/remove"
    )
    assert removal.status_code == 403
    assert "You can remove only the materials you added." in removal.get_data(as_text=True)
    # the first speaker's link with the second speaker's token: not found
    assert (
        stranger.post(f"/en/speaker/{other_token}/sessions/{link_id}/materials/{row.id}/remove")
    ).status_code == 404
    assert (
        stranger.get(f"/en/speaker/{other_token}/sessions/{link_id}/materials").status_code == 404
    )
    assert len(rows(app)) == 1 and len(stored_files(app)) == 1
    # the owner removes it: row and file go
    assert (
        client.post(f"/en/speaker/{token}/sessions/{link_id}/materials/{row.id}/remove").status_code
        == 302
    )
    assert rows(app) == [] and stored_files(app) == []


def test_files_follow_the_transaction_and_orphans_are_swept(app, ctx):
    event = make_event(ctx, "files-event")
    item = make_session(ctx, event, "s1", "2027-01-24T09:00", "2027-01-24T10:00")
    ctx.commit()
    materials.add_slides(ctx, item, plain_pdf(), filename="a.pdf")
    assert len(stored_files(app)) == 1
    ctx.rollback()  # the row is gone: so is the file
    assert stored_files(app) == []
    kept = materials.add_slides(ctx, item, plain_pdf(), filename="b.pdf")
    ctx.commit()
    materials.remove(ctx, kept)
    ctx.rollback()  # not removed after all: the file stays
    assert len(stored_files(app)) == 1
    materials.remove(ctx, ctx.get(SessionMaterial, kept.id))
    assert len(stored_files(app)) == 1  # until the commit
    ctx.commit()
    assert stored_files(app) == []
    # a file no row names (a crash, a deleted event) goes once it is old enough
    orphan = storage.event_dir(event.id) / ("0" * 32 + ".pdf")
    orphan.write_bytes(b"%PDF-1.7")
    assert storage.sweep_orphans() == 0
    assert storage.sweep_orphans(now=time.time() + 7 * 3600) == 1
    assert not orphan.exists()


def test_clean_filename():
    assert materials.clean_filename("../../etc/passwd") == "passwd.pdf"
    assert materials.clean_filename("C:\\Users\\x\\talk.PDF") == "talk.pdf"
    assert materials.clean_filename("evil\u202eexe.pdf") == "evilexe.pdf"
    assert materials.clean_filename("") == "slides.pdf"
    assert materials.clean_filename("عرض.pdf") == "عرض.pdf"


def test_demo_has_published_slides_for_the_keynote(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == "ide-2026"))
        found = db.session.scalars(
            select(SessionMaterial).join(Session).where(Session.event_id == event.id)
        ).all()
        assert len(found) == 1
        (row,) = found
        assert row.session.key == "keynote-learning-cities" and row.published_at is not None
        assert materials.file_path(row) is not None
        row_id = row.id
    client = app.test_client()
    page = client.get("/fr/events/ide-2026/sessions/keynote-learning-cities").get_data(as_text=True)
    assert f"/fr/events/ide-2026/sessions/keynote-learning-cities/materials/{row_id}" in page
    slides = download(
        client, f"/fr/events/ide-2026/sessions/keynote-learning-cities/materials/{row_id}"
    )
    assert slides.status_code == 200 and slides.data.startswith(b"%PDF-")
    # seeding again adds nothing
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(SessionMaterial.id))) == 1


def test_a_session_holds_a_bounded_number_of_materials(app, ctx):
    event = make_event(ctx, "full-event")
    item = make_session(ctx, event, "s1", "2027-01-24T09:00", "2027-01-24T10:00")
    for n in range(materials.MAX_PER_SESSION):
        materials.add_link(ctx, item, kind="link", url=f"https://example.org/{n}")
    ctx.commit()
    with pytest.raises(materials.MaterialError) as refused:
        materials.add_slides(ctx, item, plain_pdf(), filename="late.pdf")
    assert "remove one before adding another" in refused.value.messages[0]
    ctx.rollback()
    assert stored_files(app) == []
    titles = [m.title for m in materials.for_session(ctx, item)]
    assert len(titles) == materials.MAX_PER_SESSION and titles[0] == "example.org"


def test_slides_may_be_larger_than_other_requests_with_csrf_on(app, client, world):
    """The CSRF check reads the body before the view: the slides limit applies before it."""
    token, link_id = ids(app, world)
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["MAX_CONTENT_LENGTH"] = 30_000
    big = plain_pdf(pages=600)
    assert 30_000 < len(big) < materials.DEFAULT_MAX_BYTES
    url = f"/en/speaker/{token}/sessions/{link_id}/materials"
    page = client.get(url).get_data(as_text=True)
    csrf = re.search(r'name="slides-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        url + "/slides",
        data={"slides-csrf_token": csrf, "slides-file": (io.BytesIO(big), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.status_code
    (row,) = rows(app)
    assert row.filename == "big.pdf"
    # other requests keep the app's limit
    too_long = client.post(
        f"{url}/link", data={"link-csrf_token": csrf, "link-title": "x" * 40_000}
    )
    assert too_long.status_code == 413


def test_a_pdf_with_only_an_owner_password_is_stored_without_encryption():
    locked = io.BytesIO()
    with pikepdf.open(io.BytesIO(plain_pdf(link="https://example.org/"))) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="", owner="owner"))
    assert b"/Encrypt" in locked.getvalue()
    data, removed = material_pdf.sanitize(locked.getvalue())
    assert b"/Encrypt" not in data and removed == []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert not pdf.is_encrypted
        assert str(pdf.pages[0].Annots[0].A.URI) == "https://example.org/"
