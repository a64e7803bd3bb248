"""Speakers: invitation in the speaker's language, the portal, rich text, photos."""

from __future__ import annotations

import email
import email.policy
import io

import pytest
from PIL import Image
from sqlalchemy import select

from symposium.extensions import db
from symposium.models import OutboxEmail, Person, SessionPerson
from tests.manage_helpers import build_world, login


def jpeg_with_exif(size=(1600, 1200)) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def world(app):
    return build_world(app)


def invite(client, world, lang="fr"):
    login(client, "organiser@example.org")
    return client.post(
        f"/en/manage/events/{world.slug}/people/{world.person_id}/invite", data={"language": lang}
    )


def portal_token(app, world):
    with app.app_context():
        return db.session.get(Person, world.person_id).portal_token


def test_invitation_in_chosen_language_with_personal_link(app, client, world):
    assert invite(client, world, "fr").status_code == 302
    token = portal_token(app, world)
    assert token and len(token) >= 40
    with app.app_context():
        row = db.session.scalars(select(OutboxEmail)).one()
        assert row.kind == "speaker_invitation" and row.recipient == "p1@example.org"
        msg = email.message_from_bytes(row.message, policy=email.policy.default)
        plain = msg.get_body(("plain",))
        text = plain.get_content()
        assert f"http://symposium.test/fr/speaker/{token}" in text
        assert db.session.get(Person, world.person_id).invited_at is not None


def test_portal_confirm_decline_and_noindex(app, client, world):
    invite(client, world)
    token = portal_token(app, world)
    anon = app.test_client()
    page = anon.get(f"/ar/speaker/{token}")
    assert page.status_code == 200
    assert page.headers["X-Robots-Tag"].startswith("noindex")
    assert 'name="robots" content="noindex' in page.get_data(as_text=True)
    with app.app_context():
        link_id = db.session.scalars(select(SessionPerson)).one().id
    assert (
        anon.post(
            f"/ar/speaker/{token}/sessions/{link_id}", data={"answer": "declined"}
        ).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(SessionPerson, link_id).confirmation == "declined"
    anon.post(f"/ar/speaker/{token}/sessions/{link_id}", data={"answer": "confirmed"})
    with app.app_context():
        link = db.session.get(SessionPerson, link_id)
        assert link.confirmation == "confirmed" and link.responded_at is not None
    assert (
        anon.post(f"/ar/speaker/{token}/sessions/{link_id}", data={"answer": "maybe"}).status_code
        == 400
    )
    assert anon.get("/ar/speaker/not-a-token").status_code == 404


def test_portal_profile_is_sanitised(app, client, world):
    invite(client, world)
    token = portal_token(app, world)
    anon = app.test_client()
    bio = '<p>مرحبا <em>بكم</em></p><script>alert(1)</script><a href="javascript:x" onclick="y">l</a><ul><li>x</li></ul>'
    response = anon.post(
        f"/en/speaker/{token}/profile",
        data={"title_ar": "رئيسة الجامعة", "bio_ar": bio, "title_en": "President"},
    )
    assert response.status_code == 302
    with app.app_context():
        person = db.session.get(Person, world.person_id)
        assert person.title["ar"] == "رئيسة الجامعة" and person.title["en"] == "President"
        stored = person.bio["ar"]
        assert "<em>بكم</em>" in stored and "<ul><li>x</li></ul>" in stored
        assert "script" not in stored and "javascript" not in stored and "onclick" not in stored


def test_photo_is_reencoded_resized_and_stripped(app, client, world):
    invite(client, world)
    token = portal_token(app, world)
    anon = app.test_client()
    response = anon.post(
        f"/en/speaker/{token}/photo",
        data={"photo": (io.BytesIO(jpeg_with_exif()), "me.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        path = db.session.get(Person, world.person_id).photo_path
    assert path.startswith("photos/") and path.endswith(".jpg") and "me" not in path
    served = anon.get(f"/en/photos/{path.split('/')[-1]}")
    assert served.status_code == 200
    img = Image.open(io.BytesIO(served.data))
    assert max(img.size) == 800
    assert not img.getexif()
    assert b"SecretCam" not in served.data
    served.close()
    assert anon.get("/en/photos/..%2Fsecret.jpg").status_code == 404


@pytest.mark.parametrize(
    "payload, name",
    [
        (b"GIF89a" + b"\x00" * 50, "a.gif"),
        (b"%PDF-1.4 not an image", "a.png"),
        (b"\xff\xd8\xff" + b"\x00" * 5000, "big.jpg"),
    ],
)
def test_bad_photos_refused(app, client, world, payload, name, monkeypatch):
    from symposium.services import speakers

    # a small limit keeps the test client's upload in memory (5 MB in production)
    monkeypatch.setattr(speakers, "MAX_PHOTO_BYTES", 4000)
    invite(client, world)
    token = portal_token(app, world)
    response = app.test_client().post(
        f"/fr/speaker/{token}/photo",
        data={"photo": (io.BytesIO(payload), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Person, world.person_id).photo_path is None


def test_gif_refused_in_service(ctx):
    from symposium.services.speakers import SpeakerError, process_photo

    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    with pytest.raises(SpeakerError, match="JPEG or PNG"):
        process_photo(out.getvalue())
    png = io.BytesIO()
    Image.new("RGBA", (300, 1000), (0, 0, 0, 0)).save(png, format="PNG")
    data, ext = process_photo(png.getvalue())
    assert ext == "png" and Image.open(io.BytesIO(data)).size == (240, 800)


def test_organiser_creates_and_edits_person(app, client, world):
    login(client, "organiser@example.org")
    response = client.post(
        f"/en/manage/events/{world.slug}/people/new",
        data={"name_en": "Only English"},
    )
    assert response.status_code == 400  # the event's default language (ar) is required
    response = client.post(
        f"/en/manage/events/{world.slug}/people/new",
        data={
            "name_ar": "سارة",
            "name_en": "Sara",
            "country": "MA",
            "bio_en": "<p>Hi<script>x</script></p>",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.key == "sara"))
        assert person.country == "MA" and person.bio["en"] == "<p>Hi</p>"
