"""Readers of plain values that collect every problem with its path."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _

from ...i18n import LANGUAGES, local_to_utc, utc_to_local
from .. import textcheck


class _Checker:
    """Collects problems while reading a document into plain Python values."""

    def __init__(self):
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    # -- generic readers: return the parsed value, or None after recording a problem --

    def unknown_keys(self, obj: dict, allowed: tuple[str, ...], path: str) -> None:
        for key in obj:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.add(where, _("unknown key"))

    def required(self, obj: dict, key: str, path: str) -> bool:
        if key not in obj or obj[key] is None:
            self.add(self.join(path, key), _("required"))
            return False
        return True

    @staticmethod
    def join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def string(self, obj, key, path, *, required=False, max_length=None) -> str | None:
        where = self.join(path, key)
        if key not in obj or obj[key] is None:
            if required:
                self.add(where, _("required"))
            return None
        value = obj[key]
        if not isinstance(value, str):
            self.add(where, _("must be a text"))
            return None
        problem = textcheck.text_problem(value, max_length=max_length)
        if problem:
            self.add(where, problem)
            return None
        value = value.strip()
        if required and not value:
            self.add(where, _("must not be empty"))
            return None
        if max_length and len(value) > max_length:
            self.add(where, _("longer than %(max)s characters", max=max_length))
            return None
        return value or None

    def boolean(self, obj, key, path, default: bool) -> bool:
        if key not in obj or obj[key] is None:
            return default
        if not isinstance(obj[key], bool):
            self.add(self.join(path, key), _("must be true or false"))
            return default
        return obj[key]

    def capacity(self, obj, key, path) -> int | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.add(self.join(path, key), _("must be a non-negative whole number or null"))
            return None
        problem = textcheck.int_problem(value, minimum=0)
        if problem:
            self.add(self.join(path, key), problem)
            return None
        return value

    def integer(self, obj, key, path, default: int = 0) -> int:
        value = obj.get(key)
        if value is None:
            return default
        problem = textcheck.int_problem(value)
        if problem:
            self.add(self.join(path, key), problem)
            return default
        return value

    def i18n(
        self,
        obj,
        key,
        path,
        *,
        default_language=None,
        required=False,
        multiline=False,
        max_length=None,
    ) -> dict[str, str]:
        where = self.join(path, key)
        value = obj.get(key)
        if value is None:
            value = {}
        if not isinstance(value, dict):
            self.add(where, _("must be an object of texts by language (ar, en, fr)"))
            return {}
        result: dict[str, str] = {}
        ok = True
        for lang_code, text in value.items():
            if lang_code not in LANGUAGES:
                self.add(f"{where}.{lang_code}", _("unknown language (use ar, en or fr)"))
                ok = False
                continue
            if text is None:
                continue
            if not isinstance(text, str):
                self.add(f"{where}.{lang_code}", _("must be a text"))
                ok = False
                continue
            problem = textcheck.text_problem(text, multiline=multiline, max_length=max_length)
            if problem:
                self.add(f"{where}.{lang_code}", problem)
                ok = False
                continue
            if text.strip():
                result[lang_code] = text.strip()
        if ok and required:
            if default_language and default_language not in result:
                self.add(
                    where,
                    _(
                        "a text in the default language (%(lang)s) is required",
                        lang=default_language,
                    ),
                )
            elif not result:
                self.add(where, _("required"))
        return {k: result[k] for k in sorted(result)}

    def iso_date(self, obj, key, path) -> date | None:
        where = self.join(path, key)
        if not self.required(obj, key, path):
            return None
        value = obj[key]
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.add(where, _("not an ISO date (YYYY-MM-DD)"))
            return None

    def local_datetime(self, obj, key, path, tzname, *, required) -> datetime | None:
        """A wall-clock time in the event's timezone -> aware UTC."""
        where = self.join(path, key)
        if key not in obj or obj[key] is None:
            if required:
                self.add(where, _("required"))
            return None
        value = obj[key]
        try:
            if not isinstance(value, str) or "T" not in value:
                raise ValueError
            local = datetime.fromisoformat(value)
        except ValueError:
            self.add(where, _("not an ISO date-time (YYYY-MM-DDTHH:MM)"))
            return None
        if local.tzinfo is not None:
            self.add(where, _("give the local time in the event's timezone, without an offset"))
            return None
        if tzname is None:
            return None  # the timezone is wrong; already reported
        utc = local_to_utc(local, tzname)
        if utc_to_local(utc, tzname).replace(tzinfo=None) != local:
            self.add(
                where,
                _(
                    "%(time)s does not exist in %(tz)s (daylight saving time change)",
                    time=value,
                    tz=tzname,
                ),
            )
            return None
        return utc
