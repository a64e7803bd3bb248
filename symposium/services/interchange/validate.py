"""Validation: the whole document is read into plain values, every problem with its path."""

from __future__ import annotations

import re
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from babel import Locale
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from ...i18n import LANGUAGES, utc_to_local
from ...models import (
    EVENT_STATUSES,
    SESSION_KINDS,
    SPEAKER_ROLES,
    Event,
    Session,
    SessionRegistration,
)
from .. import session_languages, textcheck
from ..registration.seats import confirmed_total
from ..richtext import sanitize
from ..textcheck import LIMITS
from .checker import _Checker
from .common import (
    _EXCLUDED_TERRITORIES,
    EVENT_KEYS,
    FORMAT_NAME,
    FORMAT_VERSION,
    KEY_RE,
    LINK_KEYS,
    ROOM_KEYS,
    SESSION_KEYS,
    SLUG_RE,
    SPEAKER_KEYS,
)
from .photos import read_photo


def _country_codes() -> frozenset[str]:
    territories = Locale.parse("en").territories
    return frozenset(
        c for c in territories if len(c) == 2 and c.isalpha() and c not in _EXCLUDED_TERRITORIES
    )


def _validate(data: Any) -> tuple[list[str], dict[str, Any]]:
    """Read the whole document; return (problems, parsed values)."""
    c = _Checker()
    if not isinstance(data, dict):
        c.add("$", _("the document must be a JSON object"))
        return c.problems, {}
    # NUL, lone surrogates, numbers out of range, nesting, anywhere (settings included)
    data, problems = textcheck.check_values(data)
    if problems:
        return problems, {}
    c.unknown_keys(data, EVENT_KEYS, "")
    doc: dict[str, Any] = {"_present": set(data)}

    if "format" in data and data["format"] != FORMAT_NAME:
        c.add("format", _('must be "%(name)s"', name=FORMAT_NAME))
    if "version" in data and data["version"] != FORMAT_VERSION:
        c.add(
            "version",
            _("unsupported version (this software reads version %(v)s)", v=FORMAT_VERSION),
        )

    slug = c.string(data, "slug", "", required=True)
    if slug is not None and not SLUG_RE.match(slug):
        c.add("slug", _("use lowercase letters, digits and hyphens (at most 80 characters)"))
        slug = None
    doc["slug"] = slug

    tzname = c.string(data, "timezone", "", required=True)
    if tzname is not None and textcheck.timezone_problem(tzname):
        c.add("timezone", _('unknown IANA timezone "%(tz)s"', tz=tzname))
        tzname = None
    doc["timezone"] = tzname

    languages = data.get("languages")
    if languages is None:
        c.add("languages", _("required"))
        languages = None
    elif (
        not isinstance(languages, list)
        or not languages
        or any(not isinstance(x, str) or x not in LANGUAGES for x in languages)
    ):
        c.add("languages", _("must be a non-empty list of ar, en, fr"))
        languages = None
    elif len(set(languages)) != len(languages):
        c.add("languages", _("a language is listed twice"))
        languages = None
    doc["languages"] = languages

    default_language = c.string(data, "default_language", "", required=True)
    if default_language is not None:
        if default_language not in LANGUAGES:
            c.add("default_language", _("must be one of ar, en, fr"))
            default_language = None
        elif languages is not None and default_language not in languages:
            c.add("default_language", _("must be one of the event's languages"))
    doc["default_language"] = default_language

    status = c.string(data, "status", "")
    if status is not None and status not in EVENT_STATUSES:
        c.add("status", _("must be draft or published"))
        status = None
    doc["status"] = status

    doc["title"] = c.i18n(
        data,
        "title",
        "",
        default_language=default_language,
        required=True,
        max_length=LIMITS["title"],
    )
    doc["description"] = c.i18n(
        data, "description", "", multiline=True, max_length=LIMITS["description"]
    )
    doc["organisers"] = c.i18n(data, "organisers", "", max_length=LIMITS["organisation"])

    starts_on = c.iso_date(data, "starts_on", "")
    ends_on = c.iso_date(data, "ends_on", "")
    if starts_on and ends_on and ends_on < starts_on:
        c.add("ends_on", _("the event ends before it starts"))
    elif textcheck.event_length_problem(starts_on, ends_on):
        c.add("ends_on", textcheck.event_length_problem(starts_on, ends_on))
        ends_on = None
    doc["starts_on"], doc["ends_on"] = starts_on, ends_on

    doc["capacity"] = c.capacity(data, "capacity", "")
    doc["registration_open"] = c.boolean(data, "registration_open", "", False)
    doc["hybrid"] = c.boolean(data, "hybrid", "", False)
    doc["is_sample"] = c.boolean(data, "is_sample", "", False)
    doc["registration_opens_at"] = c.local_datetime(
        data, "registration_opens_at", "", tzname, required=False
    )
    doc["registration_closes_at"] = c.local_datetime(
        data, "registration_closes_at", "", tzname, required=False
    )
    if (
        doc["registration_opens_at"]
        and doc["registration_closes_at"]
        and doc["registration_closes_at"] <= doc["registration_opens_at"]
    ):
        c.add("registration_closes_at", _("registration closes before it opens"))
    online_url = c.string(data, "online_url", "", max_length=500)
    if online_url and not re.match(r"^https?://\S+$", online_url):
        c.add("online_url", _("must be an http or https address"))
    doc["online_url"] = online_url

    venue = data.get("venue")
    if venue is None:
        venue = {}
    if not isinstance(venue, dict):
        c.add("venue", _("must be an object"))
        venue = {}
    c.unknown_keys(venue, ("name", "address"), "venue")
    doc["venue_name"] = c.i18n(venue, "name", "venue", max_length=LIMITS["venue"])
    doc["venue_address"] = c.i18n(
        venue, "address", "venue", multiline=True, max_length=LIMITS["address"]
    )

    settings = data.get("settings")
    if settings is not None and not isinstance(settings, dict):
        c.add("settings", _("must be an object"))
        settings = None
    doc["settings"] = settings

    doc["rooms"] = _validate_rooms(c, data.get("rooms"))
    doc["speakers"] = _validate_speakers(c, data.get("speakers"))
    doc["sessions"] = _validate_sessions(c, data.get("sessions"), doc)
    return c.problems, doc


