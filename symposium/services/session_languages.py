"""Spoken languages and interpretation channels of sessions, and their two private-ish links.

``Session.languages`` lists the languages spoken in a session (ISO 639-1 codes, ``[]`` = not
stated); ``Session.interpretation`` lists the channels offered, ``"ar-en"`` meaning interpreted
from Arabic into English. The codes allowed are the event's own languages plus the six official
languages of the United Nations (ar, en, fr, es, ru, zh), which covers the interpreting booths a
symposium of this kind hires.

Rules (``problems``): a known code, no channel into the language it comes from, and a channel
only from a language one hears in the room: a spoken language or the target of another channel
(relay interpretation, e.g. ar→en then en→fr). Duplicates are dropped silently.

``online_url`` (the meeting or stream, never public) and ``recording_url`` must be http or https
addresses (``url_problem``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from babel import Locale
from flask_babel import gettext as _

from ..i18n import current_language

UN_LANGUAGES: tuple[str, ...] = ("ar", "en", "fr", "es", "ru", "zh")
URL_MAX_LENGTH = 500


@dataclass(frozen=True)
class Channel:
    source: str
    target: str

    @property
    def code(self) -> str:
        return f"{self.source}-{self.target}"


def allowed_codes(event) -> tuple[str, ...]:
    """The codes a session of ``event`` may use: the event's languages first, then the UN six."""
    codes: list[str] = []
    for code in [*(getattr(event, "languages", None) or []), *UN_LANGUAGES]:
        if isinstance(code, str) and code not in codes:
            codes.append(code)
    return tuple(codes)


def language_name(code: str, lang: str | None = None) -> str:
    """The name of a language in the viewer's language (CLDR): "الفرنسية", "French", "français"."""
    try:
        locale = Locale.parse(lang or current_language())
    except (ValueError, TypeError):
        locale = Locale.parse("en")
    return locale.languages.get(code, code)


def endonym(code: str) -> str:
    """The language's name in itself: "العربية", "English", "français"."""
    try:
        return Locale.parse(code).get_display_name(code) or code
    except (ValueError, TypeError):
        return code


def parse_channel(value) -> Channel | None:
    """``"ar-en"`` → Channel("ar", "en"); None if it is not two codes joined by a hyphen."""
    if not isinstance(value, str):
        return None
    parts = value.strip().lower().split("-")
    if len(parts) != 2 or not all(part.isalpha() and 2 <= len(part) <= 3 for part in parts):
        return None
    return Channel(parts[0], parts[1])


def channels(item) -> list[Channel]:
    """The session's channels that parse, in their order."""
    out = []
    for value in getattr(item, "interpretation", None) or []:
        channel = parse_channel(value)
        if channel is not None:
            out.append(channel)
    return out


