"""What text, numbers, timezones, email addresses and JSON documents the application accepts.

One module, used at every entry: the workspace and public forms (the WTForms validators at the
end), the interchange import, the CLI. Each check returns a translated message (or None); the
callers add the field or the path. See docs/interchange.md ("Limits").

- Single-line text (titles, names, rooms, organisations): no control character (NUL, C0, C1,
  line breaks), no lone surrogate, no bidirectional override or isolate (U+202A-202E,
  U+2066-2069), and at least one visible character (a value made only of zero-width, filler
  or tag characters is refused).
- Multi-line text (descriptions, biographies, abstracts): the same, with newlines and tabs.
- Whole numbers: within the database's 32-bit range.
- Timezones: real IANA zones (not ``localtime``, ``Factory``, ``posix/...``).
- Email addresses: ASCII only, unless ``MAIL_SMTPUTF8`` is set (the mail server delivers
  internationalised addresses).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app, has_app_context
from flask_babel import gettext as _
from wtforms.validators import StopValidation, ValidationError

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1

# Longest accepted texts (characters), by kind of field
LIMITS = {
    "title": 300,
    "name": 200,
    "room": 200,
    "organisation": 300,
    "city": 120,
    "track": 120,
    "venue": 300,
    "address": 1000,
    "description": 20000,
    "abstract": 10000,
    "bio": 10000,
    "email": 254,
}
MAX_EVENT_DAYS = 31  # first to last day, inclusive
JSON_MAX_BYTES = 8 * 1024 * 1024  # an interchange document (inline photos included)
JSON_MAX_DEPTH = 8  # the format needs 5 (sessions[i].speakers[j].key); settings get 3 more

_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = "\n\r\t\u2028\u2029\x0b\x0c\x85"
_MULTILINE_OK = "\n\r\t"
# Letters that render as nothing: Hangul fillers, the braille blank, the Mongolian vowel separator
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
_BAD_TIMEZONES = frozenset({"localtime", "Factory", "posixrules"})


def _has_visible(value: str) -> bool:
    for ch in value:
        if ch in _INVISIBLE_LETTERS:
            continue
        if unicodedata.category(ch)[0] in "LNPS":
            return True
    return False


def text_problem(
    value: str | None,
    *,
    multiline: bool = False,
    max_length: int | None = None,
) -> str | None:
    """A translated message when ``value`` may not be stored, else None (empty is fine)."""
    if not value:
        return None
    if not isinstance(value, str):
        return _("Must be a text.")
    if max_length is not None and len(value) > max_length:
        return _("Please use at most %(max)d characters.", max=max_length)
    for ch in value:
        if "\ud800" <= ch <= "\udfff":
            return _("The text contains an invalid character (a lone surrogate).")
    if _BIDI.search(value):
        return _("Text direction control characters are not allowed.")
    allowed = _MULTILINE_OK if multiline else ""
    for ch in value:
        if ch in allowed:
            continue
        if unicodedata.category(ch) == "Cc" or ch in _LINE_BREAKS:
            if not multiline and ch in _LINE_BREAKS:
                return _("Line breaks are not allowed here; use one line.")
            return _("Control characters are not allowed.")
    if value.strip() and not _has_visible(value):
        return _("The text has no visible character.")
    return None


def int_problem(value: Any, *, minimum: int = INT_MIN, maximum: int = INT_MAX) -> str | None:
    """A translated message unless ``value`` is a whole number within [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, int):
        return _("Must be a whole number.")
    if value < minimum or value > maximum:
        return _(
            "Must be between %(min)s and %(max)s.",
            min=f"{minimum}",
            max=f"{maximum}",
        )
    return None


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(
        z
        for z in available_timezones()
        if z not in _BAD_TIMEZONES and not z.startswith(("posix/", "right/"))
    )


def timezone_problem(name: str | None) -> str | None:
    """A translated message unless ``name`` is a real IANA timezone."""
    if not isinstance(name, str) or name not in _zones():
        return _("Unknown timezone: %(tz)s", tz=str(name)[:64])
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return _("Unknown timezone: %(tz)s", tz=name[:64])
    return None


def event_length_problem(starts_on, ends_on) -> str | None:
    if starts_on and ends_on and (ends_on - starts_on).days + 1 > MAX_EVENT_DAYS:
        return _("An event lasts at most %(num)d days.", num=MAX_EVENT_DAYS)
    return None


def smtputf8() -> bool:
    return bool(has_app_context() and current_app.config.get("MAIL_SMTPUTF8"))


def email_problem(value: str | None) -> str | None:
    """Characters only (the syntax is checked by the caller): ASCII unless SMTPUTF8 is on."""
    if not value:
        return None
    problem = text_problem(value)
    if problem:
        return problem
    if not value.isascii() and not smtputf8():
        return _(
            "Email addresses with non-Latin characters cannot be delivered here; "
            "please use an address in plain Latin letters."
        )
    return None


# --------------------------------------------------------------------------------------------
# JSON documents
# --------------------------------------------------------------------------------------------