def _list(c: _Checker, value, path) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        c.add(path, _("must be a list"))
        return []
    return value


def _item_key(c: _Checker, item, path, seen: set[str]) -> str | None:
    key = c.string(item, "key", path, required=True)
    if key is None:
        return None
    if not KEY_RE.match(key):
        c.add(f"{path}.key", _("use letters, digits, hyphens and underscores (at most 80)"))
        return None
    if key in seen:
        c.add(f"{path}.key", _('duplicate key "%(key)s"', key=key))
        return None
    seen.add(key)
    return key


def _validate_rooms(c: _Checker, value) -> list[dict]:
    rooms, seen = [], set()
    for i, item in enumerate(_list(c, value, "rooms")):
        path = f"rooms[{i}]"
        if not isinstance(item, dict):
            c.add(path, _("must be an object"))
            continue
        c.unknown_keys(item, ROOM_KEYS, path)
        rooms.append(
            {
                "key": _item_key(c, item, path, seen),
                "name": c.i18n(item, "name", path, required=True, max_length=LIMITS["room"]),
                "capacity": c.capacity(item, "capacity", path),
            }
        )
    return rooms


def _validate_speakers(c: _Checker, value) -> list[dict]:
    countries = _country_codes()
    people, seen = [], set()
    for i, item in enumerate(_list(c, value, "speakers")):
        path = f"speakers[{i}]"
        if not isinstance(item, dict):
            c.add(path, _("must be an object"))
            continue
        c.unknown_keys(item, SPEAKER_KEYS, path)
        key = _item_key(c, item, path, seen)
        country = c.string(item, "country", path)
        if country is not None:
            if country.upper() not in countries:
                c.add(
                    f"{path}.country",
                    _('unknown country code "%(code)s" (ISO 3166 alpha-2)', code=country),
                )
            country = country.upper()
        email = c.string(item, "email", path, max_length=LIMITS["email"])
        problem = textcheck.email_problem(email) if email is not None else None
        if problem:
            c.add(f"{path}.email", problem)
            email = None
        elif email is not None:
            try:
                email = validate_email(
                    email, check_deliverability=False, allow_smtputf8=textcheck.smtputf8()
                ).normalized
            except EmailNotValidError:
                c.add(f"{path}.email", _('"%(email)s" is not a valid email address', email=email))
        if item.get("photo_path") is not None:
            # stored paths never come from a document: the photo travels inline
            c.add(
                f"{path}.photo_path",
                _("no longer accepted: give the photo inline as photo (base64)"),
            )
        photo = read_photo(c, item, path)
        bio = c.i18n(item, "bio", path, multiline=True, max_length=LIMITS["bio"])
        people.append(
            {
                "key": key,
                "name": c.i18n(item, "name", path, required=True, max_length=LIMITS["name"]),
                "title": c.i18n(item, "title", path, max_length=LIMITS["title"]),
                "organisation": c.i18n(
                    item, "organisation", path, max_length=LIMITS["organisation"]
                ),
                "city": c.i18n(item, "city", path, max_length=LIMITS["city"]),
                "country": country,
                "email": email,
                "bio": {k: v for k, v in ((k, sanitize(v).strip()) for k, v in bio.items()) if v},
                "photo": photo,
            }
        )
    return people


