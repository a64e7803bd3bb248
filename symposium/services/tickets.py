"""Tickets: a signed check-in code, shown as a QR code and used by the check-in screens.

The code is ``<registration id>.<signature>`` made with itsdangerous and the app's SECRET_KEY
(salted for this purpose). It is an opaque check-in id: it checks a person in and does nothing
else; it is neither the personal (self-service) token nor derivable from it, so check-in staff
and their scanners never see the personal link. A scanner can tell a real code from a typo or
a forged one before any database lookup, and nobody can make a valid code without the secret.

Tickets issued before this code existed carry ``<token>.<signature>`` (salt
``symposium.checkin.v1``); they are still accepted at the door (``parse_checkin_code``), and a
rotated token (after "delete my data") makes them useless.
"""

from __future__ import annotations

import io
from functools import lru_cache

import segno
from flask import current_app
from itsdangerous import BadSignature, Signer

from ..models import Registration

_SALT = "symposium.checkin.v1"  # legacy tickets: the signed personal token
_ID_SALT = "symposium.checkin-id.v2"  # current tickets: the signed registration id


def _signer(salt: str = _SALT) -> Signer:
    return _cached_signer(current_app.config["SECRET_KEY"], salt)


@lru_cache(maxsize=16)
def _cached_signer(secret_key: str, salt: str) -> Signer:
    # the key derivation runs once, not once per code (a search signs up to 50)
    return Signer(secret_key, salt=salt)


def checkin_code(registration: Registration) -> str:
    """The opaque check-in id of ``registration``: the payload of its ticket's QR code."""
    return _signer(_ID_SALT).sign(str(registration.id)).decode("ascii")


def _unsign(code: str | None, salt: str) -> str | None:
    if not code:
        return None
    code = code.strip()
    if not code or len(code) > 200:
        return None
    try:
        return _signer(salt).unsign(code.encode("ascii", "strict")).decode("ascii")
    except (BadSignature, UnicodeError):
        return None


def checkin_registration_id(code: str | None) -> int | None:
    """The registration id inside a genuine check-in code (``checkin_code``), else None."""
    value = _unsign(code, _ID_SALT)
    if value is None or not value.isdigit() or len(value) > 12:
        return None
    return int(value)


def parse_checkin_code(code: str | None) -> str | None:
    """The registration token inside a genuine legacy check-in code, else None."""
    return _unsign(code, _SALT)


def qr_svg(data: str, scale: int = 6) -> str:
    """A standalone SVG document of the QR code for ``data`` (segno)."""
    out = io.BytesIO()
    segno.make(data, error="m", micro=False).save(
        out, kind="svg", scale=scale, border=2, xmldecl=True, svgns=True, title=None
    )
    return out.getvalue().decode("utf-8")


def qr_svg_inline(data: str, scale: int = 6) -> str:
    """The QR code as an inline <svg> element (for embedding in a page)."""
    return segno.make(data, error="m", micro=False).svg_inline(scale=scale, border=2)
