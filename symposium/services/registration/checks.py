"""Registration input: the data a person gives, its checks and normalisation (no database)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from babel import Locale
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from ...i18n import LANGUAGES
from ...models import ATTENDANCE_MODES, Event
from ...models.types import utcnow

MAX_LENGTHS = {
    "full_name": 200,
    "email": 254,
    "organisation": 200,
    "job_title": 200,
    "city": 120,
    "accessibility_needs": 2000,
}

# C0/C1 control characters (tab and newlines are allowed only in multi-line text) and the
# bidirectional embedding/override/isolate characters that can disguise a name.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")

SIGNUP_CONFIRMED = "confirmed"
SIGNUP_WAITLISTED = "waitlisted"
SIGNUP_PENDING = "pending"  # waiting for the registration itself to be confirmed


class RegistrationError(Exception):
    """A rule was broken; ``message`` is translated and can be shown as is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class RegistrationData:
    full_name: str
    email: str
    organisation: str | None = None
    job_title: str | None = None
    country: str | None = None
    city: str | None = None
    attendance_mode: str = "in_person"
    preferred_language: str = "ar"
    sessions: Sequence[str] = ()
    accessibility_needs: str | None = None
    consent: bool = True


@dataclass(frozen=True)
class CheckedData:
    """Registration data that passed ``check`` (normalised values), ready to store."""

    values: dict
    sessions: tuple[str, ...]


def normalize_text(value: str | None) -> str:
    """NFC-normalised and trimmed; inner spacing is kept as typed."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


def normalize_email(value: str | None) -> str:
    return normalize_text(value).casefold()


def text_problem(value: str | None, *, multiline: bool = False, name: bool = False) -> str | None:
    """A translated message when ``value`` holds characters we refuse, else None."""
    if not value:
        return None
    if _BIDI.search(value):
        return _("Text direction control characters are not allowed.")
    if _CONTROL.search(value) or (not multiline and _LINE_BREAKS.search(value)):
        return _("Control characters are not allowed.")
    if name and ("<" in value or ">" in value):
        return _("The characters < and > are not allowed here.")
    return None


def email_problem(value: str) -> str | None:
    if not value:
        return _("Please enter your email address.")
    if len(value) > MAX_LENGTHS["email"]:
        return _("This email address is too long.")
    if not _email_syntax_ok(value):
        return _("Please enter a valid email address.")
    return None


@lru_cache(maxsize=64)
def _email_syntax_ok(value: str) -> bool:
    """email_validator's syntax check (no DNS), remembered for the last few addresses: the
    form's validator and the service's check ask about the same address in one request."""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@lru_cache(maxsize=1)
def _territories() -> frozenset[str]:
    return frozenset(code.upper() for code in Locale("en").territories)


def registration_closed_reason(event: Event, now: datetime | None = None) -> str | None:
    """Why online registration is not possible right now (translated), or None when open."""
    now = now or utcnow()
    if not event.is_published or not event.registration_open:
        return _("Registration is closed.")
    if event.registration_opens_at and now < event.registration_opens_at:
        return _("Registration has not opened yet.")
    if event.registration_closes_at and now >= event.registration_closes_at:
        return _("Registration closed on the deadline.")
    return None


def check(data: RegistrationData | CheckedData) -> CheckedData:
    """Check and normalise the data without touching the database (views call it before
    their transaction starts); raise RegistrationError on the first problem."""
    if isinstance(data, CheckedData):
        return data
    return CheckedData(_clean(data), tuple(data.sessions or ()))


def _clean(data: RegistrationData) -> dict:
    """Check and normalise the data; raise RegistrationError on the first problem."""
    values = {}
    for name in ("full_name", "organisation", "job_title", "city", "accessibility_needs"):
        value = normalize_text(getattr(data, name))
        problem = text_problem(
            value, multiline=name == "accessibility_needs", name=name == "full_name"
        )
        if problem:
            raise RegistrationError(problem, name)
        if len(value) > MAX_LENGTHS[name]:
            raise RegistrationError(
                _("Please use at most %(max)d characters.", max=MAX_LENGTHS[name]), name
            )
        values[name] = value or None
    if not values["full_name"]:
        raise RegistrationError(_("Please enter your full name."), "full_name")
    email = normalize_text(data.email)
    problem = text_problem(email) or email_problem(email)
    if problem:
        raise RegistrationError(problem, "email")
    values["email"] = email
    values["email_normalized"] = normalize_email(email)
    country = normalize_text(data.country).upper() or None
    if country and (len(country) != 2 or country not in _territories()):
        raise RegistrationError(_("Please choose a country from the list."), "country")
    values["country"] = country
    if data.attendance_mode not in ATTENDANCE_MODES:
        raise RegistrationError(_("Please choose how you will attend."), "attendance_mode")
    values["attendance_mode"] = data.attendance_mode
    if data.preferred_language not in LANGUAGES:
        raise RegistrationError(_("Please choose a language."), "preferred_language")
    values["preferred_language"] = data.preferred_language
    if not data.consent:
        raise RegistrationError(_("Please accept the privacy notice to register."), "consent")
    return values
