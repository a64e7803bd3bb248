"""Helpers for the PDF tests: Poppler/qpdf/zbar wrappers and small builders."""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import unicodedata

import pytest

from symposium.models import Registration
from symposium.models.types import utcnow
from symposium.services.search import search_text

BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def need(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        pytest.skip(f"{tool} is not installed (Debian: poppler-utils / qpdf / zbar-tools)")
    return path


def _run(args: list[str], data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, input=data, capture_output=True, check=False, timeout=60)


def pdf_text(data: bytes, tmp_path) -> str:
    """Text extracted by pdftotext, NFC, without bidi control marks, spaces collapsed."""
    need("pdftotext")
    path = tmp_path / f"t-{secrets.token_hex(4)}.pdf"
    path.write_bytes(data)
    result = _run(["pdftotext", "-enc", "UTF-8", str(path), "-"])
    assert result.returncode == 0, result.stderr
    text = BIDI_MARKS.sub("", result.stdout.decode("utf-8"))
    return " ".join(unicodedata.normalize("NFC", text).split())


def assert_fonts_embedded(data: bytes, tmp_path) -> list[str]:
    need("pdffonts")
    path = tmp_path / f"f-{secrets.token_hex(4)}.pdf"
    path.write_bytes(data)
    result = _run(["pdffonts", str(path)])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()[2:]
    assert lines, "no fonts at all: the text is not real text"
    names = []
    for line in lines:
        # columns: name type encoding emb sub uni object ID (type may hold spaces)
        match = re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line)
        assert match, line
        assert match.group(1) == "yes", f"font not embedded: {line}"
        names.append(line.split()[0])
    return names


def assert_qpdf_ok(data: bytes, tmp_path) -> None:
    need("qpdf")
    path = tmp_path / f"q-{secrets.token_hex(4)}.pdf"
    path.write_bytes(data)
    result = _run(["qpdf", "--check", str(path)])
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert b"No syntax or stream encoding errors" in result.stdout


def qr_codes(data: bytes, tmp_path, page: int = 1) -> list[str]:
    """QR codes on a page: pdftoppm -r 150 then zbarimg."""
    need("pdftoppm")
    need("zbarimg")
    path = tmp_path / f"z-{secrets.token_hex(4)}.pdf"
    path.write_bytes(data)
    prefix = tmp_path / f"z-{secrets.token_hex(4)}"
    result = _run(
        ["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), str(path), str(prefix)]
    )
    assert result.returncode == 0, result.stderr
    images = sorted(tmp_path.glob(prefix.name + "*.png"))
    assert images
    result = _run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(images[0])])
    return [line for line in result.stdout.decode().splitlines() if line]


def make_registration(
    session,
    event,
    name: str,
    email: str,
    *,
    lang: str = "en",
    status: str = "confirmed",
    attended: bool = True,
    organisation: str | None = None,
) -> Registration:
    registration = Registration(
        event=event,
        token=secrets.token_urlsafe(32),
        status=status,
        full_name=name,
        email=email,
        email_normalized=email.strip().casefold(),
        organisation=organisation,
        preferred_language=lang,
        search_text=search_text(name, email),
        checked_in_at=utcnow() if attended else None,
        attendance_source="door" if attended else None,
    )
    session.add(registration)
    session.flush()
    return registration