def _validate_sessions(c: _Checker, value, doc: dict) -> list[dict]:
    room_keys = {r["key"] for r in doc["rooms"] if r["key"]}
    speaker_keys = {p["key"] for p in doc["speakers"] if p["key"]}
    tzname = doc["timezone"]
    sessions, seen = [], set()
    for i, item in enumerate(_list(c, value, "sessions")):
        path = f"sessions[{i}]"
        if not isinstance(item, dict):
            c.add(path, _("must be an object"))
            continue
        c.unknown_keys(item, SESSION_KEYS, path)
        key = _item_key(c, item, path, seen)
        kind = c.string(item, "kind", path, required=True)
        if kind is not None and kind not in SESSION_KINDS:
            c.add(
                f"{path}.kind",
                _(
                    'unknown kind "%(kind)s" (one of %(kinds)s)',
                    kind=kind,
                    kinds=", ".join(SESSION_KINDS),
                ),
            )
        starts_at = c.local_datetime(item, "starts_at", path, tzname, required=True)
        ends_at = c.local_datetime(item, "ends_at", path, tzname, required=True)
        if starts_at and ends_at:
            if ends_at <= starts_at:
                c.add(path, _("ends before it starts"))
            elif doc["starts_on"] and doc["ends_on"]:
                first = utc_to_local(starts_at, tzname).date()
                end_local = utc_to_local(ends_at, tzname).replace(tzinfo=None)
                last = end_local.date()
                if end_local.time() == datetime.min.time():
                    last = date.fromordinal(last.toordinal() - 1)  # ends at midnight
                if first < doc["starts_on"] or last > doc["ends_on"]:
                    c.add(path, _("outside the event's dates"))
        room = c.string(item, "room", path)
        if room is not None and room not in room_keys:
            c.add(f"{path}.room", _('unknown room "%(key)s"', key=room))
        track = c.string(item, "track", path, max_length=LIMITS["track"])
        position = c.integer(item, "position", path)
        links, linked = [], set()
        for j, link in enumerate(_list(c, item.get("speakers"), f"{path}.speakers")):
            lpath = f"{path}.speakers[{j}]"
            if not isinstance(link, dict):
                c.add(lpath, _("must be an object"))
                continue
            c.unknown_keys(link, LINK_KEYS, lpath)
            person = c.string(link, "key", lpath, required=True)
            role = c.string(link, "role", lpath) or "speaker"
            if role not in SPEAKER_ROLES:
                c.add(
                    f"{lpath}.role",
                    _(
                        'unknown role "%(role)s" (one of %(roles)s)',
                        role=role,
                        roles=", ".join(SPEAKER_ROLES),
                    ),
                )
            if person is None:
                continue
            if person not in speaker_keys:
                c.add(f"{lpath}.key", _('unknown speaker "%(key)s"', key=person))
            elif person in linked:
                c.add(f"{lpath}.key", _('speaker "%(key)s" is listed twice', key=person))
            linked.add(person)
            links.append({"key": person, "role": role})
        sessions.append(
            {
                "key": key,
                "kind": kind,
                "title": c.i18n(
                    item,
                    "title",
                    path,
                    default_language=doc["default_language"],
                    required=True,
                    max_length=LIMITS["title"],
                ),
                "abstract": c.i18n(
                    item, "abstract", path, multiline=True, max_length=LIMITS["abstract"]
                ),
                "starts_at": starts_at,
                "ends_at": ends_at,
                "room": room,
                "capacity": c.capacity(item, "capacity", path),
                "track": track,
                "position": position,
                "speakers": links,
                **_session_languages(c, item, path, doc),
            }
        )
    return sessions


