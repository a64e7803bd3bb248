"""The printable programme (PDF): cover, contents, agenda by day, speakers' biographies.

Cached on disk under ``STORAGE_DIR/programmes/<event id>/``; the cache key holds the
language, the variant, ``event.agenda_version`` (bumped by every agenda change) and
``event.updated_at``, so any change gives a new file.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from weasyprint.urls import path2url

from .. import pdf
from ..i18n import (
    LANGUAGES,
    fmt_date,
    fmt_time,
    language,
    localize,
    text_direction,
    tz_label,
    use_numbering,
    utc_to_local,
)
from ..models import Event, Person, SessionPerson
from ..models import Session as AgendaSession
from .richtext import sanitize
from .session_languages import describe as describe_languages

VARIANTS = ("single", "bilingual")
BILINGUAL = ("ar", "en")
TEMPLATE = "pdf/programme.html"


def _labels(lang: str, event: Event) -> dict:
    with language(lang):
        return {
            "lang": lang,
            "dir": text_direction(lang),
            "programme": _("Programme"),
            "contents": _("Contents"),
            "speakers": _("Speakers"),
            "biographies": _("Speakers' biographies"),
            "page": _("Page"),
            "times_note": _("Times are in %(zone)s.") % {"zone": tz_label(event.timezone, lang)},
            "title": event.t("title", lang),
            "venue": event.t("venue_name", lang),
            "address": event.t("venue_address", lang),
            "organisers": event.t("organisers", lang),
            "dates": _event_dates(event, lang),
            "roles": {
                "speaker": _("Speaker"),
                "moderator": _("Moderator"),
                "chair": _("Chair"),
                "panellist": _("Panellist"),
            },
        }


def _event_dates(event: Event, lang: str) -> str:
    if event.ends_on and event.ends_on != event.starts_on:
        return _("%(start)s – %(end)s") % {
            "start": fmt_date(event.starts_on, lang, "long"),
            "end": fmt_date(event.ends_on, lang, "long"),
        }
    return fmt_date(event.starts_on, lang, "full")


def _photo_url(person: Person) -> str | None:
    from .speakers import photo_file  # only a file stored for this person's own event

    path = photo_file(person)
    return path2url(str(path.resolve())) if path is not None else None


def _languages_line(item: AgendaSession, lang: str) -> str:
    """The session's languages in ``lang``: "Arabic · Interpretation: English and French"."""
    with language(lang):
        return describe_languages(item, lang)


def programme_context(session: OrmSession, event: Event, lang: str, variant: str) -> dict:
    langs = list(BILINGUAL) if variant == "bilingual" else [lang]
    if variant == "bilingual" and text_direction(lang) == "ltr":
        langs = list(reversed(BILINGUAL))  # the page's own language first (at the start side)
    items = list(
        session.scalars(
            select(AgendaSession)
            .where(AgendaSession.event_id == event.id)
            .order_by(AgendaSession.starts_at, AgendaSession.position, AgendaSession.id)
        )
    )
    days: OrderedDict = OrderedDict()
    for item in items:
        local_day = utc_to_local(item.starts_at, event.timezone).date()
        days.setdefault(local_day, []).append(item)
    day_list = []
    for number, (day, day_items) in enumerate(days.items(), start=1):
        rows = []
        for item in day_items:
            speakers = [link for link in item.speakers if link.confirmation != "declined"]
            rows.append(
                {
                    "time": f"{fmt_time(item.starts_at, event.timezone, lang)} – "
                    f"{fmt_time(item.ends_at, event.timezone, lang)}",
                    "kind": item.kind,
                    "texts": [
                        {
                            "lang": lang_,
                            "dir": text_direction(lang_),
                            "title": item.t("title", lang_),
                            "room": item.room.t("name", lang_) if item.room else "",
                            "languages": _languages_line(item, lang_),
                            "speakers": [
                                {
                                    "name": link.person.t("name", lang_),
                                    "title": link.person.t("title", lang_),
                                    "organisation": link.person.t("organisation", lang_),
                                    "role": link.role,
                                    "anchor": f"bio-{link.person.key}",
                                }
                                for link in speakers
                            ],
                        }
                        for lang_ in langs
                    ],
                }
            )
        day_list.append(
            {
                "anchor": f"day-{number}",
                "headings": [
                    (lang_, text_direction(lang_), fmt_date(day, lang_, "full")) for lang_ in langs
                ],
                "rows": rows,
            }
        )
    linked = set(
        session.scalars(
            select(SessionPerson.person_id)
            .join(AgendaSession, AgendaSession.id == SessionPerson.session_id)
            .where(AgendaSession.event_id == event.id, SessionPerson.confirmation != "declined")
        )
    )
    people = [
        {
            "anchor": f"bio-{person.key}",
            "photo": _photo_url(person),
            "texts": [
                {
                    "lang": lang_,
                    "dir": text_direction(lang_),
                    "name": person.t("name", lang_),
                    "title": person.t("title", lang_),
                    "organisation": person.t("organisation", lang_),
                    "bio": sanitize(localize(person.bio, lang_, event.default_language)),
                }
                for lang_ in langs
            ],
        }
        for person in sorted(
            (p for p in event.people if p.id in linked), key=lambda p: (p.position, p.id)
        )
    ]
    return {
        "event": event,
        "variant": variant,
        "langs": langs,
        "labels": {lang_: _labels(lang_, event) for lang_ in set(langs) | {lang}},
        "main": lang,
        "days": day_list,
        "people": people,
    }


def cache_path(event: Event, lang: str, variant: str) -> Path:
    stamp = int(event.updated_at.timestamp()) if event.updated_at else 0
    name = f"{lang}-{variant}-v{event.agenda_version}-{stamp}.pdf"
    return Path(current_app.config["STORAGE_DIR"], "programmes", str(event.id), name)


def render_programme(session: OrmSession, event: Event, lang: str, variant: str) -> bytes:
    with use_numbering(event):  # the event's digits (Arabic-Indic on request) in dates and times
        context = programme_context(session, event, lang, variant)
    with language(lang):
        title = _("Programme — %(event)s") % {"event": event.t("title", lang)}
    return pdf.render(TEMPLATE, context, lang=lang, title=title, created=event.updated_at)


def programme_pdf(session: OrmSession, event: Event, lang: str, variant: str = "single") -> bytes:
    """The programme PDF from the cache, rendered (and cached) when the agenda changed."""
    if lang not in LANGUAGES:
        lang = event.default_language
    if variant not in VARIANTS:
        variant = "single"
    path = cache_path(event, lang, variant)
    if path.is_file():
        return path.read_bytes()
    data = render_programme(session, event, lang, variant)
    pdf.write_atomic(path, data)
    prefix = f"{lang}-{variant}-"
    for old in path.parent.glob(f"{prefix}*.pdf"):
        if old != path:
            old.unlink(missing_ok=True)
    return data
