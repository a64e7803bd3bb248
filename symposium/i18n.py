"""Languages, right-to-left handling, multilingual content and dates in the event's timezone."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, get_timezone_name
from babel.numbers import format_decimal
from flask import current_app, g, has_app_context
from flask_babel import force_locale, refresh

LANGUAGES: tuple[str, ...] = ("ar", "en", "fr")
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
LANGUAGE_NAMES = {"ar": "العربية", "en": "English", "fr": "Français"}


def current_language() -> str:
    lang = getattr(g, "lang", None) if has_app_context() else None
    if lang in LANGUAGES:
        return lang
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "ar")


def text_direction(lang: str | None = None) -> str:
    return "rtl" if (lang or current_language()) in RTL_LANGUAGES else "ltr"


def best_language(accept_header_languages) -> str:
    """Pick a supported language from an Accept-Language header (werkzeug MIMEAccept)."""
    return accept_header_languages.best_match(LANGUAGES) or current_app.config.get(
        "BABEL_DEFAULT_LOCALE", "ar"
    )


def localize(
    value: Mapping[str, str] | None, lang: str | None = None, fallback: str | None = None
) -> str:
    """Return the text of a multilingual field in ``lang``, else the fallback, else any."""
    if not value:
        return ""
    if isinstance(value, str):
        return value
    lang = lang or current_language()
    for candidate in (lang, fallback, "en", "ar", "fr"):
        if candidate and value.get(candidate):
            return value[candidate]
    for text in value.values():
        if text:
            return text
    return ""


def clean_i18n(value: Mapping[str, str] | None) -> dict[str, str]:
    """Drop empty translations and trim the others, so that fallback works."""
    if not value:
        return {}
    return {k: v.strip() for k, v in sorted(value.items()) if isinstance(v, str) and v.strip()}


def tz(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def as_utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def local_to_utc(local: datetime, tzname: str) -> datetime:
    """A wall-clock time in ``tzname`` (naive) to an aware UTC datetime."""
    return local.replace(tzinfo=ZoneInfo(tzname)).astimezone(UTC)


def utc_to_local(dt: datetime, tzname: str) -> datetime:
    return as_utc(dt).astimezone(ZoneInfo(tzname))


def _locale(lang: str | None) -> Locale:
    return Locale.parse(lang or current_language())


def fmt_time(dt: datetime, tzname: str, lang: str | None = None) -> str:
    return format_time(utc_to_local(dt, tzname), format="short", locale=_locale(lang))


def fmt_datetime(dt: datetime, tzname: str, lang: str | None = None, fmt: str = "medium") -> str:
    return format_datetime(
        utc_to_local(dt, tzname), format=fmt, tzinfo=ZoneInfo(tzname), locale=_locale(lang)
    )


def fmt_date(d: date | datetime, lang: str | None = None, fmt: str = "full") -> str:
    return format_date(d, format=fmt, locale=_locale(lang))


def fmt_number(n, lang: str | None = None) -> str:
    return format_decimal(n, locale=_locale(lang))


def tz_label(tzname: str, lang: str | None = None) -> str:
    """A readable timezone name in the page's language, e.g. "توقيت السعودية (Asia/Riyadh)"."""
    try:
        name = get_timezone_name(ZoneInfo(tzname), locale=_locale(lang))
    except Exception:  # noqa: BLE001 - Babel lacks names for some zones
        name = tzname
    return f"{name} ({tzname})" if name != tzname else tzname


def country_name(code: str | None, lang: str | None = None) -> str:
    if not code:
        return ""
    return _locale(lang).territories.get(code.upper(), code.upper())


def country_choices(lang: str | None = None) -> list[tuple[str, str]]:
    """ISO 3166 alpha-2 countries, named and sorted in the given language."""
    territories = _locale(lang).territories
    codes = [
        c
        for c in territories
        if len(c) == 2 and c.isalpha() and c not in {"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB", "XK"}
    ]
    return sorted(((c, territories[c]) for c in codes), key=lambda item: item[1])


@contextmanager
def language(lang: str):
    """Render emails and PDFs in one person's language, whatever the request's."""
    previous = getattr(g, "lang", None)
    g.lang = lang if lang in LANGUAGES else current_app.config.get("BABEL_DEFAULT_LOCALE", "ar")
    try:
        with force_locale(g.lang):
            yield g.lang
    finally:
        if previous is None:
            g.pop("lang", None)
        else:
            g.lang = previous


def localized_blueprint(name: str, import_name: str, url_prefix: str = ""):
    """A blueprint whose URLs start with the language: /<lang>/... (ar, en, fr)."""
    from flask import Blueprint, abort

    bp = Blueprint(name, import_name, url_prefix="/<lang>" + url_prefix)

    @bp.url_value_preprocessor
    def pull_lang(endpoint, values):
        lang = (values or {}).pop("lang", None)
        if lang not in LANGUAGES:
            abort(404)
        g.lang = lang
        refresh()  # Flask-Babel caches the locale per application context

    @bp.url_defaults
    def add_lang(endpoint, values):
        if "lang" not in values:
            values["lang"] = current_language()

    return bp