class JsonProblems(ValueError):
    """The text is not an acceptable JSON document; ``problems`` are "path: message" strings."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _Pairs(dict):
    duplicates: list[str]


class _Bad:
    """A value the JSON decoder must not turn into a Python number (too big, NaN, Infinity)."""

    def __init__(self, text: str):
        self.text = text


def _pairs(pairs):
    obj = _Pairs()
    obj.duplicates = []
    for key, value in pairs:
        if key in obj:
            obj.duplicates.append(key)
        obj[key] = value
    return obj


def _int(text: str):
    digits = text.lstrip("-")
    return _Bad(text) if len(digits) > 18 else int(text)


def _float(text: str):
    value = float(text)
    return value if math.isfinite(value) else _Bad(text)


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def _nesting(text: str, limit: int) -> str | None:
    """A message when the text nests deeper than ``limit`` (checked before parsing)."""
    depth = 0
    for match in _BRACKETS.finditer(_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > limit:
            return _("nested deeper than %(num)d levels", num=limit)
    return None


def _join(path: str, key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _walk(value, path: str, problems: list[str], depth: int = 1, max_depth: int = JSON_MAX_DEPTH):
    """Plain dicts and lists back; every bad string, number or duplicate key reported."""
    where = path or "$"
    if isinstance(value, dict | list) and depth > max_depth:
        problems.append(f"{where}: " + _("nested deeper than %(num)d levels", num=max_depth))
        return None
    if isinstance(value, dict):
        for key in getattr(value, "duplicates", ()):
            problems.append(f"{_join(path, key)}: " + _("duplicate key"))
        out = {}
        for key, item in value.items():
            problem = text_problem(key, max_length=200) if isinstance(key, str) else None
            if problem or not isinstance(key, str):
                problems.append(f"{where}: " + (problem or _("Must be a text.")))
                continue
            out[key] = _walk(item, _join(path, key), problems, depth + 1, max_depth)
        return out
    if isinstance(value, list | tuple):
        return [
            _walk(item, _join(path, i), problems, depth + 1, max_depth)
            for i, item in enumerate(value)
        ]
    if isinstance(value, _Bad) or (isinstance(value, float) and not math.isfinite(value)):
        problems.append(f"{where}: " + _("number out of range"))
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        problem = int_problem(value)
        if problem:
            problems.append(f"{where}: {problem}")
            return None
    if isinstance(value, str):
        for ch in value:
            if "\ud800" <= ch <= "\udfff" or ch == "\x00":
                problems.append(
                    f"{where}: "
                    + _("The text contains an invalid character (NUL or a lone surrogate).")
                )
                return None
    return value


def check_values(data: Any, *, max_depth: int = JSON_MAX_DEPTH) -> tuple[Any, list[str]]:
    """``data`` (parsed JSON) with plain containers, and the problems of its values by path:
    nesting, duplicate keys, numbers out of range, NUL, lone surrogates."""
    problems: list[str] = []
    return _walk(data, "", problems, 1, max_depth), problems


def load_json(
    raw: bytes | str, *, max_bytes: int = JSON_MAX_BYTES, max_depth: int = JSON_MAX_DEPTH
) -> Any:
    """Parse a JSON document, refusing (JsonProblems) what the application cannot store:
    more than ``max_bytes``, nesting deeper than ``max_depth``, duplicate keys, numbers out of
    the 32-bit range, NaN/Infinity, NUL and lone surrogates. Never a traceback."""
    size = len(raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw)
    if size > max_bytes:
        raise JsonProblems(
            ["$: " + _("the document is larger than %(num)d MB", num=max_bytes // (1024 * 1024))]
        )
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise JsonProblems(["$: " + _("the file is not UTF-8 text")])
    else:
        text = raw.removeprefix("\ufeff")
    nesting = _nesting(text, max_depth)
    if nesting:
        raise JsonProblems([f"$: {nesting}"])
    try:
        data = json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_Bad,
        )
    except json.JSONDecodeError as exc:
        raise JsonProblems(
            [
                "$: "
                + _(
                    "not valid JSON (line %(line)d, column %(col)d: %(error)s)",
                    line=exc.lineno,
                    col=exc.colno,
                    error=exc.msg,
                )
            ]
        )
    except (ValueError, RecursionError):
        raise JsonProblems(["$: " + _("not valid JSON")])
    data, problems = check_values(data, max_depth=max_depth)
    if problems:
        raise JsonProblems(problems)
    return data


# --------------------------------------------------------------------------------------------
# WTForms validators
# --------------------------------------------------------------------------------------------


class SingleLine:
    """A one-line text (title, name, room, organisation): see ``text_problem``."""

    def __init__(self, max_length: int | None = None):
        self.max_length = max_length

    def __call__(self, form, field):
        problem = text_problem(field.data, max_length=self.max_length)
        if problem:
            raise StopValidation(problem)


class MultiLine(SingleLine):
    """A text with paragraphs: newlines and tabs allowed."""

    def __call__(self, form, field):
        problem = text_problem(field.data, multiline=True, max_length=self.max_length)
        if problem:
            raise StopValidation(problem)


class EmailChars:
    """Email addresses the mail server can deliver (ASCII unless MAIL_SMTPUTF8)."""

    def __call__(self, form, field):
        problem = email_problem(field.data)
        if problem:
            raise StopValidation(problem)


class Timezone:
    def __call__(self, form, field):
        if field.data:
            problem = timezone_problem(field.data)
            if problem:
                raise ValidationError(problem)


class Int32:
    """An IntegerField within the database's range (a bigger number would be a 500)."""

    def __call__(self, form, field):
        if field.data is not None:
            problem = int_problem(field.data)
            if problem:
                raise StopValidation(problem)
