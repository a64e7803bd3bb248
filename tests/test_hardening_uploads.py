"""Uploads bounded: byte size and pixel dimensions are checked BEFORE decoding, so that a
decompression bomb under Pillow's own limit is refused without the memory it would take."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from PIL import Image

from symposium.extensions import db
from symposium.models import Person, Signatory
from symposium.services import uploads
from tests.manage_helpers import build_world, login

ROOT = Path(__file__).resolve().parent.parent


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_bomb(width: int = 8000, height: int = 8000, channels: int = 3) -> bytes:
    """A valid, highly compressible PNG (8000 x 8000 = 64 megapixels: under Pillow's ~89 MP
    warning limit; ~190 MB once decoded in RGB), written by blocks of rows without ever holding
    the pixels. ``channels``: 3 for RGB, 1 for grey (a smaller file)."""
    compressor = zlib.compressobj(1)
    row = b"\x00" + b"\x00" * (width * channels)
    rows = 100
    parts = [compressor.compress(row * rows) for _ in range(height // rows)]
    parts.append(compressor.compress(row * (height % rows)))
    parts.append(compressor.flush())
    colour_type = 2 if channels == 3 else 0
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    path.write_bytes(png_bomb())
    return path


def test_the_bomb_is_under_pillows_own_limit(bomb):
    raw = bomb.read_bytes()
    assert len(raw) < 1024 * 1024  # a small file
    with Image.open(io.BytesIO(raw)) as image:
        assert image.size == (8000, 8000)
        assert 8000 * 8000 < Image.MAX_IMAGE_PIXELS  # Pillow alone would decode it


# Peak memory (ru_maxrss, KB on Linux) of a fresh process: after the imports, after the bomb
# (photo and signature entries), and after the largest photos we accept (JPEG and PNG).
MEASURE = textwrap.dedent(
    """
    import json, resource, sys
    from flask import Flask
    from flask_babel import Babel
    from symposium.services import speakers
    from symposium.services.certificates import CertificateError, save_signature_image

    app = Flask("measure")
    app.config["STORAGE_DIR"] = sys.argv[4]
    Babel(app)
    bomb, jpeg, png = (open(name, "rb").read() for name in sys.argv[1:4])
    peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    messages = []
    with app.test_request_context():
        base = peak()
        try:
            speakers.process_photo(bomb)
        except speakers.SpeakerError as exc:
            messages.append(exc.messages[0])
        try:
            class Event:
                id = 1
            save_signature_image(Event(), bomb)
        except CertificateError as exc:
            messages.append(exc.message)
        after_bomb = peak()
        sizes = [len(speakers.process_photo(raw)[0]) for raw in (jpeg, png)]
        after_photos = peak()
    print(json.dumps({"bomb_kb": after_bomb - base, "photos_kb": after_photos - base,
                      "messages": messages, "sizes": sizes}))
    """
)


def _largest_photos(tmp_path) -> tuple[Path, Path]:
    """4000 x 3000 (the 12 MP limit) JPEG and RGBA PNG, small files."""
    gradient = Image.linear_gradient("L").resize((4000, 3000))
    jpeg, png = tmp_path / "big.jpg", tmp_path / "big.png"
    gradient.convert("RGB").save(jpeg, format="JPEG", quality=80)
    rgba = gradient.convert("RGBA")
    rgba.save(png, format="PNG")
    return jpeg, png


def test_bomb_refused_clearly_and_every_upload_under_100_mb(bomb, tmp_path):
    jpeg, png = _largest_photos(tmp_path)
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(bomb), str(jpeg), str(png), str(tmp_path / "s")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(result["messages"]) == 2
    assert all("too large" in m and "8000 × 8000" in m for m in result["messages"]), result
    assert result["bomb_kb"] < 20 * 1024, result  # refused before decoding (~190 MB)
    assert all(size > 0 for size in result["sizes"])
    assert result["photos_kb"] < 100 * 1024, result


def test_open_image_checks_before_decoding():
    with pytest.raises(uploads.UploadError):
        uploads.open_image(png_bomb(5000, 3000))  # 15 MP
    with uploads.open_image(png_bomb(100, 50)) as image:
        assert image.size == (100, 50)
    with pytest.raises(uploads.UploadError):
        uploads.open_image(b"x" * 100, max_bytes=10)


@pytest.fixture
def world(app):
    return build_world(app)


def test_bomb_refused_through_the_workspace_and_the_portal(app, client, world):
    raw = png_bomb(channels=1)  # under 500 KB: the test client keeps it in memory
    assert len(raw) < 500 * 1024
    login(client, "organiser@example.org")
    base = f"/en/manage/events/{world.slug}"
    response = client.post(
        f"{base}/people/{world.person_id}/edit",
        data={"name_ar": "متحدث", "photo": (io.BytesIO(raw), "bomb.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "The image is too large" in response.get_data(as_text=True)
    client.post(f"{base}/people/{world.person_id}/invite", data={"language": "en"})
    with app.app_context():
        token = db.session.get(Person, world.person_id).portal_token
    response = app.test_client().post(
        f"/en/speaker/{token}/photo",
        data={"photo": (io.BytesIO(raw), "bomb.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "The image is too large" in response.get_data(as_text=True)
    response = client.post(
        f"{base}/certificates/signatories",
        data={"name_en": "Dr Who", "signature": (io.BytesIO(raw), "bomb.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "The image is too large" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Person, world.person_id).photo_path is None
        assert db.session.scalar(db.select(db.func.count()).select_from(Signatory)) == 0
