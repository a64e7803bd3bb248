"""Storage belongs to the app: no stored path comes from input, and every route that serves a
stored file finds it through its row and checks that the row belongs to the event in the URL."""

from __future__ import annotations

import base64
import io
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from symposium.extensions import db
from symposium.models import Certificate, Person
from symposium.services import certificates as certs
from symposium.services import speakers
from symposium.services.interchange import InterchangeError, export_event, import_event
from tests.conftest import make_user
from tests.factories import add_speaker, make_event, make_person, make_session
from tests.interchange_helpers import doc


def _png(size=(60, 40), colour=(10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def test_import_refuses_a_stored_path(ctx, app):
    storage = Path(app.config["STORAGE_DIR"])
    (storage / "exports" / "2").mkdir(parents=True)
    (storage / "exports" / "2" / "certificates.zip").write_bytes(b"PK secret")
    data = doc()
    data["speakers"][0]["photo_path"] = "exports/2/certificates.zip"
    with pytest.raises(InterchangeError) as info:
        import_event(ctx, data)
    assert any(p.startswith("speakers[0].photo_path: ") for p in info.value.problems)


def test_import_stores_an_inline_photo_in_the_event_folder_and_exports_it(ctx, app):
    data = doc()
    data["speakers"][0]["photo"] = base64.b64encode(_png()).decode()
    event = import_event(ctx, data)
    ctx.commit()
    person = next(p for p in event.people if p.key == data["speakers"][0]["key"])
    assert person.photo_path.startswith(f"photos/{event.id}/")
    stored = speakers.photo_file(person)
    assert stored is not None
    with Image.open(stored) as image:
        assert image.size == (60, 40)
    exported = export_event(event)
    again = base64.b64decode(exported["speakers"][0]["photo"])
    assert again == stored.read_bytes()
    # the same document again changes nothing; a bad photo is a problem with its path
    version = event.agenda_version
    import_event(ctx, exported)
    assert event.agenda_version == version
    data["speakers"][0]["photo"] = base64.b64encode(b"GIF89a not a photo").decode()
    with pytest.raises(InterchangeError) as info:
        import_event(ctx, data)
    assert info.value.problems[0].startswith("speakers[0].photo: ")
    data["speakers"][0]["photo"] = "%%% not base64"
    with pytest.raises(InterchangeError) as info:
        import_event(ctx, data)
    assert info.value.problems == ["speakers[0].photo: not valid base64"]


@pytest.fixture
def two_events(app, ctx):
    """Event A (organiser a@) and event B with a photo, a certificate and a ZIP on disk; A's
    speaker row points (as a tampered or old row would) at B's files."""
    day = date(2026, 1, 26)
    a = make_event(ctx, "event-a", day=day)
    b = make_event(ctx, "event-b", day=day)
    item_b = make_session(ctx, b, "s1", "2026-01-26T09:00", "2026-01-26T10:00")
    bella = make_person(ctx, b, "bella", portal_token="tok-bella-" + "b" * 20)
    add_speaker(ctx, item_b, bella).confirmation = "confirmed"
    speakers.set_photo(ctx, bella, _png(colour=(1, 2, 3)))
    anna = make_person(ctx, a, "anna", portal_token="tok-anna-" + "a" * 20)
    item_a = make_session(ctx, a, "s1", "2026-01-26T09:00", "2026-01-26T10:00")
    add_speaker(ctx, item_a, anna).confirmation = "confirmed"
    ctx.commit()
    cert_b = certs.issue_for_person(ctx, bella)
    ctx.commit()
    storage = Path(app.config["STORAGE_DIR"])
    zip_b = storage / "exports" / str(b.id) / "certificates.zip"
    zip_b.parent.mkdir(parents=True, exist_ok=True)
    zip_b.write_bytes(b"PK B's certificates")
    ctx.commit()
    make_user(app, "a@example.org", "organiser", events=[a])
    return {"a": a, "b": b, "anna": anna, "bella": bella, "cert_b": cert_b, "zip_b": zip_b}


@pytest.mark.parametrize(
    "target", ["photo", "zip", "certificate", "legacy-dotdot", "absolute", "photos-root"]
)
def test_cross_event_read_through_every_file_route(app, client, auth, ctx, two_events, target):
    w = two_events
    b, anna, bella, cert_b = w["b"], w["anna"], w["bella"], w["cert_b"]
    bella_photo = speakers.photo_file(bella)
    assert bella_photo is not None
    paths = {
        "photo": bella.photo_path,
        "zip": f"exports/{b.id}/certificates.zip",
        "certificate": cert_b.pdf_path,
        "legacy-dotdot": f"photos/../exports/{b.id}/certificates.zip",
        "absolute": str(w["zip_b"]),
        "photos-root": f"photos/{b.id}/../{b.id}/{bella_photo.name}",
    }
    anna.photo_path = paths[target]
    ctx.commit()

    # public speaker photo of A
    response = client.get("/en/events/event-a/speakers/anna/photo")
    assert response.status_code == 404
    # the photo as the programme PDF of A would embed it
    from symposium.services.programme import _photo_url

    assert _photo_url(anna) is None
    # portal and workspace photo route, by file name: B's photo only through B's own row
    served = client.get(f"/en/photos/{bella_photo.name}")
    assert served.status_code == 200 and served.data == bella_photo.read_bytes()
    served.close()
    # the speaker portal of A: B's certificate is not A's
    assert (
        client.get(f"/en/speaker/{anna.portal_token}/certificates/{cert_b.id}.pdf").status_code
        == 404
    )
    # the workspace of A: B's certificate and B's ZIP
    auth.login("a@example.org")
    assert (
        client.get(f"/en/manage/events/event-a/certificates/{cert_b.code}.pdf").status_code == 404
    )
    assert client.get("/en/manage/events/event-b/certificates.zip").status_code == 403
    assert (
        client.get(f"/en/manage/events/event-b/certificates/{cert_b.code}.pdf").status_code == 403
    )
    # the ZIP of A never contains B's files
    response = client.get("/en/manage/events/event-a/certificates.zip")
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert b"PK B's certificates" not in response.data
    response.close()


def test_photo_of_one_event_not_served_for_another(ctx, app, two_events):
    """A row of event A with the exact event-scoped path of event B's photo is refused."""
    anna, bella = two_events["anna"], two_events["bella"]
    anna.photo_path = bella.photo_path
    ctx.flush()
    assert speakers.photo_file(anna) is None
    assert speakers.photo_file(bella) is not None
    assert db.session.get(Person, bella.id).photo_path.startswith(f"photos/{two_events['b'].id}/")
    assert ctx.scalar(db.select(Certificate).where(Certificate.person_id == anna.id)) is None
