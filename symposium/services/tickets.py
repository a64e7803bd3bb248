"""Tickets: a signed check-in code carrying the registration token, shown as a QR code.

The code is ``<token>.<signature>`` made with itsdangerous and the app's SECRET_KEY (salted
for this purpose): a scanner can tell a real code from a typo or a forged one before any
database lookup, and nobody can make a valid code without the secret. A rotated token (after
"delete my data") makes the old ticket useless.
"""

from __future__ import annotations

import io

import segno
from flask import current_app
from itsdangerous import BadSignature, Signer

from ..models import Registration

_SALT = "symposium.checkin.v1"


def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt=_SALT)


def checkin_code(registration: Registration) -> str:
    """The payload of the ticket's QR code."""
    return _signer().sign(registration.token).decode("ascii")


def parse_checkin_code(code: str | None) -> str | None:
    """The registration token inside a genuine check-in code, else None."""
    if not code:
        return None
    code = code.strip()
    if not code or len(code) > 200:
        return None
    try:
        return _signer().unsign(code.encode("ascii", "strict")).decode("ascii")
    except (BadSignature, UnicodeError):
        return None


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