def _code_list(c: _Checker, item: dict, key: str, path: str) -> list[str]:
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or any(not isinstance(x, str) for x in value):
        c.add(f"{path}.{key}", _("must be a list of texts"))
        return []
    return value


def _session_languages(c: _Checker, item: dict, path: str, doc: dict) -> dict:
    """Spoken languages, interpretation channels and the two links of a session."""
    spoken = _code_list(c, item, "languages", path)
    channels = _code_list(c, item, "interpretation", path)
    event = SimpleNamespace(languages=doc.get("languages") or [])
    for problem in session_languages.problems(event, spoken, channels):
        c.add(f"{path}.interpretation" if channels else f"{path}.languages", problem)
    spoken, channels = session_languages.normalise(spoken, channels)
    out = {"languages": spoken, "interpretation": channels}
    for key in ("online_url", "recording_url"):
        url = c.string(item, key, path, max_length=500)
        if url and not re.match(r"^https?://\S+$", url):
            c.add(f"{path}.{key}", _("must be an http or https address"))
        out[key] = url or None
    return out


def _check_against_database(session: OrmSession, event: Event, doc: dict) -> list[str]:
    """Problems only the database can tell: sign-ups that the document would drop."""
    problems: list[str] = []
    confirmed = confirmed_total(session, event) if doc["capacity"] is not None else 0
    if doc["capacity"] is not None and doc["capacity"] < confirmed:
        problems.append(
            "capacity: "
            + ngettext(
                "%(capacity)s is below the %(num)s confirmed registration",
                "%(capacity)s is below the %(num)s confirmed registrations",
                confirmed,
                capacity=doc["capacity"],
            )
        )
    signups = dict(
        session.execute(
            select(SessionRegistration.session_id, func.count(SessionRegistration.id))
            .join(Session, Session.id == SessionRegistration.session_id)
            .where(Session.event_id == event.id)
            .group_by(SessionRegistration.session_id)
        ).all()
    )
    incoming = {s["key"]: (i, s) for i, s in enumerate(doc["sessions"])}
    for existing in event.sessions:
        count = signups.get(existing.id, 0)
        if existing.key not in incoming:
            if count:
                problems.append(
                    "sessions: "
                    + ngettext(
                        'session "%(key)s" has %(num)s sign-up and cannot be removed; keep it in the file',
                        'session "%(key)s" has %(num)s sign-ups and cannot be removed; keep it in the file',
                        count,
                        key=existing.key,
                    )
                )
            continue
        index, new = incoming[existing.key]
        if new["capacity"] is not None and new["capacity"] < (existing.confirmed_count or 0):
            problems.append(
                f"sessions[{index}].capacity: "
                + ngettext(
                    "%(capacity)s is below the %(num)s confirmed sign-up",
                    "%(capacity)s is below the %(num)s confirmed sign-ups",
                    existing.confirmed_count,
                    capacity=new["capacity"],
                )
            )
    return problems
