"""Languages, right-to-left handling, multilingual content and dates in the event's timezone."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, get_timezone_location
from babel.lists import format_list
from babel.numbers import format_decimal
from flask import current_app, g, has_app_context
from flask_babel import force_locale, gettext, refresh
from markupsafe import Markup, escape

LANGUAGES: tuple[str, ...] = ("ar", "en", "fr")
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
LANGUAGE_NAMES = {"ar": "العربية", "en": "English", "fr": "Français"}

# Digits of Arabic text: Latin (CLDR's default for "ar") or Arabic-Indic (like CLDR's "ar-SA"),
# chosen per event in event.settings["digits"]. Other languages always use Latin digits.
NUMBERING_SYSTEMS: tuple[str, ...] = ("latn", "arab")
_DIGITS = {"arab": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")}


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


def event_numbering(event) -> str:
    """The numbering system an event asks for (``event.settings["digits"]``), "latn" by default."""
    value = (getattr(event, "settings", None) or {}).get("digits")
    return value if value in NUMBERING_SYSTEMS else "latn"


def current_numbering() -> str | None:
    """The numbering system set for what is being rendered now (see ``use_numbering``)."""
    return getattr(g, "numbering", None) if has_app_context() else None


@contextmanager
def use_numbering(event_or_system):
    """Format numbers, dates and times with an event's digits while rendering its pages,
    emails and PDFs: ``with use_numbering(event): ...`` (or a system name, "latn"/"arab")."""
    system = event_or_system if isinstance(event_or_system, str) else None
    system = system or event_numbering(event_or_system)
    if not has_app_context():
        yield system
        return
    previous = getattr(g, "numbering", None)
    g.numbering = system
    try:
        yield system
    finally:
        if previous is None:
            g.pop("numbering", None)
        else:
            g.numbering = previous


def _numbering(lang: str | None, numbering: str | None) -> str:
    """Arabic-Indic digits only in Arabic text and only when asked for; else Latin digits."""
    system = numbering or current_numbering() or "latn"
    if system != "latn" and (lang or current_language()) == "ar" and system in _DIGITS:
        return system
    return "latn"


def _digits(text: str, system: str) -> str:
    table = _DIGITS.get(system)
    return text.translate(table) if table else text


def fmt_time(
    dt: datetime, tzname: str, lang: str | None = None, numbering: str | None = None
) -> str:
    text = format_time(utc_to_local(dt, tzname), format="short", locale=_locale(lang))
    return _digits(text, _numbering(lang, numbering))


def fmt_datetime(
    dt: datetime,
    tzname: str,
    lang: str | None = None,
    fmt: str = "medium",
    numbering: str | None = None,
) -> str:
    text = format_datetime(
        utc_to_local(dt, tzname), format=fmt, tzinfo=ZoneInfo(tzname), locale=_locale(lang)
    )
    return _digits(text, _numbering(lang, numbering))


def fmt_date(
    d: date | datetime, lang: str | None = None, fmt: str = "full", numbering: str | None = None
) -> str:
    return _digits(format_date(d, format=fmt, locale=_locale(lang)), _numbering(lang, numbering))


def fmt_number(n, lang: str | None = None, numbering: str | None = None) -> str:
    system = _numbering(lang, numbering)
    return _digits(format_decimal(n, locale=_locale(lang), numbering_system=system), system)


def tz_label(tzname: str, lang: str | None = None) -> str:
    """The event's time named in words in the page's language, from CLDR's name of the zone's
    city: "توقيت الرياض", "Riyadh time", "heure de Riyad" (never the raw IANA id)."""
    lang = lang or current_language()
    if tzname.upper() in {"UTC", "ETC/UTC", "GMT", "ETC/GMT", "Z"}:
        return "UTC"
    try:
        city = get_timezone_location(ZoneInfo(tzname), locale=_locale(lang), return_city=True)
    except Exception:  # noqa: BLE001 - an unknown zone: its last part, readable
        city = tzname.rsplit("/", 1)[-1].replace("_", " ")
    with _catalog_of(lang):
        label = gettext("%(city)s time", city=city)
    return _french_elision(label) if lang == "fr" else label


@contextmanager
def _catalog_of(lang: str):
    """Translate in ``lang`` (the current language needs no switch of catalog)."""
    if lang == current_language():
        yield
    else:
        with force_locale(lang):
            yield


_FR_ELISIONS = (
    (re.compile(r"\bde Le "), "du "),
    (re.compile(r"\bde Les "), "des "),
    (re.compile(r"\bde (?=[AEIOUYHÂÊÎÔÛÉÈ])"), "d’"),
)


def _french_elision(text: str) -> str:
    """«heure de Le Caire» → «heure du Caire», «heure de Abidjan» → «heure d’Abidjan»."""
    for pattern, replacement in _FR_ELISIONS:
        text = pattern.sub(replacement, text)
    return text


def _text_or_markup(parts: list, text_of) -> str:
    """Join escaped markup with markup (escaping the plain parts), plain text with plain text."""
    if any(isinstance(part, Markup) for part in parts):
        return Markup(text_of([str(escape(part)) for part in parts]))  # noqa: S704 - escaped
    return text_of([str(part) for part in parts])


def join_list(items: Iterable, lang: str | None = None, style: str = "standard") -> str:
    """Names, places or roles joined the way the page's language joins a list (CLDR, Babel's
    ``format_list``): "أ وب وج", "A, B and C", "A, B et C". Empty items are left out."""
    parts = [item for item in items if item]
    if not parts:
        return ""
    locale = _locale(lang)
    return _text_or_markup(parts, lambda texts: format_list(texts, style=style, locale=locale))


def join_apposition(items: Iterable, lang: str | None = None) -> str:
    """Parts of one thing, such as a city and its country, or a name and a title: "الرياض، السعودية"
    / "Riyadh, Saudi Arabia". The separator is the language's comma (translated)."""
    parts = [item for item in items if item]
    if not parts:
        return ""
    lang = lang or current_language()

    def joined(texts: list[str]) -> str:
        text = texts[0]
        with _catalog_of(lang):
            for part in texts[1:]:
                text = gettext("%(first)s, %(second)s", first=text, second=part)
        return text

    return _text_or_markup(parts, joined)


_DOUBLED_STOP = re.compile(r"(?<![.])([?!؟.…])([»”\"’)]?)\.(?![.])")


def tidy_punctuation(text):
    """Drop the full stop a sentence adds after a title that already ends in «؟», «?», «!» or
    «.»: "… في هل نقرأ؟." → "… في هل نقرأ؟"."""
    if not text:
        return text
    cleaned = _DOUBLED_STOP.sub(r"\1\2", str(text))
    return Markup(cleaned) if isinstance(text, Markup) else cleaned  # noqa: S704 - only a "." removed


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