def _dedupe(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def normalise(languages, interpretation) -> tuple[list[str], list[str]]:
    """Trimmed, lower-case, duplicates dropped, order kept (what is stored)."""
    langs = _dedupe(str(code).strip().lower() for code in (languages or []) if str(code).strip())
    chans = _dedupe(
        str(code).strip().lower() for code in (interpretation or []) if str(code).strip()
    )
    return langs, chans


def problems(event, languages, interpretation) -> list[str]:
    """Every reason why these languages and channels cannot be saved (translated)."""
    out: list[str] = []
    allowed = allowed_codes(event)
    langs, chans = normalise(languages, interpretation)
    for code in langs:
        if code not in allowed:
            out.append(_("Unknown language: %(code)s", code=code))
    parsed: list[Channel] = []
    for code in chans:
        channel = parse_channel(code)
        if channel is None:
            out.append(
                _(
                    "Unknown interpretation channel: %(code)s (from-into, for example ar-en).",
                    code=code,
                )
            )
            continue
        bad = [c for c in (channel.source, channel.target) if c not in allowed]
        if bad:
            out.extend(_("Unknown language: %(code)s", code=c) for c in bad)
            continue
        if channel.source == channel.target:
            out.append(
                _(
                    "An interpretation channel cannot go from %(language)s into %(language)s.",
                    language=language_name(channel.source),
                )
            )
            continue
        parsed.append(channel)
    if parsed and not langs:
        out.append(_("State the language spoken in the session before its interpretation."))
        return out
    heard = set(langs) | {c.target for c in parsed}
    for channel in parsed:
        if channel.source not in heard:
            out.append(
                _(
                    "The interpretation from %(language)s needs %(language)s among the spoken "
                    "languages (or another channel into it).",
                    language=language_name(channel.source),
                )
            )
    return out


def url_problem(value: str | None, label: str) -> str | None:
    """Why ``value`` is not an http(s) address to store (None: fine or empty)."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > URL_MAX_LENGTH:
        return _("%(field)s: at most %(num)s characters.", field=label, num=URL_MAX_LENGTH)
    parts = urlsplit(text) if not any(ch.isspace() or ord(ch) < 32 for ch in text) else None
    if parts is None or parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return _("%(field)s: enter an address that starts with https:// or http://.", field=label)
    return None


def spoken(item) -> list[str]:
    return [code for code in (getattr(item, "languages", None) or []) if isinstance(code, str)]


def targets(item) -> list[str]:
    """Languages one can listen to through interpretation, in order."""
    return _dedupe(c.target for c in channels(item) if c.target not in spoken(item))


def followable_in(item, code: str) -> bool:
    """Whether someone who understands ``code`` can follow the session: spoken in it, or
    interpreted into it."""
    return code in spoken(item) or any(c.target == code for c in channels(item))


def event_codes(sessions: Iterable) -> list[str]:
    """Languages in which at least one of ``sessions`` can be followed, in a stable order."""
    found: list[str] = []
    for item in sessions:
        for code in [*spoken(item), *(c.target for c in channels(item))]:
            if code not in found:
                found.append(code)
    order = {code: i for i, code in enumerate(UN_LANGUAGES)}
    return sorted(found, key=lambda code: (order.get(code, len(order)), code))


def filter_days(days: list, code: str | None) -> list:
    """Agenda days (``AgendaDay``) keeping the sessions followable in ``code``; empty days go."""
    if not code:
        return days
    out = []
    for day in days:
        kept = [item for item in day.sessions if followable_in(item, code)]
        if kept:
            out.append(type(day)(day=day.day, sessions=kept))
    return out


def describe(item, lang: str | None = None) -> str:
    """One line for a session in ``lang``: "Arabic · Interpretation: English, French" (empty if
    nothing is stated). Used by the PDF programme and the feeds."""
    from ..i18n import join_list

    lang = lang or current_language()
    parts = []
    names = [language_name(code, lang) for code in spoken(item)]
    if names:
        parts.append(join_list(names, lang))
    into = [language_name(code, lang) for code in targets(item)]
    if into:
        parts.append(_("Interpretation: %(languages)s", languages=join_list(into, lang)))
    return " · ".join(parts)


def channel_label(value: str, lang: str | None = None) -> str:
    """``"ar-en"`` as words: "from Arabic into English"."""
    channel = parse_channel(value)
    if channel is None:
        return str(value)
    return _(
        "from %(source)s into %(target)s",
        source=language_name(channel.source, lang),
        target=language_name(channel.target, lang),
    )


@dataclass
class LanguageInfo:
    """What a page shows of a session's languages, named in the viewer's language."""

    spoken: list[tuple[str, str]]  # (code, name)
    into: list[tuple[str, str]]  # languages offered through interpretation only
    channels: list[tuple[str, str, str]]  # (code "ar-en", source name, target name)

    def __bool__(self) -> bool:
        return bool(self.spoken or self.channels)


def info(item, lang: str | None = None) -> LanguageInfo:
    lang = lang or current_language()
    return LanguageInfo(
        spoken=[(code, language_name(code, lang)) for code in spoken(item)],
        into=[(code, language_name(code, lang)) for code in targets(item)],
        channels=[
            (c.code, language_name(c.source, lang), language_name(c.target, lang))
            for c in channels(item)
        ],
    )


def filter_choices(sessions: Iterable, lang: str | None = None) -> list[tuple[str, str, str]]:
    """(code, name in the viewer's language, name in itself) of the languages the agenda can
    be filtered by."""
    lang = lang or current_language()
    return [(code, language_name(code, lang), endonym(code)) for code in event_codes(sessions)]
